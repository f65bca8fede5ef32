"""The status cards: when the status message is edited, how many Web API calls a whole live
kernel update costs, and that nothing is posted twice across a restart.

Time is virtual here: the cards sleep on a fake clock that the test moves along the real
transcript's timeline (`lku-success-1.log`, 11 minutes), so pacing is measured exactly and the
test takes a fraction of a second. Slack is a recorder that checks every message's blocks.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.notify import Notifier
from bot.status_card import Pacing, StatusCards, is_milestone
from liveupdate.lvlog import LogFollower
from liveupdate.requests import Launch, SlackLocation
from liveupdate.runs import Run, RunState
from lpar.progress import (
    AftercareRecorded,
    CommandFinished,
    Gap,
    OperationExited,
    OperationSent,
    OperationStarted,
    PhaseReached,
    Progress,
    RunEnded,
    StageFinished,
    StageStarted,
)
from lpar.snapshot import RolloutSnapshot, RunSnapshot
from sim.slack.blockkit import check_blocks, text_of
from storage.run_messages import record_status_message, run_messages
from storage.store import Store
from tests.bot.views.factory import (
    LAUNCHED,
    POST,
    PREP,
    aftercare,
    done,
    lku_snapshot,
    progress_of,
    stages,
)
from tests.liveupdate.samples import success_lines
from tests.policy.factory import REQUESTER, example_groups, prod_policy
from tests.storage.conftest import LOG_DIR, NOW, open_approved

CARD = SlackLocation(channel="C0AIXTEAM", ts="1764367200.000100")
PREVIEW_SECONDS = 40.0
"""How long geninstall's own preview runs before it prints its first line (as in the sim)."""


# --- the fakes ----------------------------------------------------------------------------


class FakeClock:
    """Monotonic seconds that move only when the test says; `sleep` waits for that."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), future))
        await future

    async def advance_to(self, moment: float) -> None:
        await settle()
        while self._sleepers and self._sleepers[0][0] <= moment:
            deadline, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, deadline)
            if not future.done():
                future.set_result(None)
            await settle()
        self.now = max(self.now, moment)
        await settle()


async def settle() -> None:
    """Let every task run until it waits on the fake clock or on an event."""
    for _ in range(200):
        await asyncio.sleep(0)


@dataclass
class Call:
    method: str
    at: float
    args: dict[str, Any]


@dataclass
class RecordingSlack:
    """The three Web API methods the cards use; every message's blocks must be valid."""

    clock: FakeClock
    calls: list[Call] = field(default_factory=list)
    fail_next: dict[str, str] = field(default_factory=dict)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _record(self, method: str, args: dict[str, Any]) -> None:
        self.calls.append(Call(method, self.clock.now, args))
        if "blocks" in args:
            assert check_blocks(args["blocks"]) == []
        error = self.fail_next.pop(method, None)
        if error is not None:
            raise SlackApiError(error, _response({"ok": False, "error": error}))

    async def chat_postMessage(self, **args: Any) -> dict[str, Any]:
        self._record("chat.postMessage", args)
        return {"ok": True, "channel": args["channel"], "ts": f"1764370000.{next(self._ts):06d}"}

    async def chat_update(self, **args: Any) -> dict[str, Any]:
        self._record("chat.update", args)
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    async def files_upload_v2(self, **args: Any) -> dict[str, Any]:
        self._record("files.upload_v2", args)
        return {"ok": True, "files": [{"id": "F0DIFF", "title": args["title"]}]}

    def status_posts(self) -> list[Call]:
        return [c for c in self.calls if c.method == "chat.postMessage" and "thread_ts" in c.args]

    def to(self, channel: str) -> list[Call]:
        return [c for c in self.calls if c.args.get("channel") == channel]


def _response(data: dict[str, Any]) -> AsyncSlackResponse:
    return AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="https://slack.com/api/chat.update",
        req_args={},
        data=data,
        headers={},
        status_code=200,
    )


class SyncStore:
    """`AsyncStore.call` without its thread: the test's store answers on the event loop."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return method(self.store, *args, **kwargs)


class ScriptedEngine:
    """Publishes progress like the engine: the snapshot is saved first, then the event."""

    def __init__(self, snapshot: RunSnapshot) -> None:
        self.current = snapshot
        self.queues: list[asyncio.Queue[Progress]] = []
        self.active: list[str] = [snapshot.run.request_id]

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Progress]]:
        queue: asyncio.Queue[Progress] = asyncio.Queue()
        self.queues.append(queue)

        async def events() -> AsyncIterator[Progress]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            self.queues.remove(queue)

    async def snapshot(self, run_id: str) -> RunSnapshot:
        assert run_id == self.current.run.id
        return self.current

    async def rollout(self, request_id: str) -> RolloutSnapshot:
        return RolloutSnapshot(
            request_id=request_id, waves=((self.current.run.lpar,),), runs=(self.current,)
        )

    def publish(self, snapshot: RunSnapshot, events: list[Progress]) -> None:
        self.current = snapshot
        for event in events:
            for queue in self.queues:
                queue.put_nowait(event)


# --- the timeline of a whole run -----------------------------------------------------------


@dataclass
class Step:
    at: float
    """Seconds since the launch, lkubot's clock."""
    snapshot: RunSnapshot
    events: list[Progress]


