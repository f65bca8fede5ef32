"""[Cancel] on a run's status message, shown until the point of no return."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.asker import Asker
from bot.listeners.buttons import on_button
from bot.views import actions
from bot.workflow import Workflow
from commands.words import parse_run_id


def register(app: AsyncApp, workflow: Workflow) -> None:
    async def cancel(asker: Asker, action: dict[str, Any], body: dict[str, Any]) -> None:
        request_id, _ = parse_run_id(action["value"])
        await workflow.cancel(asker, request_id)

    on_button(app, workflow, actions.CANCEL_RUN, cancel)
