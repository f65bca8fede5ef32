"""Group rollouts: the canary alone, then waves with at most one LPAR per managed system, and
a stop at the first failure."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

from liveupdate.checks import CheckStatus
from liveupdate.policy import WEEKDAYS, ChangeWindow
from liveupdate.requests import RequestState
from liveupdate.runs import Run, RunEvent, RunState
from lpar.progress import RolloutHeld, RunUnknown, WaveStarted
from sim.aix.faults import PhaseFailure
from storage.store import Store
from tests.lpar.conftest import WAIT
from tests.lpar.harness import QUICK, REQUESTER, Recorder, world

ADMIN = "U0ADMIN01"

# lkubot sim: groups alternate test, prod; frames a, a, b, b, c, c, a, a, ...
# Group test: lpar001 (a), 003 (b), 005 (c), 007 (a), 009 (b), 011 (c).
WAVES = [("lpar001",), ("lpar003", "lpar005", "lpar007"), ("lpar009", "lpar011")]


async def test_a_group_rolls_out_canary_first_then_one_lpar_per_frame_at_a_time(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, 12) as w:
        engine = w.engine()
        request = await w.request(engine, "group:test")
        assert [p.lpar for p in request.previews] == sorted(n for wave in WAVES for n in wave)
        async with Recorder().listening(engine) as recorder:
            launched = await w.launch(engine, request)
            assert launched.state is RequestState.RUNNING
            assert [r.lpar for r in await w.store.call(Store.runs_of, request.id)] == ["lpar001"]
            ended = await recorder.ended(request.id, within=30)

        assert ended.outcome == "succeeded"
        assert [(e.wave, e.waves, e.lpars) for e in recorder.of(WaveStarted)] == [
            (n, 3, wave) for n, wave in enumerate(WAVES, start=1)
        ]
        runs = {r.lpar: r for r in await w.store.call(Store.runs_of, request.id)}
        assert all(run.state is RunState.SUCCEEDED for run in runs.values())
        for earlier, later in itertools.pairwise(WAVES):
            last_end = max(_ended_at(runs[name]) for name in earlier)
            assert all(runs[name].started_at >= last_end for name in later)
        frames = {lpar.name: lpar.managed_system for lpar in w.inventory.lpars.values()}
        for wave in WAVES:
            assert len({frames[name] for name in wave}) == len(wave)
        for name in runs:
            assert len(w.operations(name)) == 1
        snapshot = await engine.rollout(request.id)
        assert snapshot.waves == tuple(WAVES)
        assert snapshot.current_wave == 3
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.SUCCEEDED


def _ended_at(run: Run) -> datetime:
    assert run.ended_at is not None
    return run.ended_at


async def test_a_rollout_stops_after_the_wave_with_the_first_failure(tmp_path: Path) -> None:
    async with world(tmp_path, 12) as w:
        w.fleet.lpar("lpar005").state.faults.fail_at = PhaseFailure(phase="mirroring")
        engine = w.engine()
        request = await w.request(engine, "group:test")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            ended = await recorder.ended(request.id, within=30)

        assert ended.outcome == "failed"
        assert ended.message == "The rollout stopped: the run on lpar005 failed."
        runs = {r.lpar: r.state for r in await w.store.call(Store.runs_of, request.id)}
        assert runs == {
            "lpar001": RunState.SUCCEEDED,
            "lpar003": RunState.SUCCEEDED,
            "lpar005": RunState.FAILED,
            "lpar007": RunState.SUCCEEDED,
        }
        assert w.operations("lpar009") == w.operations("lpar011") == []
        request = await w.store.call(Store.get_request, request.id)
        assert request.state is RequestState.FAILED
        assert await w.store.call(Store.locks) == []


async def test_a_rollout_stops_before_an_lpar_whose_preview_changed_since_the_approval(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, 4) as w:
        engine = w.engine()
        request = await w.request(engine, "group:test")  # lpar001 (a), lpar003 (b)
        assert all(c.status is CheckStatus.PASS for p in request.previews for c in p.checks)
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            state = w.fleet.lpar("lpar003").state
            state.lvupdate_data = (state.lvupdate_data or "") + "* edited after the approval\n"
            ended = await recorder.ended(request.id)

        assert ended.outcome == "failed"
        assert ended.message == (
            "What was previewed on lpar003 changed since the approval, so the rollout stopped "
            "before it: preview again."
        )
        assert [r.lpar for r in await w.store.call(Store.runs_of, request.id)] == ["lpar001"]
        assert w.operations("lpar003") == []


HELD = QUICK.model_copy(update={"hold_recheck": 0.05})
"""A held rollout looks again every 50 ms."""


async def test_a_freeze_switched_on_during_a_rollout_holds_the_next_wave_until_it_is_lifted(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, 4) as w:
        engine = w.engine(HELD)
        request = await w.request(engine, "group:test")  # waves: lpar001, then lpar003
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            previewed = len(w.received("lpar003", "geninstall -k -p"))
            await w.store.call(
                Store.set_freeze, active=True, by=ADMIN, reason="incident INC42", now=_now()
            )
            held = await recorder.until(lambda e: isinstance(e, RolloutHeld))
            assert isinstance(held, RolloutHeld)
            assert (held.wave, held.waves) == (2, 2)
            assert held.message.startswith(
                f"The rollout of {request.id} waits before its next wave: lkubot is frozen "
                "(incident INC42). It goes on by itself once the freeze is lifted"
            )
            assert [r.lpar for r in await w.store.call(Store.runs_of, request.id)] == ["lpar001"]
            assert len(w.received("lpar003", "geninstall -k -p")) == previewed
            lifted = _now()
            await w.store.call(Store.set_freeze, active=False, by=ADMIN, reason=None, now=lifted)
            ended = await recorder.ended(request.id)

        assert ended.outcome == "succeeded"
        assert len(recorder.of(RolloutHeld)) == 1
        runs = {r.lpar: r for r in await w.store.call(Store.runs_of, request.id)}
        assert runs["lpar003"].started_at >= lifted
        assert len(w.operations("lpar003")) == 1


async def test_a_change_window_that_closes_during_a_rollout_holds_it_until_the_next_one(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, 4) as w:
        # Group test may launch daily from an hour ago to an hour from now (UTC).
        opened = datetime.now(UTC).replace(second=0, microsecond=0)
        window = ChangeWindow(
            days=list(WEEKDAYS),
            start=(opened - timedelta(hours=1)).time(),
            end=(opened + timedelta(hours=1)).time(),
            timezone="UTC",
        )
        groups = dict(w.inventory.groups)
        groups["test"] = groups["test"].model_copy(update={"change_windows": [window]})
        w.inventory = w.inventory.model_copy(update={"groups": groups})
        later = [timedelta(0)]
        engine = w.engine(HELD, clock=lambda: datetime.now(UTC) + later[0])
        request = await w.request(engine, "group:test")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            later[0] = timedelta(hours=3)  # the canary outlasts the window
            held = await recorder.until(lambda e: isinstance(e, RolloutHeld))
            assert isinstance(held, RolloutHeld)
            assert "group test's change windows are closed" in held.message
            assert "once the next window opens" in held.message
            assert [r.lpar for r in await w.store.call(Store.runs_of, request.id)] == ["lpar001"]
            later[0] = timedelta(days=1)  # the same window, the next day
            ended = await recorder.ended(request.id)

        assert ended.outcome == "succeeded"
        assert len(w.operations("lpar003")) == 1


async def test_a_cancel_while_the_rollout_is_held_ends_it_with_no_further_wave(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, 4) as w:
        engine = w.engine(HELD)
        request = await w.request(engine, "group:test")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            await w.store.call(Store.set_freeze, active=True, by=ADMIN, reason="INC42", now=_now())
            await recorder.until(lambda e: isinstance(e, RolloutHeld))
            sent = await engine.cancel(request.id, user=REQUESTER, policy=w.policy("test"))
            ended = await recorder.ended(request.id)

        assert sent.message == "No further wave will start."
        assert ended.outcome == "cancelled"
        assert ended.message == f"Cancelled by <@{REQUESTER}>: no further wave was started."
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.CANCELLED
        assert w.operations("lpar003") == []


async def test_an_admin_hold_on_a_later_wave_lpar_ends_the_rollout_saying_so(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, 4) as w:
        engine = w.engine(HELD)
        request = await w.request(engine, "group:test")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            await w.store.call(
                Store.hold, "lpar003", by=ADMIN, reason="storage migration", now=_now()
            )
            ended = await recorder.ended(request.id)

        assert ended.outcome == "failed"
        assert ended.message is not None
        assert ended.message.startswith(
            "The rollout stopped before wave 2: lpar003 is held by U0ADMIN01 since "
        )
        assert ended.message.endswith("(storage migration): wait until it is released.")
        request = await w.store.call(Store.get_request, request.id)
        assert request.state is RequestState.FAILED
        assert request.note == ended.message
        assert [r.lpar for r in await w.store.call(Store.runs_of, request.id)] == ["lpar001"]
        assert [(lock.lpar, lock.owner) for lock in await w.store.call(Store.locks)] == [
            ("lpar003", ADMIN)
        ]


async def test_a_later_wave_lpar_out_of_reach_holds_the_rollout_until_it_answers(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, 4) as w:
        engine = w.engine(HELD)
        request = await w.request(engine, "group:test")
        lpar003 = w.fleet.lpar("lpar003")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            lpar003.drop_connections(virtual_seconds=3_600_000)
            held = await recorder.until(lambda e: isinstance(e, RolloutHeld))
            assert isinstance(held, RolloutHeld)
            assert held.message.startswith(
                "lkubot could not preview lpar003 again just now, so it cannot tell whether "
                "what was approved still holds"
            )
            lpar003.unreachable_until = None
            ended = await recorder.ended(request.id)

        assert ended.outcome == "succeeded"
        assert len(w.operations("lpar003")) == 1


async def test_a_run_that_stops_on_an_unforeseen_error_is_left_unknown_for_an_admin(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        request, run = await w.launched_in_storage(w.engine(), "lpar001")
        # A saved log record this lkubot cannot read back.
        garbled = RunEvent(offset=1, type="phase", payload="{}", at=run.started_at)
        await w.store.call(Store.record_run_lines, run.id, [garbled], 1)
        engine = w.engine()
        async with Recorder().listening(engine) as recorder:
            await engine.reattach()
            unknown = await recorder.until(lambda e: isinstance(e, RunUnknown))
            async with asyncio.timeout(WAIT):
                await engine.wait(request.id)

        assert isinstance(unknown, RunUnknown)
        assert unknown.message.startswith(
            f"lkubot stopped following {run.id} on an unexpected error (CorruptRecord: "
        )
        assert unknown.message.endswith(
            f"Check lpar001, then close the run with /lku resolve {run.id} succeeded|failed REASON."
        )
        assert (await w.store.call(Store.get_run, run.id)).state is RunState.UNKNOWN
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.UNKNOWN
        assert w.operations("lpar001") == []


def _now() -> datetime:
    return datetime.now(UTC)
