"""[Approve] and [Reject] on the request card, and the reject-reason modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import asker_from
from bot.views import actions, dialogs
from bot.workflow import Workflow
from commands.words import parse_request_id


def register(app: AsyncApp, workflow: Workflow) -> None:
    @app.action(actions.APPROVE)
    async def on_approve(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        asker = asker_from(body, client, respond)
        request_id = parse_request_id(action["value"])
        workflow.start(asker, workflow.approve(asker, request_id), name=f"approve {request_id}")

    @app.action(actions.REJECT)
    async def on_reject(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        asker = asker_from(body, client, respond)
        request_id = parse_request_id(action["value"])
        workflow.start(
            asker,
            workflow.open_reject_modal(asker, request_id, body["trigger_id"]),
            name=f"reject modal {request_id}",
        )

    @app.view(actions.REJECT_MODAL)
    async def on_reason(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        submission = dialogs.read_reject_submission(view)
        asker = asker_from(body, client, None)
        workflow.start(
            asker,
            workflow.reject_from_modal(asker, submission.request_id, submission.reason),
            name=f"reject {submission.request_id}",
        )
