"""The whole product offline, for the end-to-end tests: simulated LPARs over real SSH, the
Slack emulator, and lkubot itself (`Bot.running`) between them, over HTTP or Socket Mode.

Time is compressed, never skipped: the LPARs' clocks run `lpar_speed` times faster (the
11-minute reference transcript replays in about a second), Slack's rate-limit clock
`slack_speed` times faster. Every wait is bounded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.service import Bot, BotConfig
from bot.slack_client import build_slack_client
from lpar.follow import Backoff
from lpar.inventory import Inventory, load_inventory
from lpar.options import EngineOptions
from sim.aix import Fleet, Scenario
from sim.slack import EmulatorConfig, Message, SlackEmulator

LPAR_SPEED = 600.0
SLACK_SPEED = 60.0
PROD = "lpar002"
"""`lkubot sim` alternates groups: lpar001 is in test (1 approval), lpar002 in prod (2)."""
TEST = "lpar001"
CHANNEL = "aix-team"
WITHIN = 30.0
"""Seconds any one end-to-end wait may take before the test fails with what it saw."""

FAST_ENGINE = EngineOptions(
    backoff=Backoff(first=0.05, factor=2.0, slowest=0.5),
    lost_contact_after=30.0,
    shutdown_grace=5.0,
)


@dataclass
class World:
    fleet: Fleet
    slack: SlackEmulator
    bot: Bot
    inventory: Inventory
    db: Path
    client: AsyncWebClient

    async def card(self, request_id: str, within: float = WITHIN) -> Message:
        """The request card of `request_id` in #aix-team, once posted."""
        return await self.slack.wait_for_message(
            CHANNEL,
            lambda m: m.thread_ts in (None, m.ts) and request_id in m.content,
            within=within,
        )

    async def thread_message(
        self, card: Message, predicate: Callable[[Message], bool], within: float = WITHIN
    ) -> Message:
        return await self.slack.wait_for_message(
            CHANNEL, predicate, thread_ts=card.ts, within=within
        )

    async def approved(self, lpar: str, request_id: str = "LU-1") -> Message:
        """Preview `lpar` (of the one-approval test group) as carol and approve it as alice,
        until the card offers [Launch]; returns the request card."""
        await self.slack.slash("carol", CHANNEL, "/lku", f"preview {lpar}")
        card = await self.card(request_id)
        await self.slack.click("alice", card, "approve", value=request_id)
        await self.slack.wait_for(
            lambda: has_button(self.slack.state.find_message(card.ts).blocks, "launch"),
            within=WITHIN,
            what=f"[Launch] on the card of {request_id}",
        )
        return card

    async def launched(self, lpar: str, request_id: str = "LU-1") -> Message:
        """`approved`, then launched as carol; returns the request card."""
        card = await self.approved(lpar, request_id)
        await self.slack.click("carol", card, "launch", value=request_id)
        return card

    def operations(self, lpar: str) -> list[str]:
        """The detached starts the LPAR received: a launch shows as exactly one."""
        return [c.operation for c in self.fleet.lpar(lpar).commands if c.operation]

    async def told(self, user: str, words: str, within: float = WITHIN) -> str:
        """Type `/lku WORDS` as `user` in #aix-team; what they were told privately."""
        before = len(self.slack.state.ephemerals_for(user))
        await self.slack.slash(user, CHANNEL, "/lku", words)
        await self.slack.wait_for(
            lambda: len(self.slack.state.ephemerals_for(user)) > before,
            within=within,
            what=f"an answer to {user}'s /lku {words}",
        )
        return "\n".join(e.content for e in self.slack.state.ephemerals_for(user)[before:])


@asynccontextmanager
async def bot_serving(
    config: BotConfig,
    slack: SlackEmulator,
    via: Literal["http", "socket"],
) -> AsyncIterator[tuple[Bot, AsyncWebClient]]:
    """lkubot connected to the emulator the way `lkubot run` connects it to Slack."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    client = build_slack_client(slack.credentials.bot_token, base_url=slack.api_url)
    async with Bot.running(config, client) as bot:
        if via == "http":
            runner = web.AppRunner(bot.app.web_app(path="/slack/events"), shutdown_timeout=1.0)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            slack.events_url = f"http://{host}:{port}/slack/events"
            try:
                yield bot, client
            finally:
                slack.events_url = None
                await runner.cleanup()
        else:
            handler = AsyncSocketModeHandler(
                bot.app, slack.credentials.app_token, web_client=client
            )
            await handler.connect_async()  # type: ignore[no-untyped-call]
            try:
                await slack.wait_for_socket(within=10)
                yield bot, client
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]


def bot_config(
    inventory: Inventory, db: Path, slack: SlackEmulator, via: Literal["http", "socket"]
) -> BotConfig:
    return BotConfig(
        inventory=inventory,
        db=db,
        signing_secret=slack.credentials.signing_secret if via == "http" else None,
        engine=FAST_ENGINE,
        sweep_every=1.0,
        shutdown_grace=5.0,
    )


@asynccontextmanager
async def world(
    tmp_path: Path,
    *,
    count: int = 2,
    via: Literal["http", "socket"] = "http",
    scenario: Scenario | None = None,
    edit_inventory: Callable[[Inventory], Inventory] | None = None,
    slack_config: EmulatorConfig | None = None,
    lpar_speed: float = LPAR_SPEED,
    membership_ttl: float | None = None,
    engine: EngineOptions | None = None,
) -> AsyncIterator[World]:
    async with (
        Fleet.start(
            count, out_dir=tmp_path / "fleet", speed=lpar_speed, scenario=scenario
        ) as fleet,
        SlackEmulator.start(slack_config or EmulatorConfig(speed=SLACK_SPEED)) as slack,
    ):
        inventory = load_inventory(fleet.inventory_path)
        if edit_inventory is not None:
            inventory = edit_inventory(inventory)
        db = tmp_path / "lkubot.db"
        config = bot_config(inventory, db, slack, via)
        if membership_ttl is not None:
            config = config.model_copy(update={"membership_ttl": membership_ttl})
        if engine is not None:
            config = config.model_copy(update={"engine": engine})
        async with bot_serving(config, slack, via) as (bot, client):
            yield World(fleet, slack, bot, inventory, db, client)


def versions(message: Message) -> list[list[dict[str, Any]]]:
    """The blocks of a message now and before each of its edits."""
    return [message.blocks, *(v.blocks for v in message.history)]


def has_button(blocks: list[dict[str, Any]], action_id: str) -> bool:
    """Does any block hold an interactive element with `action_id`?"""
    for block in blocks:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        if any(isinstance(e, dict) and e.get("action_id") == action_id for e in elements):
            return True
    return False