def timeline(run: Run, *, burst: bool = False, diff: str | None = None) -> list[Step]:
    """The real transcript as the engine would publish it: prep (two commands), the
    operation's log lines at their own timestamps (all at once when `burst`), post, the end."""
    common: dict[str, Any] = {"request_id": run.request_id, "run_id": run.id, "lpar": run.lpar}

    def at(seconds: float) -> datetime:
        return LAUNCHED + timedelta(seconds=seconds)

    def snap(lines: int, seconds: float, **changes: Any) -> RunSnapshot:
        return lku_snapshot(lines, run=run, elapsed=seconds, **changes)

    prep_running = stages(prep="running", lu="pending")
    steps = [
        Step(
            0.0,
            snap(0, 0.0, stages=prep_running),
            [StageStarted(**common, at=at(0), stage="prep", commands=PREP)],
        ),
        Step(
            0.5,
            snap(0, 0.5, stages=prep_running),
            [
                CommandFinished(**common, at=at(0.5), stage="prep", index=i, outcome=done(c))
                for i, c in enumerate(PREP)
            ],
        ),
        Step(
            1.0,
            snap(0, 1.0, stages=stages(lu="running")),
            [
                StageFinished(**common, at=at(1.0), stage="prep", ok=True),
                StageStarted(**common, at=at(1.0), stage="lu", commands=("geninstall -k",)),
                OperationSent(**common, at=at(1.0), command="geninstall -k", log_path=LOG_DIR),
                OperationStarted(**common, at=at(1.0), pid=4718834, line=1),
            ],
        ),
    ]
    follower = LogFollower()
    lines = success_lines()
    first_stamp: datetime | None = None
    for number, line in enumerate(lines, start=1):
        events = follower.feed(line)
        if number == len(lines):
            events += follower.finish()
        stamps = [e.at for e in events if getattr(e, "at", None) is not None]
        if first_stamp is None and stamps:
            first_stamp = stamps[0]
        offset = (stamps[0] - first_stamp).total_seconds() if stamps and first_stamp else 0.0
        seconds = 1.0 + PREVIEW_SECONDS + (number * 0.001 if burst else offset)
        seconds = max(seconds, steps[-1].at)
        published = [p for p in (progress_of(e, at(seconds), run) for e in events) if p]
        if published:
            steps.append(Step(seconds, snap(number, seconds), published))
    end = steps[-1].at + 5.0
    care = aftercare(diff=diff)
    finished = stages(lu="done", post="done")
    steps.append(
        Step(
            end,
            snap(len(lines), end, stages=stages(lu="done", post="running"), exit_code=0),
            [
                OperationExited(**common, at=at(end), exit_code=0, line=len(lines) + 1),
                AftercareRecorded(**common, at=at(end), aftercare=care),
                StageStarted(**common, at=at(end), stage="post", commands=POST),
            ],
        )
    )
    last = end + 1.5
    ended = run.model_copy(update={"state": RunState.SUCCEEDED})
    steps.append(
        Step(
            last,
            lku_snapshot(
                run=ended,
                outcome="succeeded",
                elapsed=last,
                stages=finished,
                exit_code=0,
                aftercare=care,
            ),
            [
                *(
                    CommandFinished(**common, at=at(last), stage="post", index=i, outcome=done(c))
                    for i, c in enumerate(POST)
                ),
                StageFinished(**common, at=at(last), stage="post", ok=True),
                RunEnded(**common, at=at(last), outcome="succeeded", exit_code=0, aftercare=care),
            ],
        )
    )
    return steps


# --- fixtures -------------------------------------------------------------------------------


@dataclass
class Rig:
    store: Store
    run: Run
    clock: FakeClock
    slack: RecordingSlack

    def cards(self, engine: ScriptedEngine) -> StatusCards:
        return StatusCards(
            self.slack,  # type: ignore[arg-type]
            engine,
            SyncStore(self.store),  # type: ignore[arg-type]
            Notifier(self.slack, example_groups(), SyncStore(self.store)),  # type: ignore[arg-type]
            pacing=Pacing(),
            clock=self.clock,
            sleep=self.clock.sleep,
        )


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    policy = prod_policy()
    with Store.open(tmp_path / "lkubot.db") as store:
        request = open_approved(store, policy)
        store.set_card(request.id, CARD)
        event = Launch(user=REQUESTER, fingerprints=request.fingerprints)
        (run,) = store.launch(request.id, event, policy, NOW, {"lpar01": LOG_DIR}).runs
        clock = FakeClock()
        yield Rig(store, run, clock, RecordingSlack(clock))


