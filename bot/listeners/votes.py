"""[Approve] and [Reject] on the request card, and the reject-reason modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import Asker, asker_from
from bot.listeners.buttons import on_button
from bot.views import actions
from bot.workflow import Workflow
from commands.words import parse_request_id


def register(app: AsyncApp, workflow: Workflow) -> None:
    async def approve(asker: Asker, action: dict[str, Any], body: dict[str, Any]) -> None:
        await workflow.approve(asker, parse_request_id(action["value"]))

    async def reject(asker: Asker, action: dict[str, Any], body: dict[str, Any]) -> None:
        request_id = parse_request_id(action["value"])
        await workflow.open_reject_modal(asker, request_id, body["trigger_id"])

    on_button(app, workflow, actions.APPROVE, approve)
    on_button(app, workflow, actions.REJECT, reject)

    @app.view(actions.REJECT_MODAL)
    async def on_reason(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        asker = asker_from(body, client, None)
        workflow.start(asker, workflow.reject_from_modal(asker, view), name="reject")
