"""`/lku ...` and `/llu ...`: parse the words, then start the work."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import asker_from
from bot.auth import ChannelAllowList
from bot.workflow import Workflow
from commands.words import Kind, parse

COMMANDS: dict[str, Kind] = {"/lku": "lku", "/llu": "llu"}
"""The slash commands lkubot registers (manifest.yml must declare the same)."""


def register(app: AsyncApp, workflow: Workflow, channels: ChannelAllowList) -> None:
    async def on_command(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        asker = asker_from(command, client, respond)
        channels.check(command["channel_id"])
        parsed = parse(COMMANDS[command["command"]], command.get("text", ""))
        workflow.command(asker, parsed)

    for name in COMMANDS:
        app.command(name)(on_command)
