"""[Cancel] on a run's status message, shown until the point of no return."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import asker_from
from bot.views import actions
from bot.workflow import Workflow
from commands.words import parse_run_id


def register(app: AsyncApp, workflow: Workflow) -> None:
    @app.action(actions.CANCEL_RUN)
    async def on_cancel(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        asker = asker_from(body, client, respond)
        request_id, _ = parse_run_id(action["value"])
        workflow.start(asker, workflow.cancel(asker, request_id), name=f"cancel {request_id}")
