"""What an admin does after a run: the clean-up it offers (held, audited, refused while
anything else holds the LPAR) and closing a run lkubot has lost track of."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liveupdate.requests import RequestState
from liveupdate.runs import RunState
from lpar.progress import PhaseReached, RunEnded, RunUnknown
from lpar.refusals import ResolveRefused
from sim.aix.faults import ConnectionDrop, Hang, PhaseFailure
from storage.errors import CleanupRefused, LparLocked
from storage.store import Store
from tests.lpar.conftest import WAIT
from tests.lpar.harness import QUICK, Recorder, World, world

ADMIN = "U0ADMIN01"
REASON = "checked on the console: the update did not run"


async def _failed_run(w: World) -> str:
    w.fleet.lpar("lpar001").state.faults.fail_at = PhaseFailure(phase="alt_disk_copy")
    engine = w.engine()
    request = await w.request(engine, "lpar001")
    async with Recorder().listening(engine) as recorder:
        await w.launch(engine, request)
        assert (await recorder.ended(request.id)).outcome == "failed"
    assert w.fleet.lpar("lpar001").state.lku_cleanup_pending
    return f"{request.id}-1"


async def test_the_clean_up_after_a_failed_run_is_sent_once_audited_and_frees_the_lpar(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        run_id = await _failed_run(w)
        cleaned = await w.engine().cleanup(run_id, by=ADMIN)

        assert cleaned.ok
        assert w.received("lpar001", "clvupdate") == ["clvupdate"]
        assert not w.fleet.lpar("lpar001").state.lku_cleanup_pending
        assert await w.store.call(Store.locks) == []
        trail = await w.store.call(Store.audit_trail, run_id.rsplit("-", 1)[0])
        [row] = [r for r in trail if r.action == "lpar.cleanup"]
        assert (row.actor, row.detail) == (
            ADMIN,
            {"run": run_id, "command": "clvupdate", "exit_status": 0},
        )
        held = [r for r in trail if r.action == "lock.taken" and r.actor == ADMIN]
        assert [r.detail["owner"] for r in held] == [f"cleanup of {run_id}"]


async def test_a_clean_up_is_refused_while_the_lpar_is_held_and_sends_nothing(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        run_id = await _failed_run(w)
        await w.store.call(Store.hold, "lpar001", by=ADMIN, reason="SAN maintenance", now=_now())
        with pytest.raises(LparLocked, match=r"lpar001 is held by U0ADMIN01 .*SAN maintenance"):
            await w.engine().cleanup(run_id, by=ADMIN)
        assert w.received("lpar001", "clvupdate") == []


async def test_two_clean_ups_at_once_run_one(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        run_id = await _failed_run(w)
        engine = w.engine()
        outcomes = await asyncio.gather(
            engine.cleanup(run_id, by=ADMIN),
            engine.cleanup(run_id, by=ADMIN),
            return_exceptions=True,
        )
        refused = [o for o in outcomes if isinstance(o, LparLocked)]
        assert len(refused) == 1
        assert f"held by cleanup of {run_id}" in str(refused[0])
        assert w.received("lpar001", "clvupdate") == ["clvupdate"]


async def test_a_clean_up_after_a_run_that_succeeded_is_refused(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            await recorder.ended(request.id)
        with pytest.raises(CleanupRefused, match="is succeeded: only a run that failed"):
            await engine.cleanup(f"{request.id}-1", by=ADMIN)
        assert w.received("lpar001", "clvupdate") == []


async def test_an_admin_closes_a_run_whose_log_vanished_and_the_request_ends(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        # The old lkubot had read two lines of the log, which someone deleted since.
        request, run = await w.sent_without_log(w.engine(), "lpar001", lines_read=2)
        engine = w.engine()
        async with Recorder().listening(engine) as recorder:
            await engine.reattach()
            unknown = await recorder.until(lambda e: isinstance(e, RunUnknown))
            assert isinstance(unknown, RunUnknown)
            assert f"The operation's log {run.log_path} on lpar001 has gone" in unknown.message
            closed = await engine.resolve(run.id, outcome="failed", by=ADMIN, reason=REASON)
            ended = await recorder.ended(request.id)

        assert closed.state is RunState.FAILED
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.message == (
            f"Closed as failed by <@{ADMIN}>, who checked lpar001: {REASON}"
        )
        assert ended.outcome == "failed"
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.FAILED
        assert await w.store.call(Store.locks) == []
        snapshot = await engine.snapshot(run.id)
        assert snapshot.outcome == "failed"
        assert w.operations("lpar001") == []


async def test_a_run_followed_out_of_contact_is_closed_and_no_longer_followed(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        # The LPAR stays out of reach long after the blackout starts.
        w.fleet.lpar("lpar001").state.faults.drop = ConnectionDrop(
            phase="blackout", seconds=3_600_000
        )
        engine = w.engine(QUICK.model_copy(update={"lost_contact_after": 0.3}))
        request = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            await recorder.until(lambda e: isinstance(e, RunUnknown))
            closed = await engine.resolve(
                f"{request.id}-1", outcome="succeeded", by=ADMIN, reason=REASON
            )
            ended = await recorder.ended(request.id)
            async with asyncio.timeout(WAIT):
                await engine.wait(request.id)

        assert closed.state is RunState.SUCCEEDED
        assert ended.outcome == "succeeded"
        assert engine.active == []
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.SUCCEEDED


async def test_a_run_followed_in_contact_cannot_be_closed_by_hand(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.fleet.lpar("lpar001").state.faults.hang = Hang(phase="starting", seconds=1000)
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            await recorder.until(lambda e: isinstance(e, PhaseReached))
            with pytest.raises(ResolveRefused, match="records the outcome itself"):
                await engine.resolve(f"{request.id}-1", outcome="failed", by=ADMIN, reason=REASON)
            assert (await recorder.ended(request.id)).outcome == "succeeded"
        with pytest.raises(ResolveRefused, match="has already ended"):
            await engine.resolve(f"{request.id}-1", outcome="failed", by=ADMIN, reason=REASON)


def _now() -> datetime:
    return datetime.now(UTC)
