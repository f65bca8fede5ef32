"""A restarted lkubot takes up the runs the old one left: from the saved line, publishing only
what it saves itself, and never starting an operation a second time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from liveupdate.phases import TOTAL_PHASES
from liveupdate.requests import Request, RequestState
from liveupdate.runs import Run, RunState
from lpar.progress import (
    CommandFinished,
    CommandOutcome,
    CommandStarted,
    PhaseReached,
    RolloutEnded,
    RunEnded,
    RunUnknown,
    Stage,
    StageFinished,
    StageStarted,
)
from sim.aix import CommandRecord
from storage.store import AsyncStore, Store
from tests.lpar.conftest import WAIT
from tests.lpar.harness import Recorder, World, keys, world

PREP = ("stopsrc -s pfcdaemon", "stopsrc -s IBM.DRMd")
POST = ("startsrc -s pfcdaemon", "startsrc -s IBM.DRMd")


def _ids(request: Request, run: Run) -> dict[str, object]:
    """What every journal step of `run` carries."""
    return {"request_id": request.id, "run_id": run.id, "lpar": run.lpar, "at": run.started_at}


async def _first_command_done(
    w: World, request: Request, run: Run, stage: Stage, commands: tuple[str, ...]
) -> None:
    """The journal of an lkubot that saved the first command's result of `stage` and died."""
    ids = _ids(request, run)
    done = CommandOutcome(command=commands[0], exit_status=0)
    await w.note(
        run,
        StageStarted(**ids, stage=stage, commands=commands),
        CommandStarted(**ids, stage=stage, index=1, command=commands[0]),
        CommandFinished(**ids, stage=stage, index=1, outcome=done),
    )


async def _taken_up(w: World, request: Request) -> tuple[Recorder, RolloutEnded]:
    """A new engine (a restarted lkubot) takes up `request` and drives it to its end."""
    engine = w.engine()
    async with Recorder().listening(engine) as recorder:
        await engine.reattach()
        ended = await recorder.ended(request.id)
    return recorder, ended


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


async def test_a_start_that_never_left_is_sent_again_and_the_run_succeeds(
    tmp_path: Path,
) -> None:
    # The old lkubot noted the start and saved the run running, then died before the start
    # left: no log on the LPAR. The start is idempotent, so the next lkubot sends it again.
    async with world(tmp_path) as w:
        request, _ = await w.sent_without_log(w.engine(), "lpar001")

        recorder, ended = await _taken_up(w, request)

        assert ended.outcome == "succeeded"
        assert recorder.of(RunUnknown) == []
        assert w.operations("lpar001") == ["geninstall -k -d /mnt/7300-03-01 update_all"]
        assert w.refused_starts("lpar001") == 0
        phases = [p.index for p in recorder.of(PhaseReached)]
        assert phases == list(range(1, TOTAL_PHASES + 1))


async def test_a_start_that_did_leave_is_sent_again_refused_by_the_shell_and_followed(
    tmp_path: Path,
) -> None:
    # The old lkubot died right after its start left, before it read a line of the log: the
    # next one cannot tell, sends the start again, and the LPAR's shell refuses it (the log
    # exists). The operation runs once, and is followed from its first line.
    async with world(tmp_path) as w:
        request, run = await w.sent_without_log(w.engine(), "lpar001")
        await w.send_noted_start(run)

        recorder, ended = await _taken_up(w, request)

        assert ended.outcome == "succeeded"
        assert w.operations("lpar001") == ["geninstall -k -d /mnt/7300-03-01 update_all"]
        assert w.refused_starts("lpar001") == 1
        phases = [p.index for p in recorder.of(PhaseReached)]
        assert phases == list(range(1, TOTAL_PHASES + 1))
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.SUCCEEDED


