"""[Launch] on an approved request card (Slack has already asked the clicker to confirm)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.asker import Asker
from bot.listeners.buttons import on_button
from bot.views import actions
from bot.workflow import Workflow
from commands.words import parse_request_id


def register(app: AsyncApp, workflow: Workflow) -> None:
    async def launch(asker: Asker, action: dict[str, Any], body: dict[str, Any]) -> None:
        await workflow.launch(asker, parse_request_id(action["value"]), None)

    on_button(app, workflow, actions.LAUNCH, launch)
