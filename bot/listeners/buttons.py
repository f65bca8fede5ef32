"""The one shape every button listener has: acknowledge, learn who clicked, hand over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import Asker, asker_from

Click = Callable[[Asker, dict[str, Any], dict[str, Any]], None]
"""Starts the work of a click: (who clicked, the action, the whole payload)."""


def on_button(app: AsyncApp, action_id: str, click: Click) -> None:
    """Listen to `action_id`: ack at once, then `click(asker, action, body)`."""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        click(asker_from(body, client, respond), action, body)

    listener.__name__ = f"on_{action_id}"
    app.action(action_id)(listener)
