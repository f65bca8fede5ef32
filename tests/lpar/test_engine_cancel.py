"""Cancel until the point of no return, refusal after it, and one run per LPAR at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveupdate.errors import NotPermitted
from liveupdate.requests import RequestState
from lpar.progress import (
    CancelRequested,
    CommandFinished,
    PhaseReached,
    PointOfNoReturn,
    RunEnded,
)
from lpar.refusals import CancelRefused, NotRunning
from sim.aix.faults import Hang
from storage.errors import LparLocked
from storage.store import Store
from tests.lpar.harness import REQUESTER, Recorder, world

POST = ["startsrc -s pfcdaemon"]
PREP = ["stopsrc -s pfcdaemon"]
STAGED = {"lpars": {"lpar001": {"placement": {"stages": {"prep": PREP, "post": POST}}}}}


async def test_cancel_before_the_point_of_no_return_stops_it_and_cleans_up(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, scenario=STAGED) as w:
        # The preview inside geninstall -k succeeded; the banner is not printed yet.
        w.fleet.lpar("lpar001").state.faults.hang = Hang(phase="preview_succeeded")
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            await recorder.until(lambda e: isinstance(e, PhaseReached))
            assert (await engine.snapshot(f"{request.id}-1")).cancellable
            sent = await engine.cancel(
                request.id, user=REQUESTER, policy=w.policy("test"), reason="wrong window"
            )
            ended = await recorder.ended(request.id)

        assert sent.runs == (f"{request.id}-1",)
        assert "sent TERM to process" in sent.message
        assert ended.outcome == "cancelled"
        assert [c.by for c in recorder.of(CancelRequested)] == [REQUESTER]
        commands = [f.outcome.command for f in recorder.of(CommandFinished)]
        pid = (await w.store.call(Store.get_run, f"{request.id}-1")).remote_pid
        assert commands == [*PREP, f"kill -TERM {pid}", "clvupdate", *POST]
        assert recorder.of(PointOfNoReturn) == []
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.message == f"Cancelled by <@{REQUESTER}> before the point of no return."
        assert run_ended.exit_code == 143
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.CANCELLED
        assert not w.fleet.lpar("lpar001").state.lku_cleanup_pending
        assert await w.store.call(Store.locks) == []


async def test_cancel_after_the_point_of_no_return_is_refused_and_sends_nothing(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        # Past the banner, AIX is silent for 300 virtual seconds (0.3 s here).
        w.fleet.lpar("lpar001").state.faults.hang = Hang(phase="starting", seconds=300)
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            await recorder.until(lambda e: isinstance(e, PhaseReached) and e.index == 2)
            assert not (await engine.snapshot(f"{request.id}-1")).cancellable
            before = len(w.fleet.lpar("lpar001").commands)
            with pytest.raises(CancelRefused, match="passed the point of no return on lpar001"):
                await engine.cancel(request.id, user=REQUESTER, policy=w.policy("test"))
            assert len(w.fleet.lpar("lpar001").commands) == before
            ended = await recorder.ended(request.id)

        assert ended.outcome == "succeeded"
        assert w.received("lpar001", "kill") == []
        assert recorder.of(CancelRequested) == []


async def test_only_people_involved_may_cancel_and_only_a_running_request(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        with pytest.raises(NotRunning, match="approved"):
            await engine.cancel(request.id, user=REQUESTER, policy=w.policy("test"))
        w.fleet.lpar("lpar001").state.faults.hang = Hang(phase="preview_succeeded")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            with pytest.raises(NotPermitted):
                await engine.cancel(request.id, user="U0OSCAR01", policy=w.policy("test"))
            await engine.cancel(request.id, user="U0ALICE01", policy=w.policy("test"))
            assert (await recorder.ended(request.id)).outcome == "cancelled"


async def test_a_second_launch_on_a_busy_lpar_is_refused_naming_the_holder(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        engine = w.engine()
        first = await w.request(engine, "lpar001")
        second = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, first)
            with pytest.raises(LparLocked, match=f"lpar001 is held by {first.id}-1 since"):
                await w.launch(engine, second)
            assert (await recorder.ended(first.id)).outcome == "succeeded"

        assert (await w.store.call(Store.get_request, second.id)).state is RequestState.APPROVED
        assert len(w.operations("lpar001")) == 1
