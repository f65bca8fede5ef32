"""Group rollouts: the canary alone, then waves with at most one LPAR per managed system, and
a stop at the first failure."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

from liveupdate.checks import CheckStatus
from liveupdate.requests import RequestState
from liveupdate.runs import Run, RunState
from lpar.progress import WaveStarted
from sim.aix.faults import PhaseFailure
from storage.store import Store
from tests.lpar.harness import Recorder, world

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
