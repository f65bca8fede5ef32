"""[Launch] on an approved request card (Slack has already asked the clicker to confirm)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import asker_from
from bot.views import actions
from bot.workflow import Workflow
from commands.words import parse_request_id


def register(app: AsyncApp, workflow: Workflow) -> None:
    @app.action(actions.LAUNCH)
    async def on_launch(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        asker = asker_from(body, client, respond)
        request_id = parse_request_id(action["value"])
        workflow.start(asker, workflow.launch(asker, request_id, None), name=f"launch {request_id}")
