"""Live kernel updates driven by the run engine against simulated LPARs over real SSH: the
real 11-minute transcript, replayed at high speed, must come out as AIX's own clock tells it."""

from __future__ import annotations

from pathlib import Path

from liveupdate.phases import TOTAL_PHASES
from liveupdate.requests import RequestState
from liveupdate.runs import RunState
from lpar.aix_log import AIX_LOG
from lpar.progress import (
    AftercareRecorded,
    BlackoutEnded,
    CommandFinished,
    LinkLost,
    LinkRestored,
    OperationSent,
    OperationStarted,
    PhaseReached,
    PointOfNoReturn,
    Progress,
    RunEnded,
    RunUnknown,
    StageFinished,
)
from sim.aix.faults import ConnectionDrop, Hang, PhaseFailure
from storage.store import Store
from tests.lpar.harness import QUICK, Recorder, keys, world

PREP = ["stopsrc -s pfcdaemon", "rmdev -l ipsec_v4"]
POST = ["mkdev -l ipsec_v4", "startsrc -s pfcdaemon"]
LAST_LINE = "01/29/2025-09:20:07 Live AIX update completed in 0h 10m 58s."
STAGED = {"lpars": {"lpar001": {"placement": {"stages": {"prep": PREP, "post": POST}}}}}


async def test_a_successful_update_is_followed_phase_by_phase_and_summarised(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, scenario=STAGED) as w:
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        recorder = Recorder()

        async def saved_before_published(event: Progress) -> None:
            # Whatever a subscriber hears about is already in SQLite.
            if isinstance(event, PhaseReached):
                lines = [e.offset for e in await w.store.call(Store.run_events, event.run_id)]
                assert event.line in lines

        async with recorder.listening(engine, saved_before_published):
            assert (await w.launch(engine, request)).state is RequestState.RUNNING
            ended = await recorder.ended(request.id)

        assert ended.outcome == "succeeded"
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.SUCCEEDED
        [run] = await w.store.call(Store.runs_of, request.id)
        assert run.state is RunState.SUCCEEDED
        assert run.blackout_seconds == 21.0  # 09:17:16 to 09:17:37 in the real transcript
        assert run.point_of_no_return
        assert await w.store.call(Store.locks) == []

        phases = recorder.of(PhaseReached)
        assert [p.index for p in phases] == list(range(1, TOTAL_PHASES + 1))
        assert [b.seconds for b in recorder.of(BlackoutEnded)] == [21]
        assert len(recorder.of(PointOfNoReturn)) == 1
        assert len(set(keys(recorder.events))) == len(recorder.events)

        # The operation ran once, as approved, detached, between the prep and post stages.
        assert w.operations("lpar001") == ["geninstall -k -d /mnt/7300-03-01 update_all"]
        finished = [(f.stage, f.outcome.command) for f in recorder.of(CommandFinished)]
        assert finished == [("prep", c) for c in PREP] + [("post", c) for c in POST]
        assert [s.stage for s in recorder.of(StageFinished) if s.ok] == ["prep", "post"]

        [aftercare] = [a.aftercare for a in recorder.of(AftercareRecorded)]
        assert (aftercare.oslevel_before, aftercare.oslevel_after) == (
            "7300-02-02-2420",
            "7300-03-01-2446",
        )
        [inittab] = aftercare.config_diff
        assert (inittab.path, inittab.added, inittab.removed) == ("/etc/inittab", 1, 0)
        assert "clcomd" in inittab.sample[0]
        assert [c.label for c in aftercare.lparstat_changes] == ["Partition Number"]
        assert [p.name for p in aftercare.stale_processes] == ["topasrec", "sshd"]

        snapshot = await engine.snapshot(run.id)
        assert snapshot.outcome == "succeeded"
        assert snapshot.phase_index == TOTAL_PHASES
        assert snapshot.blackout_seconds == 21
        assert snapshot.lpar_seconds == 658  # "Live AIX update completed in 0h 10m 58s."
        assert snapshot.aftercare == aftercare
        assert [s.state for s in snapshot.stages] == ["done", "done", "done"]
        assert not snapshot.cancellable


async def test_a_failure_mid_run_stops_it_with_aix_message_and_offers_clvupdate(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, scenario=STAGED) as w:
        w.fleet.lpar("lpar001").state.faults.fail_at = PhaseFailure(
            phase="alt_disk_copy",
            error="1430-237 FAILED: alt_disk_copy failed.",
            advice=["Check the disks named by nhdisk."],
        )
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            ended = await recorder.ended(request.id)

        [run_ended] = recorder.of(RunEnded)
        assert ended.outcome == run_ended.outcome == "failed"
        assert run_ended.exit_code == 1
        assert run_ended.message is not None
        assert "1430-237 FAILED: alt_disk_copy failed." in run_ended.message
        assert run_ended.cleanup == "clvupdate"
        # The workload stays on the original LPAR: post starts what prep stopped.
        assert [f.outcome.command for f in recorder.of(CommandFinished)][-2:] == POST
        request = await w.store.call(Store.get_request, request.id)
        assert request.state is RequestState.FAILED
        snapshot = await engine.snapshot(run_ended.run_id)
        assert snapshot.errors[0].advice == ("Check the disks named by nhdisk.",)
        assert snapshot.stages[1].state == "failed"
        assert w.fleet.lpar("lpar001").state.oslevel == "7300-02-02-2420"


