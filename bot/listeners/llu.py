"""[LLU preview] under a final summary that found processes still running old code, and
[Clean up] under a failed run (`clvupdate`, or `cllvupdate -u` after an LLU)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.asker import Asker
from bot.listeners.buttons import on_button
from bot.views import actions
from bot.workflow import Workflow
from commands import words


def register(app: AsyncApp, workflow: Workflow) -> None:
    async def llu_preview(asker: Asker, action: dict[str, Any], body: dict[str, Any]) -> None:
        target = words.parse_target(action["value"])
        await workflow.preview(asker, words.Preview(kind="llu", target=target))

    async def cleanup(asker: Asker, action: dict[str, Any], body: dict[str, Any]) -> None:
        run_id = action["value"]
        words.parse_run_id(run_id)  # a value lkubot did not write is refused before anything runs
        await workflow.cleanup(asker, run_id)

    on_button(app, workflow, actions.LLU_PREVIEW, llu_preview)
    on_button(app, workflow, actions.CLEANUP, cleanup)
