"""`/lku ...` and `/llu ...`: acknowledge, then parse and do the work in the background."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.asker import asker_from
from bot.auth import ChannelAllowList
from bot.workflow import Workflow
from commands.words import Kind

COMMANDS: dict[str, Kind] = {"/lku": "lku", "/llu": "llu"}
"""The slash commands lkubot registers (manifest.yml must declare the same)."""


def register(app: AsyncApp, workflow: Workflow, channels: ChannelAllowList) -> None:
    async def on_command(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        asker = asker_from(command, client, respond)
        kind = COMMANDS[command["command"]]
        work = workflow.slash(asker, kind, command.get("text", ""), channels)
        workflow.start(asker, work, name=f"/{kind}")

    for name in COMMANDS:
        app.command(name)(on_command)
