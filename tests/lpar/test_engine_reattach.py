"""A restarted lkubot takes up the runs the old one left: from the saved line, publishing only
what it saves itself, and never starting an operation a second time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from liveupdate.phases import TOTAL_PHASES
from liveupdate.requests import RequestState
from liveupdate.runs import RunState
from lpar.progress import (
    CommandStarted,
    PhaseReached,
    RunEnded,
    RunUnknown,
    StageStarted,
)
from storage.store import AsyncStore, Store
from tests.lpar.conftest import WAIT
from tests.lpar.harness import Recorder, keys, world


async def test_a_new_engine_reattaches_to_the_run_the_old_one_started(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        first = w.engine()
        request = await w.request(first, "lpar001")
        async with Recorder().listening(first) as before:
            await w.launch(first, request)
            # The old lkubot dies while alt_disk_copy runs: tasks cancelled, SSH closed.
            await before.until(lambda e: isinstance(e, PhaseReached) and e.index == 9)
            await first.aclose()
        [run] = await w.store.call(Store.runs_of, request.id)
        assert run.state is RunState.RUNNING
        assert 0 < run.lines_consumed < 20

        # A new process: its own connection to the database, its own engine.
        store = await AsyncStore.open(w.db)
        try:
            second = w.engine(store=store)
            async with Recorder().listening(second) as after:
                assert await second.reattach() == [request.id]
                ended = await after.ended(request.id)
        finally:
            await second.aclose()
            await store.close()

        assert ended.outcome == "succeeded"
        assert w.operations("lpar001") == ["geninstall -k -d /mnt/7300-03-01 update_all"]
        # Nothing lost, nothing told twice: the two engines' phases add up to the transcript.
        told = before.of(PhaseReached) + after.of(PhaseReached)
        assert sorted(p.index for p in told) == list(range(1, TOTAL_PHASES + 1))
        assert not set(keys(before.events)) & set(keys(after.events))
        assert min(p.line for p in after.of(PhaseReached)) > run.lines_consumed
        follows = w.received("lpar001", "tail")
        assert follows[-1].startswith(f"tail -n +{run.lines_consumed + 1} -f ")
        saved = [(e.offset, e.type) for e in await w.store.call(Store.run_events, run.id)]
        assert len(saved) == len(set(saved))
        snapshot = await w.engine().snapshot(run.id)
        assert snapshot.phase_index == TOTAL_PHASES
        assert snapshot.blackout_seconds == 21
        assert snapshot.aftercare is not None


async def test_a_sent_start_whose_log_is_missing_makes_the_run_unknown_and_is_not_resent(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        request, run = await w.sent_without_log(w.engine(), "lpar001")

        engine = w.engine()
        async with Recorder().listening(engine) as recorder:
            await engine.reattach()
            unknown = await recorder.until(lambda e: isinstance(e, RunUnknown))
            await engine.wait(request.id)

        assert isinstance(unknown, RunUnknown)
        assert f"there is no log at {run.log_path}" in unknown.message
        assert "lkubot will not start it again" in unknown.message
        assert w.operations("lpar001") == []
        run = await w.store.call(Store.get_run, run.id)
        assert run.state is RunState.UNKNOWN
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.UNKNOWN
        assert [lock.owner for lock in await w.store.call(Store.locks)] == [run.id]


async def test_a_run_interrupted_during_prep_fails_without_sending_anything_again(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        request, run = await w.launched_in_storage(w.engine(), "lpar001")
        for step in (
            StageStarted(
                request_id=request.id, run_id=run.id, lpar=run.lpar, at=run.started_at,
                stage="prep", commands=("stopsrc -s pfcdaemon",),
            ),
            CommandStarted(
                request_id=request.id, run_id=run.id, lpar=run.lpar, at=run.started_at,
                stage="prep", index=1, command="stopsrc -s pfcdaemon",
            ),
        ):  # fmt: skip
            await w.store.call(
                Store.record_run_step, run.id, step.type, step.model_dump_json(), run.started_at
            )

        sent_before = len(w.fleet.lpar("lpar001").commands)
        engine = w.engine()
        async with Recorder().listening(engine) as recorder:
            await engine.reattach()
            ended = await recorder.ended(request.id)

        assert ended.outcome == "failed"
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.message is not None
        assert "while `stopsrc -s pfcdaemon` was running" in run_ended.message
        assert "it was not started" in run_ended.message
        assert len(w.fleet.lpar("lpar001").commands) == sent_before
        assert w.operations("lpar001") == []
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.FAILED
        assert await w.store.call(Store.locks) == []


async def test_a_start_refused_at_login_is_not_sent_so_the_run_fails_and_frees_the_lpar(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        request, run = await w.launched_in_storage(w.engine(), "lpar001")
        # Someone replaced the LPAR's entry in known_hosts: lkubot will not log in there.
        w.fleet.known_hosts_path.write_text("")
        engine = w.engine()
        async with Recorder().listening(engine) as recorder:
            await engine.reattach()
            ended = await recorder.ended(request.id)

        assert ended.outcome == "failed"
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.message is not None
        assert run_ended.message.startswith(
            "lkubot could not log in to lpar001 to start the operation, so it was not started: "
        )
        assert "known_hosts" in run_ended.message
        assert recorder.of(RunUnknown) == []
        assert w.operations("lpar001") == []
        assert (await w.store.call(Store.get_run, run.id)).state is RunState.FAILED
        assert await w.store.call(Store.locks) == []


async def test_two_lkubots_on_one_database_send_a_run_start_once(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        request, _ = await w.launched_in_storage(w.engine(), "lpar001")
        # Two bot processes, each with its own connection to the database, take the run up
        # at the same moment (no prep commands: nothing stands between them and the start).
        store = await AsyncStore.open(w.db)
        try:
            first, second = w.engine(), w.engine(store=store)
            await asyncio.gather(first.reattach(), second.reattach())
            async with asyncio.timeout(WAIT):
                await asyncio.gather(first.wait(request.id), second.wait(request.id))
        finally:
            await second.aclose()
            await store.close()

        assert len(w.operations("lpar001")) == 1
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.SUCCEEDED
        claims = [
            row.detail
            for row in await w.store.call(Store.audit_trail, request.id)
            if row.action == "run.updated" and row.detail.get("state") == "running"
        ]
        assert len(claims) == 1
