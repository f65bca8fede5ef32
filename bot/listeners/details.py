"""The "Evidence…" menu of a request card: the output behind one check, shown privately."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import asker_from
from bot.views import actions
from bot.views.actions import CheckRef
from bot.workflow import Workflow


def register(app: AsyncApp, workflow: Workflow) -> None:
    @app.action(actions.CHECK_DETAILS)
    async def on_details(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        asker = asker_from(body, client, respond)
        ref = CheckRef.from_action(action)
        workflow.start(asker, workflow.check_details(asker, ref), name=f"details {ref.request_id}")