async def test_a_start_whose_log_cannot_be_created_is_sent_three_times_then_the_run_is_unknown(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        lpar = w.fleet.lpar("lpar001")
        request, run = await w.sent_without_log(w.engine(), "lpar001")
        # The log directory is gone: every start's shell refuses `> LOG`, and nothing starts.
        lpar.state.faults.logs_unwritable = True

        engine = w.engine()
        async with Recorder().listening(engine) as recorder:
            await engine.reattach()
            unknown = await recorder.until(lambda e: isinstance(e, RunUnknown))
            await engine.wait(request.id)

        assert isinstance(unknown, RunUnknown)
        assert unknown.message.startswith(
            f"lkubot sent the start of the operation to lpar001 3 times, but there is no log "
            f"at {run.log_path}: a start runs nothing when its shell cannot create that log, "
            f"so none of them started it (the shell said: ksh: {run.log_path}: 0403-005 "
            "Cannot create the specified file.). Check that /var/adm/ras/liveupdate/logs "
            "exists"
        )
        assert f"/lku resolve {run.id} failed REASON" in unknown.message
        assert w.operations("lpar001") == []
        assert w.refused_starts("lpar001") == 3
        run = await w.store.call(Store.get_run, run.id)
        assert run.state is RunState.UNKNOWN
        assert (await w.store.call(Store.get_request, request.id)).state is RequestState.UNKNOWN
        assert [lock.owner for lock in await w.store.call(Store.locks)] == [run.id]


async def test_a_launch_whose_first_start_made_no_log_sends_it_again(tmp_path: Path) -> None:
    # The first start leaves no log (here its shell could not create it until an admin fixed
    # the directory): following finds no log, and the start is sent again.
    async with world(tmp_path) as w:
        lpar = w.fleet.lpar("lpar001")
        lpar.state.faults.logs_unwritable = True

        def fixed_after_the_first_start(record: CommandRecord) -> None:
            if record.start_refused:
                lpar.state.faults.logs_unwritable = False

        engine = w.engine()
        request = await w.request(engine, "lpar001")
        with lpar.watching_commands(fixed_after_the_first_start):
            async with Recorder().listening(engine) as recorder:
                await w.launch(engine, request)
                ended = await recorder.ended(request.id)

        assert ended.outcome == "succeeded"
        assert recorder.of(RunUnknown) == []
        assert w.refused_starts("lpar001") == 1
        assert w.operations("lpar001") == ["geninstall -k -d /mnt/7300-03-01 update_all"]


async def test_a_run_interrupted_during_prep_fails_without_sending_anything_again(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        request, run = await w.launched_in_storage(w.engine(), "lpar001")
        ids = _ids(request, run)
        await w.note(
            run,
            StageStarted(**ids, stage="prep", commands=PREP[:1]),
            CommandStarted(**ids, stage="prep", index=1, command=PREP[0]),
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
        assert "the operation was not started" in run_ended.message
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


async def test_a_run_interrupted_between_two_prep_commands_goes_on_with_the_next(
    tmp_path: Path,
) -> None:
    # The old lkubot saved the first prep command's result and died before sending the
    # second: nothing is in doubt, so the next one sends the second and goes on.
    async with world(tmp_path) as w:
        lpar = w.fleet.lpar("lpar001")
        request, run = await w.launched_in_storage(w.engine(), "lpar001")
        await _first_command_done(w, request, run, "prep", PREP)
        lpar.state.subsystems["pfcdaemon"] = False  # what the first command did

        recorder, ended = await _taken_up(w, request)

        assert ended.outcome == "succeeded"
        assert w.received("lpar001", "stopsrc") == [PREP[1]]
        assert w.operations("lpar001") == ["geninstall -k -d /mnt/7300-03-01 update_all"]
        sent = [(e.stage, e.index) for e in recorder.of(CommandStarted)]
        assert sent == [("prep", 2)]


async def test_a_prep_stage_ended_in_doubt_never_starts_the_operation_after_a_restart(
    tmp_path: Path,
) -> None:
    # The old lkubot had already closed the prep stage as failed (a command in doubt) and
    # died before saving the run's end: the next one ends it failed, and starts nothing.
    async with world(tmp_path) as w:
        request, run = await w.launched_in_storage(w.engine(), "lpar001")
        ids = _ids(request, run)
        await w.note(
            run,
            StageStarted(**ids, stage="prep", commands=PREP),
            CommandStarted(**ids, stage="prep", index=1, command=PREP[0]),
            StageFinished(**ids, stage="prep", ok=False, detail="in doubt"),
        )

        recorder, ended = await _taken_up(w, request)

        assert ended.outcome == "failed"
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.message is not None
        assert f"while `{PREP[0]}` was running" in run_ended.message
        assert w.received("lpar001", "stopsrc") == []
        assert w.operations("lpar001") == []


async def test_a_run_interrupted_between_two_post_commands_goes_on_with_the_next(
    tmp_path: Path,
) -> None:
    # The operation ended and its log was read; the old lkubot saved the first post
    # command's result and died: the next one sends only the second, and the run succeeds.
    async with world(tmp_path) as w:
        lpar = w.fleet.lpar("lpar001")
        lpar.state.subsystems.update({"pfcdaemon": False, "IBM.DRMd": False})  # prep did
        request, run = await w.sent_without_log(w.engine(), "lpar001")
        run = await w.followed_to_the_end(run)
        await _first_command_done(w, request, run, "post", POST)
        lpar.state.subsystems["pfcdaemon"] = True  # what the first command did

        _, ended = await _taken_up(w, request)

        assert ended.outcome == "succeeded"
        assert w.received("lpar001", "startsrc") == [POST[1]]
        assert lpar.state.subsystems["IBM.DRMd"]
        assert w.operations("lpar001") == ["geninstall -k -d /mnt/7300-03-01 update_all"]


async def test_a_post_command_in_doubt_fails_the_run_naming_it_and_is_not_sent_again(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        request, run = await w.sent_without_log(w.engine(), "lpar001")
        run = await w.followed_to_the_end(run)
        ids = _ids(request, run)
        await w.note(
            run,
            StageStarted(**ids, stage="post", commands=POST),
            CommandStarted(**ids, stage="post", index=1, command=POST[0]),
        )

        recorder, ended = await _taken_up(w, request)

        assert ended.outcome == "failed"
        [run_ended] = recorder.of(RunEnded)
        assert run_ended.message is not None
        assert f"The post stage stopped at `{POST[0]}`: lkubot stopped while it ran" in (
            run_ended.message
        )
        assert w.received("lpar001", "startsrc") == []
