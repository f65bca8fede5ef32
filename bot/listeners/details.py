"""The "Evidence…" menu of a request card: the output behind one check, shown privately."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.asker import Asker
from bot.listeners.buttons import on_button
from bot.views import actions
from bot.views.actions import CheckRef
from bot.workflow import Workflow


def register(app: AsyncApp, workflow: Workflow) -> None:
    async def details(asker: Asker, action: dict[str, Any], body: dict[str, Any]) -> None:
        await workflow.check_details(asker, CheckRef.from_action(action))

    on_button(app, workflow, actions.CHECK_DETAILS, details)
