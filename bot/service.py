"""The running bot: settings -> inventory -> storage -> run engine -> app, and its life cycle.

    async with Bot.running(BotConfig(...), client) as bot:
        bot.app          # serve it over HTTP (bot.app.web_app) or Socket Mode
        ...
    # on leaving: listeners' work cancelled, the engine stops following (operations on the
    # LPARs are not touched), SQLite closed

At start-up, in this order: the progress followers subscribe (so nothing the engine says is
missed), the engine reattaches to every run left unfinished (following each from its saved
log line; nothing is started again), Slack is caught up with SQLite in the background (the
cards an earlier bot left behind their request are edited, the "launched" notices it owed are
posted; the status cards do the same for runs' summaries and notices), and the expiry
sweeper starts. Only then does the caller connect the app to Slack.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import BotParts, build_app
from bot.auth import DEFAULT_TTL, ChannelAllowList, SlackMembership
from bot.notify import Notifier
from bot.status_card import StatusCards
from bot.tasks import TaskRegistry
from bot.views.notices import notice_rollout_held
from bot.workflow import Workflow
from commands.services import Services
from lpar.engine import Engine, utc_now
from lpar.inventory import GROUP_PREFIX, Inventory
from lpar.options import EngineOptions
from lpar.progress import LinkRestored, Progress, RolloutEnded, RolloutHeld, RunEnded, RunUnknown
from storage.instance_lock import InstanceLock
from storage.run_records import StoredRunRecords
from storage.shown import card_is_behind, stale_cards, unannounced_launches
from storage.store import AsyncStore, Store

log = logging.getLogger(__name__)

SUBSCRIBE_WITHIN = 10.0
"""Seconds a follower may take to subscribe to the engine at start-up."""


class BotConfig(BaseModel):
    """What the bot is started with (from `bot.settings.Settings` in `lkubot run`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    inventory: Inventory
    db: Path
    signing_secret: str | None = None
    """Set for HTTP mode; None for Socket Mode."""
    channels: tuple[str, ...] = ()
    membership_ttl: float = Field(default=DEFAULT_TTL, gt=0)
    sweep_every: float = Field(default=60.0, gt=0)
    """Seconds between looks for requests whose approvals have expired."""
    engine: EngineOptions = Field(default_factory=EngineOptions)
    shutdown_grace: float = Field(default=10.0, gt=0)


@dataclass(frozen=True)
class FollowerParts:
    """What a progress follower (the status cards) is built from."""

    client: AsyncWebClient
    engine: Engine
    store: AsyncStore
    notifier: Notifier


class Follower(Protocol):
    """Something that shows the engine's progress in Slack for as long as the bot runs."""

    async def follow(self, subscribed: asyncio.Event) -> None:
        """Subscribe to the engine, set `subscribed`, then handle events until cancelled."""
        ...


FollowerFactory = Callable[[FollowerParts], Follower]


def status_cards(parts: FollowerParts) -> Follower:
    """Each run's status message and final summary in the request card's thread."""
    return StatusCards(parts.client, parts.engine, parts.store, parts.notifier)


@dataclass
class Bot:
    """The parts of one running bot, for the caller to serve and tests to inspect."""

    app: AsyncApp
    workflow: Workflow
    services: Services
    engine: Engine
    tasks: TaskRegistry
    """The work listeners started on people's behalf (idle once it is all done)."""
    background: TaskRegistry = field(default_factory=TaskRegistry)
    """What runs as long as the bot does: progress followers, the expiry sweeper."""
    reattached: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=utc_now)
    """When this bot started: launches recorded from then on are its own to announce."""

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        config: BotConfig,
        client: AsyncWebClient,
        *,
        followers: Sequence[FollowerFactory] = (status_cards,),
        clock: Callable[[], datetime] = utc_now,
    ) -> AsyncIterator[Bot]:
        """The bot, started; `followers` (the status cards) subscribe before reattach.

        Only one bot runs on a database: a second one is refused (`DatabaseInUse`) before it
        touches anything, since both would follow, and could start, the same runs."""
        with InstanceLock(config.db):
            async with cls._started(config, client, followers=followers, clock=clock) as bot:
                yield bot

    @classmethod
    @contextlib.asynccontextmanager
    async def _started(
        cls,
        config: BotConfig,
        client: AsyncWebClient,
        *,
        followers: Sequence[FollowerFactory],
        clock: Callable[[], datetime],
    ) -> AsyncIterator[Bot]:
        store = await AsyncStore.open(config.db)
        try:
            async with Engine(
                config.inventory, StoredRunRecords(store), options=config.engine, clock=clock
            ) as engine:
                services = Services(
                    store=store,
                    inventory=config.inventory,
                    engine=engine,
                    directory=SlackMembership(client, ttl=config.membership_ttl),
                    clock=clock,
                )
                notifier = Notifier(client, config.inventory.groups, store)
                tasks = TaskRegistry()
                app, workflow = build_app(
                    BotParts(
                        client=client,
                        services=services,
                        notifier=notifier,
                        tasks=tasks,
                        signing_secret=config.signing_secret,
                        channels=ChannelAllowList(config.channels),
                    )
                )
                bot = cls(app, workflow, services, engine, tasks, started_at=clock())
                try:
                    parts = FollowerParts(client, engine, store, notifier)
                    await bot._start([make(parts) for make in followers], config)
                    yield bot
                finally:
                    await tasks.shutdown(config.shutdown_grace)
                    await bot.background.shutdown(config.shutdown_grace)
        finally:
            await store.close()

    async def _start(self, followers: list[Follower], config: BotConfig) -> None:
        for follower in [*followers, self]:
            subscribed = asyncio.Event()
            self.background.spawn(follower.follow(subscribed), name=type(follower).__name__)
            await asyncio.wait_for(subscribed.wait(), timeout=SUBSCRIBE_WITHIN)
        self.reattached = await self.engine.reattach()
        if self.reattached:
            log.info("reattached to %s", ", ".join(self.reattached))
        self.background.spawn(self.catch_up(), name="Slack catch-up")
        self.background.spawn(self._sweep(config.sweep_every), name="expiry sweeper")

    async def catch_up(self) -> None:
        """Show what an earlier bot recorded but did not get to show in Slack (it died, or was
        waiting out 429s, between the two): cards behind their request, "launched" notices.
        Only launches recorded before this bot started are owed: a launch of its own may
        still be on its way to Slack (held back by 429s while the cards above are edited),
        and posting it here too would show it twice."""
        store = self.services.store
        for request_id in await store.call(stale_cards):
            request = await store.call(Store.get_request, request_id)
            await self._quietly(self.workflow.refresh_card(request))
        for request_id in await store.call(unannounced_launches, before=self.started_at):
            request = await store.call(Store.get_request, request_id)
            await self.workflow.announce_launch(request)

    async def follow(self, subscribed: asyncio.Event) -> None:
        """Show the outcome on the request card when a run or rollout ends."""
        async with self.engine.subscribe() as progress:
            subscribed.set()
            async for event in progress:
                await self._on_progress(event)

    async def _on_progress(self, event: Progress) -> None:
        if isinstance(event, RunUnknown | LinkRestored):
            await self._show_contact(event.request_id)
            return
        if not isinstance(event, RunEnded | RolloutHeld | RolloutEnded):
            return
        request = await self.services.store.call(Store.get_request, event.request_id)
        if isinstance(event, RolloutHeld):
            await self.workflow.notifier.post(request.group, notice_rollout_held(event, request))
        if isinstance(event, RunEnded) and request.target.startswith(GROUP_PREFIX):
            return  # a rollout's card shows its end once, at RolloutEnded
        await self._quietly(self.workflow.refresh_card(request))

    async def _show_contact(self, request_id: str) -> None:
        """A run lost contact or found it again: when that changed the request's state
        (running <-> unknown), its card shows it."""
        store = self.services.store
        request = await store.call(Store.get_request, request_id)
        if await store.call(card_is_behind, request.id, request.version):
            await self._quietly(self.workflow.refresh_card(request))

    async def _sweep(self, every: float) -> None:
        """Expire requests whose approvals have run out, and show it on their cards."""
        while True:
            expired = await self.services.store.call(Store.expire_due, self.services.clock())
            for request in expired:
                await self._quietly(self.workflow.refresh_card(request))
            await asyncio.sleep(every)

    @staticmethod
    async def _quietly(work: Awaitable[None]) -> None:
        """A card edit that Slack refuses is logged; the recorded state stays as it is."""
        try:
            await work
        except (SlackApiError, SlackClientError) as error:
            log.error("request card not updated: %s", error)