async def test_a_failing_prep_command_stops_the_run_before_the_operation(
    tmp_path: Path,
) -> None:
    async with world(tmp_path, scenario=STAGED) as w:
        w.fleet.lpar("lpar001").state.subsystems["pfcdaemon"] = False  # already stopped
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            ended = await recorder.ended(request.id)

        assert ended.outcome == "failed"
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.message == (
            "The prep stage stopped at `stopsrc -s pfcdaemon`: exit status 1 (0513-004 The "
            "Subsystem or Group, pfcdaemon, is currently inoperative.)."
        )
        assert w.operations("lpar001") == []
        assert recorder.of(OperationSent) == []
        assert w.received("lpar001", "rmdev") == []
        assert w.received("lpar001", "mkdev") == []  # post does not run after a failed prep


async def test_an_ssh_drop_during_the_blackout_loses_and_repeats_nothing(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.fleet.lpar("lpar001").state.faults.drop = ConnectionDrop(phase="blackout", seconds=60)
        engine = w.engine()
        request = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            ended = await recorder.ended(request.id)

        assert ended.outcome == "succeeded"
        assert len(recorder.of(LinkLost)) == 1
        [restored] = recorder.of(LinkRestored)
        assert restored.down_seconds > 0
        assert recorder.of(RunUnknown) == []
        assert [p.index for p in recorder.of(PhaseReached)] == list(range(1, TOTAL_PHASES + 1))
        assert [b.seconds for b in recorder.of(BlackoutEnded)] == [21]
        [run] = await w.store.call(Store.runs_of, request.id)
        saved = [(e.offset, e.type) for e in await w.store.call(Store.run_events, run.id)]
        assert len(saved) == len(set(saved))
        assert w.operations("lpar001") == ["geninstall -k -d /mnt/7300-03-01 update_all"]


async def test_out_of_contact_past_the_limit_the_run_is_unknown_until_it_is_back(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        # 900 virtual seconds out of reach: about 0.9 s here, past the 0.3 s limit.
        w.fleet.lpar("lpar001").state.faults.drop = ConnectionDrop(phase="blackout", seconds=900)
        engine = w.engine(QUICK.model_copy(update={"lost_contact_after": 0.3}))
        request = await w.request(engine, "lpar001")
        states: list[RequestState] = []

        async def note_request_state(event: Progress) -> None:
            if isinstance(event, RunUnknown | LinkRestored):
                states.append((await w.store.call(Store.get_request, request.id)).state)

        async with Recorder().listening(engine, note_request_state) as recorder:
            await w.launch(engine, request)
            ended = await recorder.ended(request.id)

        [unknown] = recorder.of(RunUnknown)
        assert "lkubot has not reached lpar001" in unknown.message
        assert "resumes where it stopped" in unknown.message
        assert states == [RequestState.UNKNOWN, RequestState.RUNNING]
        assert ended.outcome == "succeeded"
        audit = [row.action for row in await w.store.call(Store.audit_trail, request.id)]
        assert "request.lose_contact" in audit
        assert "request.resume" in audit
        assert w.operations("lpar001") == ["geninstall -k -d /mnt/7300-03-01 update_all"]


async def test_an_operation_gone_without_its_exit_line_is_unknown_and_still_followed(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        lpar = w.fleet.lpar("lpar001")
        lpar.state.faults.hang = Hang(phase="alt_disk_copy")
        engine = w.engine(QUICK.model_copy(update={"liveness_after": 0.1}))
        request = await w.request(engine, "lpar001")
        async with Recorder().listening(engine) as recorder:
            await w.launch(engine, request)
            started = await recorder.until(lambda e: isinstance(e, OperationStarted))
            await recorder.until(lambda e: isinstance(e, PhaseReached) and e.index == 9)
            # lkubot's view of the operation ends (no process, no exit line), while AIX's own
            # log goes on to the end: as if the operation carried on out of lkubot's sight.
            assert isinstance(started, OperationStarted)
            await lpar.processes[started.pid].kill_for_shutdown()
            lpar.logs[AIX_LOG].write(f"{LAST_LINE}\n")
            unknown = await recorder.until(lambda e: isinstance(e, RunUnknown))
            assert (await w.store.call(Store.get_request, request.id)).state is (
                RequestState.UNKNOWN
            )
            # The wrapper's exit line turns up late: the run is taken up again and ends.
            lpar.logs[f"/var/adm/ras/liveupdate/logs/lkubot-{request.id}-1.log"].write(
                "lkubot-exit: 0\n"
            )
            ended = await recorder.ended(request.id)

        assert isinstance(unknown, RunUnknown)
        assert unknown.message.startswith(
            f"The operation (process {started.pid}) no longer runs on lpar001, but its log "
        )
        assert (
            f"AIX's own log {AIX_LOG} says the live update completed in 10 min 58 s. lkubot "
            "keeps following the log; once you have checked the LPAR, close the run with "
            f"/lku resolve {request.id}-1 succeeded|failed REASON."
        ) in unknown.message
        assert w.received("lpar001", "ps -p")
        assert ended.outcome == "succeeded"
        assert len(recorder.of(RunUnknown)) == 1
        assert (await w.store.call(Store.get_request, request.id)).state is (RequestState.SUCCEEDED)
