"""Shows each run in Slack: its status message, edited in place, then its final summary.

`StatusCards.follow` subscribes to the run engine's progress and keeps, per run, one worker
task that is the only writer of that run's messages, so edits never overtake each other. The
progress loop itself never waits on Slack: it notes what changed and wakes the run's worker.

What a worker shows always comes from `engine.snapshot(run_id)` (SQLite), never from the
events themselves, so a restarted bot re-renders exactly what the old one would have. Events
only decide *when* to edit:

- a milestone (the prep stage starting or ending, the first phase of each group in
  `bot.views.run_status.MILESTONES`, the point of no return, blackout start and end, a lost or
  restored link, a cancel, a fatal 1430 message, the end) asks for an edit;
- anything else (the other ~18 phase lines, single commands, unknown lines) waits for the
  next milestone, however fast AIX prints;
- edits of one message are at least `Pacing.min_interval` (2 s) apart, and each waits
  `Pacing.settle` after the change that asked for it, so a burst becomes one edit.

A live kernel update thus costs about 10 edits of one message, plus the summary, the notices
(blackout, outcome) and, for a long config.diff, its upload: about 15 Web API calls however
many lines AIX prints. 429s are retried by the client after Retry-After (`bot.slack_client`);
while a call waits, newer changes simply fold into the next edit.

Nothing is posted twice: the status message's ts and the summary's are recorded
(`storage.run_messages`) right after posting, and checked before; so are the blackout and end
notices (`storage.shown`), which are posted when the run's record (not an event) shows a
measured blackout or an end. At start-up the runs that still owe a summary or a notice (the
bot died, or waited out Slack's 429s, in between) get them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.notify import Notifier
from bot.slack_client import upload_text
from bot.views.notices import notice_blackout, notice_run_ended
from bot.views.run_status import render_run_status, starts_milestone
from bot.views.run_summary import render_run_summary
from liveupdate.requests import Request
from lpar.progress import (
    AixError,
    BlackoutEnded,
    BlackoutStarted,
    CancelRequested,
    Gap,
    LinkLost,
    LinkRestored,
    PhaseReached,
    PointOfNoReturn,
    Progress,
    RolloutEnded,
    RolloutHeld,
    RunEnded,
    RunUnknown,
    StageFinished,
    StageStarted,
    WaveStarted,
)
from lpar.snapshot import RolloutSnapshot, RunSnapshot
from storage.run_messages import (
    RunMessages,
    record_status_message,
    record_summary_message,
    run_messages,
    runs_awaiting_summary,
)
from storage.shown import NoticeKind, notice_done, record_notice, runs_owing_notices
from storage.store import AsyncStore, Store

log = logging.getLogger(__name__)

SLACK_ERRORS = (SlackApiError, SlackClientError)
_FINISHED_KEPT = 1000
"""Ended runs remembered, so a late event cannot restart their worker."""


class RunSource(Protocol):
    """What the status cards need of the run engine (`lpar.engine.Engine`)."""

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[Progress]]: ...

    async def snapshot(self, run_id: str) -> RunSnapshot: ...

    @property
    def active(self) -> list[str]: ...

    async def rollout(self, request_id: str) -> RolloutSnapshot: ...


class Pacing(BaseModel):
    """How often one status message may be edited."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_interval: float = Field(default=2.0, ge=0)
    """Seconds between two edits of the same message."""
    settle: float = Field(default=1.0, ge=0)
    """Seconds an edit waits after the change that asked for it, for the changes that come
    with it (a stage ends and the next starts; a phase line and the banner after it)."""

    def delay(self, now: float, changed_at: float, sent_at: float | None) -> float:
        """Seconds to wait before the edit asked for at `changed_at`."""
        due = changed_at + self.settle
        if sent_at is not None:
            due = max(due, sent_at + self.min_interval)
        return max(0.0, due - now)