async def play(rig: Rig, engine: ScriptedEngine, steps: list[Step]) -> None:
    for step in steps:
        await rig.clock.advance_to(step.at)
        engine.publish(step.snapshot, step.events)
        await settle()
    await rig.clock.advance_to(steps[-1].at + 60)


@asynccontextmanager
async def following(cards: StatusCards) -> AsyncIterator[asyncio.Task[None]]:
    ready = asyncio.Event()
    task = asyncio.create_task(cards.follow(ready))
    await asyncio.wait_for(ready.wait(), timeout=5)
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# --- tests ----------------------------------------------------------------------------------


def test_milestones_of_the_real_transcript_are_few() -> None:
    run = lku_snapshot(0).run
    wanted = [e for step in timeline(run) for e in step.events if is_milestone(e)]
    phases = [e for step in timeline(run) for e in step.events if isinstance(e, PhaseReached)]
    assert len(phases) == 25
    # prep started and ended, 7 milestones, the banner, blackout start and end, the end
    assert len(wanted) == 13


def test_pacing_waits_for_the_burst_and_keeps_two_seconds_between_edits() -> None:
    pacing = Pacing(min_interval=2.0, settle=1.0)
    assert pacing.delay(now=10.0, changed_at=10.0, sent_at=None) == 1.0
    assert pacing.delay(now=10.0, changed_at=10.0, sent_at=9.5) == 1.5
    assert pacing.delay(now=20.0, changed_at=10.0, sent_at=9.5) == 0.0


async def test_a_whole_live_kernel_update_costs_at_most_15_calls(rig: Rig) -> None:
    steps = timeline(rig.run)
    engine = ScriptedEngine(steps[0].snapshot)
    async with following(rig.cards(engine)):
        await play(rig, engine, steps)
    calls = rig.slack.calls
    assert len(calls) <= 15, [(c.method, c.at) for c in calls]

    thread = [c for c in calls if c.args.get("thread_ts") == CARD.ts]
    status, summary = thread
    assert "the live update has not started yet" in text_of(status.args["blocks"])
    assert ":tada: succeeded: *LU-1*" in text_of(summary.args["blocks"])

    edits = [c for c in calls if c.method == "chat.update"]
    assert {c.args["ts"] for c in edits} == {"1764370000.000001"}  # one message, in place
    assert 8 <= len(edits) <= 11
    moments = [status.at, *(c.at for c in edits)]
    assert all(b - a >= 2.0 for a, b in itertools.pairwise(moments))
    final = text_of(edits[-1].args["blocks"])
    assert ":tada: succeeded after" in final
    assert all(block["type"] != "actions" for block in edits[-1].args["blocks"])

    notices = rig.slack.to("C0PRODOPS")
    assert [text_of(n.args["blocks"]).split(" ")[0] for n in notices] == [":stopwatch:", ":tada:"]
    assert "blackout 21 s" in text_of(notices[0].args["blocks"])


async def test_the_end_notice_anchors_the_audit_chain_outside_the_database(rig: Rig) -> None:
    steps = timeline(rig.run)
    engine = ScriptedEngine(steps[0].snapshot)
    async with following(rig.cards(engine)):
        await play(rig, engine, steps)
    blackout, ended = (text_of(n.args["blocks"]) for n in rig.slack.to("C0PRODOPS"))
    head = rig.store.audit_head()
    assert head is not None
    assert ended.endswith(f" · audit head `{head.anchor}`")
    assert "audit head" not in blackout, "only the notice of the end anchors"
    assert rig.store.verify_audit(anchor=head.anchor).anchored


async def test_cancel_is_offered_until_the_point_of_no_return_and_the_blackout_shows(
    rig: Rig,
) -> None:
    steps = timeline(rig.run)
    engine = ScriptedEngine(steps[0].snapshot)
    async with following(rig.cards(engine)):
        await play(rig, engine, steps)
    shown = [c for c in rig.slack.calls if c.args.get("ts") == "1764370000.000001"]
    with_cancel = ["cancel_run" in str(c.args["blocks"]) for c in shown]
    # Offered at first, gone for good once the banner was read.
    assert with_cancel[0]
    assert not any(with_cancel[with_cancel.index(False) :])
    texts = [text_of(c.args["blocks"]) for c in shown]
    assert any("*BLACKOUT in progress*" in t for t in texts)
    assert any(":stopwatch: Blackout: *21 s*" in t for t in texts)


