"""Cancel until the point of no return, refusal after it, and one run per LPAR at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveupdate.checks import UpdateKind
from liveupdate.errors import NotPermitted
from liveupdate.phases import POINT_OF_NO_RETURN_BANNER as BANNER
from liveupdate.requests import RequestState
from liveupdate.runs import RunState, advance_run
from lpar import remote
from lpar.oplog import OperationLog, to_run_event
from lpar.progress import (
    CancelRequested,
    CommandFinished,
    OperationSent,
    PhaseReached,
    PointOfNoReturn,
    RunEnded,
)
from lpar.refusals import CancelRefused, NotRunning
from lpar.ssh import Connections
from sim.aix.faults import Hang
from storage.errors import LparLocked
from storage.store import Store
from tests.lpar.conftest import eventually
from tests.lpar.harness import QUICK, REQUESTER, Recorder, world

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


async def test_a_saved_cancel_sends_nothing_when_the_log_read_after_a_restart_holds_the_banner(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        lpar = w.fleet.lpar("lpar001")
        # After "Live AIX update is starting." AIX is silent for 1000 virtual seconds (1 s).
        lpar.state.faults.hang = Hang(phase="starting", seconds=1000)
        request, run = await w.launched_in_storage(w.engine(), "lpar001")
        # The old lkubot sent the start, read the first two lines of the log, noted a cancel
        # (the pid was not saved yet, so no kill went out) and died.
        preview = request.previews[0]
        operation = remote.geninstall(preview.filesets, media=preview.media, preview=False)
        now = run.started_at
        await w.store.call(Store.save_run, advance_run(run, RunState.RUNNING, now), now)
        async with Connections(QUICK.ssh) as ssh:
            await ssh.run(
                w.inventory.lpar("lpar001"), remote.start_detached(operation, run.log_path)
            )
        await eventually(lambda: BANNER in lpar.logs[run.log_path].text)
        seen = OperationLog(UpdateKind.LKU)
        records = [r for n in (1, 2) for r in seen.feed(n, lpar.logs[run.log_path].lines[n - 1])]
        await w.store.call(
            Store.record_run_lines, run.id, [to_run_event(r, now) for r in records], seen.settled
        )
        ids = {"request_id": request.id, "run_id": run.id, "lpar": run.lpar, "at": now}
        for step in (
            OperationSent(**ids, command=operation.line, log_path=run.log_path),
            CancelRequested(**ids, by=REQUESTER),
        ):
            await w.store.call(
                Store.record_run_step, run.id, step.type, step.model_dump_json(), now
            )

        # The next lkubot reads the rest of the log, the banner first, in one batch.
        engine = w.engine()
        async with Recorder().listening(engine) as recorder:
            await engine.reattach()
            ended = await recorder.ended(request.id)

        assert w.received("lpar001", "kill") == []
        assert ended.outcome == "succeeded"
        [run_ended] = recorder.of(RunEnded)
        assert (
            run_ended.message
            == f"The cancel by <@{REQUESTER}> came too late: the operation went on."
        )