def is_milestone(event: Progress) -> bool:
    """Does this event ask for the status message to be edited?"""
    match event:
        case StageStarted():
            return event.stage in ("prep", "cancel")
        case StageFinished():
            return event.stage == "prep" or not event.ok
        case PhaseReached():
            return event.blackout or starts_milestone(event.index)
        case AixError():
            return event.fatal
        case (
            PointOfNoReturn()
            | BlackoutStarted()
            | BlackoutEnded()
            | LinkLost()
            | LinkRestored()
            | RunUnknown()
            | CancelRequested()
            | RunEnded()
        ):
            return True
    return False


class _RunCard:
    """The one writer of one run's messages."""

    def __init__(self, cards: StatusCards, run_id: str, request_id: str) -> None:
        self.cards = cards
        self.run_id = run_id
        self.request_id = request_id
        self.wanted = asyncio.Event()
        self.changed_at: float | None = None
        self.sent_at: float | None = None
        self.noticed: set[NoticeKind] = set()

    def want_edit(self, now: float) -> None:
        if self.changed_at is None:
            self.changed_at = now
        self.wanted.set()

    async def run(self) -> None:
        cards = self.cards
        while True:
            await self.wanted.wait()
            changed_at = self.changed_at if self.changed_at is not None else cards.clock()
            wait = cards.pacing.delay(cards.clock(), changed_at, self.sent_at)
            if wait > 0:
                await cards.sleep(wait)
            self.wanted.clear()
            self.changed_at = None
            snapshot = await cards.engine.snapshot(self.run_id)
            request = await cards.store.call(Store.get_request, self.request_id)
            places = await cards.store.call(run_messages, self.run_id)
            places = await self._show_status(snapshot, request, places)
            self.sent_at = cards.clock()
            if snapshot.blackout_seconds is not None:
                blackout = notice_blackout(snapshot)
                await self._notice_once(
                    "blackout", partial(cards.notifier.post, request.group, blackout)
                )
            if snapshot.outcome is not None:
                await self._finish(snapshot, request, places)
                return

    async def _show_status(
        self, snapshot: RunSnapshot, request: Request, places: RunMessages | None
    ) -> RunMessages | None:
        message = render_run_status(snapshot)
        cards = self.cards
        try:
            if places is not None and places.status_ts is not None:
                await cards.client.chat_update(
                    channel=places.channel, ts=places.status_ts, **message.as_kwargs()
                )
                return places
            channel, thread = self.cards.thread_of(request)
            posted = await cards.client.chat_postMessage(
                channel=channel, thread_ts=thread, unfurl_links=False, **message.as_kwargs()
            )
        except SLACK_ERRORS as error:
            # The run goes on whatever Slack says; the next milestone tries again.
            log.error("status of %s not shown: %s", self.run_id, error)
            return places
        return await cards.store.call(
            record_status_message, self.run_id, str(posted["channel"]), str(posted["ts"])
        )

    async def _finish(
        self, snapshot: RunSnapshot, request: Request, places: RunMessages | None
    ) -> None:
        owed = places is None or places.summary_ts is None
        if owed and not await self._post_summary(snapshot, request):
            return  # the next start of the bot tries again
        # The end is recorded by now: the notice anchors the audit chain's head.
        ended = partial(notice_run_ended, snapshot)
        await self._notice_once(
            "ended", partial(self.cards.notifier.post_end, request.group, ended)
        )

    async def _notice_once(
        self, kind: NoticeKind, post: Callable[[], Awaitable[str | None]]
    ) -> None:
        """Post the run's `kind` notice with `post` unless it was done, by this bot or an
        earlier one."""
        cards = self.cards
        if kind in self.noticed:
            return
        if not await cards.store.call(notice_done, self.run_id, kind):
            ts = await post()
            await cards.store.call(record_notice, self.run_id, kind, cards.now(), ts)
        self.noticed.add(kind)

    async def _post_summary(self, snapshot: RunSnapshot, request: Request) -> bool:
        cards = self.cards
        summary = render_run_summary(snapshot)
        channel, thread = cards.thread_of(request)
        try:
            posted = await cards.client.chat_postMessage(
                channel=channel, thread_ts=thread, unfurl_links=False, **summary.message.as_kwargs()
            )
        except SLACK_ERRORS as error:
            log.error("summary of %s not posted: %s", self.run_id, error)
            return False
        await cards.store.call(
            record_summary_message, self.run_id, str(posted["channel"]), str(posted["ts"])
        )
        if summary.attachment is not None:
            try:
                await upload_text(
                    cards.client,
                    channel=str(posted["channel"]),
                    thread_ts=thread,
                    filename=summary.attachment.filename,
                    title=summary.attachment.title,
                    content=summary.attachment.content,
                )
            except SLACK_ERRORS as error:
                log.error("config.diff of %s not uploaded: %s", self.run_id, error)
        return True