async def test_however_fast_aix_prints_the_message_is_edited_every_two_seconds_at_most(
    rig: Rig,
) -> None:
    steps = timeline(rig.run, burst=True)
    engine = ScriptedEngine(steps[0].snapshot)
    async with following(rig.cards(engine)):
        await play(rig, engine, steps)
    edits = [c for c in rig.slack.calls if c.method == "chat.update"]
    assert len(edits) <= 4
    assert len(rig.slack.calls) <= 8
    assert ":tada: succeeded after" in text_of(edits[-1].args["blocks"])


async def test_a_long_config_diff_is_uploaded_in_the_thread(rig: Rig) -> None:
    diff = "".join(
        f"--- /etc/f{n}.orig\n+++ /etc/f{n}\n@@ -1,1 +1,1 @@\n-{'a' * 100}\n+{'b' * 100}\n"
        for n in range(40)
    )
    steps = timeline(rig.run, diff=diff)
    engine = ScriptedEngine(steps[0].snapshot)
    async with following(rig.cards(engine)):
        await play(rig, engine, steps)
    (upload,) = [c for c in rig.slack.calls if c.method == "files.upload_v2"]
    assert upload.args["thread_ts"] == CARD.ts
    assert upload.args["content"] == diff
    assert len(rig.slack.calls) <= 16


async def test_a_restarted_bot_edits_the_same_message_and_posts_one_summary(rig: Rig) -> None:
    steps = timeline(rig.run)
    half = len(steps) // 2
    first = ScriptedEngine(steps[0].snapshot)
    async with following(rig.cards(first)):
        await play(rig, first, steps[:half])
    posted = rig.slack.status_posts()
    assert len(posted) == 1
    # A new process: new cards, new engine, the same database.
    second = ScriptedEngine(steps[half].snapshot)
    async with following(rig.cards(second)):
        await play(rig, second, steps[half:])
    assert rig.slack.status_posts()[0] is posted[0]
    summaries = [
        c
        for c in rig.slack.status_posts()
        if ":tada: succeeded: *LU-1*" in text_of(c.args["blocks"])
    ]
    assert len(summaries) == 1
    assert len(rig.slack.status_posts()) == 2
    # The end seen again (a replayed delivery) changes nothing.
    calls = len(rig.slack.calls)
    third = ScriptedEngine(steps[-1].snapshot)
    async with following(rig.cards(third)):
        await play(rig, third, steps[-1:])
    assert len(rig.slack.calls) == calls


async def test_a_summary_missed_while_the_bot_was_down_is_posted_at_start(rig: Rig) -> None:
    steps = timeline(rig.run)
    record_status_message(rig.store, rig.run.id, CARD.channel, "1764370000.000777")
    running = rig.store.save_run(
        rig.run.model_copy(update={"state": RunState.RUNNING, "version": rig.run.version + 1}),
        NOW,
    )
    ended = running.model_copy(
        update={"state": RunState.SUCCEEDED, "version": running.version + 1, "ended_at": NOW}
    )
    rig.store.save_run(ended, NOW)
    engine = ScriptedEngine(steps[-1].snapshot)
    async with following(rig.cards(engine)):
        await rig.clock.advance_to(10)
    methods = [(c.method, c.args.get("ts")) for c in rig.slack.calls]
    assert methods[0] == ("chat.update", "1764370000.000777")
    assert methods[1] == ("chat.postMessage", None)
    places = run_messages(rig.store, rig.run.id)
    assert places is not None
    assert places.summary_ts is not None


async def test_a_refused_edit_is_logged_and_the_run_is_still_shown_to_its_end(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    steps = timeline(rig.run)
    rig.slack.fail_next["chat.update"] = "message_not_found"
    engine = ScriptedEngine(steps[0].snapshot)
    async with following(rig.cards(engine)):
        await play(rig, engine, steps)
    assert "status of LU-1-1 not shown" in caplog.text
    assert any(":tada: succeeded: *LU-1*" in text_of(c.args["blocks"]) for c in rig.slack.calls)


async def test_after_a_gap_the_active_runs_are_shown_again_from_their_snapshot(rig: Rig) -> None:
    steps = timeline(rig.run)
    engine = ScriptedEngine(steps[0].snapshot)
    async with following(rig.cards(engine)):
        await play(rig, engine, steps[:1])
        before = len(rig.slack.calls)
        engine.publish(steps[5].snapshot, [Gap(missed=12)])
        await rig.clock.advance_to(rig.clock.now + 10)
    edits = rig.slack.calls[before:]
    assert [c.method for c in edits] == ["chat.update"]
    assert "phase 2 of 25" in text_of(edits[0].args["blocks"])
