"""[LLU preview] under a final summary that found processes still running old code, and
[Clean up] under a failed run (`clvupdate`, or `cllvupdate -u` after an LLU)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import asker_from
from bot.views import actions
from bot.workflow import Workflow
from commands.words import Preview, parse_run_id, parse_target


def register(app: AsyncApp, workflow: Workflow) -> None:
    @app.action(actions.LLU_PREVIEW)
    async def on_llu_preview(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        asker = asker_from(body, client, respond)
        command = Preview(kind="llu", target=parse_target(action["value"]))
        workflow.command(asker, command)

    @app.action(actions.CLEANUP)
    async def on_cleanup(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        asker = asker_from(body, client, respond)
        run_id = action["value"]
        parse_run_id(run_id)  # a value lkubot did not write is refused here
        workflow.start(asker, workflow.cleanup(asker, run_id), name=f"cleanup {run_id}")