class StatusCards:
    """Every run's status message and summary; see the module text."""

    def __init__(
        self,
        client: AsyncWebClient,
        engine: RunSource,
        store: AsyncStore,
        notifier: Notifier,
        *,
        pacing: Pacing | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`clock` paces the edits; `now` dates the records of notices done."""
        self.client = client
        self.engine = engine
        self.store = store
        self.notifier = notifier
        self.pacing = pacing or Pacing()
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self._cards: dict[str, _RunCard] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()

    async def follow(self, ready: asyncio.Event | None = None) -> None:
        """Show every run's progress until cancelled. `ready` is set once subscribed (start
        the engine's reattach after that, so nothing it says is missed)."""
        try:
            async with self.engine.subscribe() as progress:
                if ready is not None:
                    ready.set()
                owed = await self.store.call(runs_awaiting_summary)
                owed += [r for r in await self.store.call(runs_owing_notices) if r not in owed]
                for run_id in owed:
                    run = await self.store.call(Store.get_run, run_id)
                    self._card(run_id, run.request_id).want_edit(self.clock())
                async for event in progress:
                    await self.note(event)
        finally:
            await self.aclose()

    async def note(self, event: Progress) -> None:
        """Take one progress event into account (the follow loop calls this)."""
        if isinstance(event, Gap):
            await self._refresh_active()
            return
        if isinstance(event, WaveStarted | RolloutHeld | RolloutEnded):
            return  # the request card shows rollouts; each run has its own messages
        if event.run_id in self._finished:
            return
        card = self._card(event.run_id, event.request_id)
        if is_milestone(event):
            card.want_edit(self.clock())

    async def idle(self) -> None:
        """Until every run's worker has ended (tests; bound it with a timeout)."""
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def aclose(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    def thread_of(self, request: Request) -> tuple[str, str | None]:
        """Where a run's messages go: the request card's thread; without a card (it could
        not be posted) the group's notification channel, unthreaded."""
        if request.card is not None:
            return request.card.channel, request.card.ts
        log.warning("%s has no card: its run is shown in the group's channel", request.id)
        return self.notifier.channel_of(request.group), None

    def _card(self, run_id: str, request_id: str) -> _RunCard:
        card = self._cards.get(run_id)
        if card is None:
            card = self._cards[run_id] = _RunCard(self, run_id, request_id)
            worker = asyncio.get_running_loop().create_task(
                self._work(card), name=f"status card {run_id}"
            )
            self._workers[run_id] = worker
        return card

    async def _work(self, card: _RunCard) -> None:
        try:
            await card.run()
        except asyncio.CancelledError:
            raise
        # A failing worker must not take the progress loop down with it: the run goes on,
        # the next milestone starts a new worker, and at the latest the next start of the bot
        # posts the summary.
        except Exception:
            log.exception("status card of %s stopped", card.run_id)
        else:
            self._finished[card.run_id] = None
            while len(self._finished) > _FINISHED_KEPT:
                self._finished.popitem(last=False)
        finally:
            self._cards.pop(card.run_id, None)
            self._workers.pop(card.run_id, None)

    async def _refresh_active(self) -> None:
        for request_id in self.engine.active:
            rollout = await self.engine.rollout(request_id)
            for snapshot in rollout.runs:
                if snapshot.run.id not in self._finished:
                    self._card(snapshot.run.id, request_id).want_edit(self.clock())
