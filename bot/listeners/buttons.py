"""The one shape every button listener has: acknowledge, learn who clicked, hand over.

Nothing is read from the payload before the work starts: an error raised in a listener right
after its ack can make bolt drop that ack (its runner resets the response when a listener
fails), so even checking a button's value happens in the background work, whose errors go to
the clicker privately like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import Asker, asker_from
from bot.workflow import Workflow

Click = Callable[[Asker, dict[str, Any], dict[str, Any]], Coroutine[Any, Any, None]]
"""The work of a click: (who clicked, the action, the whole payload)."""


def on_button(app: AsyncApp, workflow: Workflow, action_id: str, click: Click) -> None:
    """Listen to `action_id`: ack at once, then run `click(asker, action, body)` in the
    task registry."""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        asker = asker_from(body, client, respond)
        workflow.start(asker, click(asker, action, body), name=action_id)

    listener.__name__ = f"on_{action_id}"
    app.action(action_id)(listener)
