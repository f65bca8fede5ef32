"""Driving one run on one LPAR, from prep to its outcome, and picking it up after a restart.

`RunDriver.drive` is the same code for a fresh run and a reattach: it reads the run's journal
and saved log records first and goes on from there. What makes it safe to stop at any moment:

- every step is saved before it is published; a command is noted before it is sent;
- the run is saved `running` with an `OperationSent` step before the detached start is sent,
  and a run with that step is only ever followed, never started;
- a prep or post command noted as sent without a result is in doubt and is not sent again:
  the run stops and says which command to check;
- log lines are saved with their line offset in the same transaction as their records, and
  following resumes after the last saved line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from liveupdate.checks import UpdateKind
from liveupdate.lvevents import BlackoutEnded, PointOfNoReturnPassed
from liveupdate.requests import LoseContact, Request, RequestState, Resume, SystemEvent
from liveupdate.runs import Run, RunState, advance_run
from lpar import remote
from lpar.aftercare import Aftercare, Readings, compare_states
from lpar.bus import ProgressBus
from lpar.checklist import Reading
from lpar.follow import FollowEvent, LinkDown, LinkUp, LogLine, LogUnavailable, follow_log
from lpar.inventory import Lpar
from lpar.journal import Journal, step_key
from lpar.oplog import OperationLog, RunIds, llu_progress, progress_of, to_run_event
from lpar.options import EngineOptions
from lpar.preview import reading_of
from lpar.progress import (
    AftercareRecorded,
    CancelRequested,
    CommandFinished,
    CommandOutcome,
    CommandStarted,
    LinkLost,
    LinkRestored,
    OperationSent,
    RunEnded,
    RunOutcome,
    RunUnknown,
    Stage,
    StageFinished,
    StageStarted,
    StateCaptured,
    StepEvent,
)
from lpar.records import RunRecords
from lpar.refusals import CancelRefused
from lpar.ssh import (
    AuthenticationError,
    CommandResult,
    Connections,
    HostKeyError,
    KeyFileError,
    SshError,
    UnreachableError,
)

log = logging.getLogger(__name__)

LAST_LINES = 10
"""Lines of a command's output kept with its outcome."""

NOT_SENT = (UnreachableError, HostKeyError, AuthenticationError, KeyFileError)
"""SSH failures that happen before the connection is up: the command never left lkubot."""


@dataclass(frozen=True)
class RunContext:
    """What every run driver of one engine shares."""

    records: RunRecords
    ssh: Connections
    bus: ProgressBus
    options: EngineOptions
    clock: Callable[[], datetime]
    request_lock: Callable[[str], asyncio.Lock]
    """Serialises decisions about one request's state (lost contact, resumed, finished)."""


def _failure(stage: str, outcome: CommandOutcome) -> str:
    if outcome.exit_status is None:
        return f"The {stage} stage stopped at `{outcome.command}`: {outcome.error}"
    said = " / ".join(outcome.last_lines[-3:]) or "no output"
    return (
        f"The {stage} stage stopped at `{outcome.command}`: exit status {outcome.exit_status} "
        f"({said})."
    )


class RunDriver:
    """Takes one run to its end (see the module text)."""

    def __init__(
        self,
        ctx: RunContext,
        request: Request,
        run: Run,
        lpar: Lpar,
        *,
        llu_pids: tuple[int, ...] | None = None,
    ) -> None:
        self.ctx = ctx
        self.records: RunRecords = ctx.records
        self.options = ctx.options
        self.request_id = request.id
        self.kind = request.kind
        self.preview = next(p for p in request.previews if p.lpar == run.lpar)
        self.run = run
        self.lpar = lpar
        self.llu_pids = llu_pids
        self.ids = RunIds(request_id=request.id, run_id=run.id, lpar=run.lpar)
        self.journal = Journal()
        self.log = OperationLog(request.kind)
        self.cancel_by: str | None = None
        self.passed_point_of_no_return = run.point_of_no_return
        self._kill_sent = False
        self._link_down = False
        self._gone_once = False
        self._saving = asyncio.Lock()

    # --- saving, then publishing ------------------------------------------------------------

    def _now(self) -> datetime:
        return self.ctx.clock()

    def _event_fields(self) -> dict[str, object]:
        return {**self.ids.model_dump(), "at": self._now()}

    async def _record(self, event: StepEvent) -> StepEvent:
        saved = await self.records.record_run_step(
            self.run.id, event.type, event.model_dump_json(exclude={"key"}), event.at
        )
        event = event.model_copy(update={"key": step_key(self.run.id, saved.seq)})
        self.journal.apply(event)
        return event

    async def _step(self, event: StepEvent) -> StepEvent:
        event = await self._record(event)
        self.ctx.bus.publish(event)
        return event

    async def _save(
        self,
        state: RunState | None = None,
        *,
        error: str | None = None,
        request_event: SystemEvent | None = None,
        **changes: object,
    ) -> Run:
        # Build the change on the stored run rather than on self.run: storage refuses an
        # update made from a stale copy, and the stored one is what it compares with.
        async with self._saving:
            now = self._now()
            current = await self.records.get_run(self.run.id)
            changed = advance_run(current, state or current.state, now, error=error, **changes)
            self.run = await self.records.save_run(changed, now, request_event=request_event)
        return self.run

    # --- the run ------------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.run.state.terminal or self.journal.ended is not None

    async def drive(self) -> Run:
        """Take the run as far as it can go: to its end, or to `unknown` when lkubot cannot
        tell (then the next start of lkubot tries again)."""
        self.run = await self.records.get_run(self.run.id)
        self.journal = Journal.from_steps(self.run.id, await self.records.run_steps(self.run.id))
        self.log = OperationLog.resume(
            self.kind, await self.records.run_events(self.run.id), self.run.lines_consumed
        )
        self.passed_point_of_no_return = self.run.point_of_no_return or (
            self.kind is UpdateKind.LKU and self.log.summary().point_of_no_return_passed
        )
        if self.journal.cancel is not None:
            self.cancel_by = self.journal.cancel.by
            self._kill_sent = "cancel" in self.journal.stages
        if self.run.state.terminal:
            return self.run
        if self.journal.ended is not None:
            return await self._conclude(self.journal.ended)
        if self.journal.sent is None:
            if self.journal.sent_anything():
                return await self._end("failed", self._stopped_during_prep())
            if not await self._prep():
                return self.run
            await self._capture()
            if self.cancel_by is not None:
                return await self._cancelled_before_start()
            if not await self._send():
                return self.run
        else:
            if self.run.state is RunState.STARTING:
                # Stopped between noting the start and saving the run as running.
                await self._save(RunState.RUNNING)
            if not self.log.ended and not await self._probe():
                return self.run
        if not self.log.ended and not await self._follow():
            return self.run
        return await self._after_exit()

    def _stopped_during_prep(self) -> str:
        record = self.journal.stages.get("prep")
        doubt = record.in_doubt if record else None
        at = f" while `{doubt}` was running" if doubt else ""
        return (
            f"lkubot stopped during the prep stage{at}, before the operation was started; it "
            f"was not started and lkubot will not run prep again. Check on {self.lpar.name} "
            "what the prep commands changed, then preview again."
        )

    # --- stages ---------------------------------------------------------------------------

    async def _stage(self, stage: Stage, commands: tuple[str, ...]) -> CommandOutcome | None:
        """Run a stage's commands in order; returns the failing command's outcome, if any.
        Resumes after the last finished command; a command in doubt is not sent again."""
        record = self.journal.stages.get(stage)
        if record is not None and record.ended is not None:
            failed = [o for o in record.finished if not o.ok]
            return failed[-1] if failed else None
        if record is None or not record.started:
            await self._step(StageStarted(**self._event_fields(), stage=stage, commands=commands))
            record = self.journal.stage(stage)
        doubt = record.in_doubt
        if doubt is not None:
            outcome = CommandOutcome(
                command=doubt,
                exit_status=None,
                error="lkubot stopped while it ran, so whether it finished is unknown; it was "
                "not sent again: check it on the LPAR.",
            )
            await self._step(
                StageFinished(
                    **self._event_fields(), stage=stage, ok=False, detail=_failure(stage, outcome)
                )
            )
            return outcome
        for index, command in enumerate(commands, start=1):
            if index <= len(record.finished):
                continue
            outcome = await self._command(
                stage, index, remote.configured(command), self.options.stage_time_limit
            )
            if not outcome.ok:
                await self._step(
                    StageFinished(
                        **self._event_fields(),
                        stage=stage,
                        ok=False,
                        detail=_failure(stage, outcome),
                    )
                )
                return outcome
        await self._step(StageFinished(**self._event_fields(), stage=stage, ok=True))
        return None

    async def _command(
        self, stage: Stage, index: int, command: remote.RemoteCommand, limit: float
    ) -> CommandOutcome:
        await self._step(
            CommandStarted(**self._event_fields(), stage=stage, index=index, command=command.line)
        )
        started = time.monotonic()
        try:
            result = await self._run_unsent_again(command, limit)
            outcome = CommandOutcome(
                command=command.line,
                exit_status=result.exit_status,
                last_lines=tuple(result.last_lines(LAST_LINES)),
                seconds=time.monotonic() - started,
            )
        except SshError as exc:
            outcome = CommandOutcome(
                command=command.line,
                exit_status=None,
                error=str(exc),
                seconds=time.monotonic() - started,
            )
        await self._step(
            CommandFinished(**self._event_fields(), stage=stage, index=index, outcome=outcome)
        )
        return outcome

    async def _run_unsent_again(self, command: remote.RemoteCommand, limit: float) -> CommandResult:
        """Run `command`, trying again while the LPAR cannot even be reached (then nothing was
        sent), for up to `lost_contact_after` seconds."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return await self.ctx.ssh.run(self.lpar, command, time_limit=limit)
            except UnreachableError:
                attempt += 1
                if time.monotonic() - started >= self.options.lost_contact_after:
                    raise
                await asyncio.sleep(self.options.backoff.delay(attempt))

    async def _read(self, command: remote.RemoteCommand) -> Reading:
        try:
            return reading_of(
                command, await self._run_unsent_again(command, self.options.read_time_limit)
            )
        except SshError as exc:
            return reading_of(command, exc)

    async def _prep(self) -> bool:
        failed = await self._stage("prep", self.lpar.stages.prep)
        if failed is None:
            return True
        record = self.journal.stages["prep"]
        assert record.ended is not None
        await self._end("failed", record.ended.detail)
        return False

    async def _readings(self, *commands: tuple[str, remote.RemoteCommand]) -> Readings:
        answers = await asyncio.gather(*(self._read(command) for _, command in commands))
        found: dict[str, str] = {}
        problems = []
        for (name, _), answer in zip(commands, answers, strict=True):
            if answer.ok:
                found[name] = answer.stdout
            else:
                problems.append(f"Could not read {name}: {answer.failure()}")
        return Readings(**found, problems=tuple(problems))

    async def _capture(self) -> None:
        if self.journal.captured is not None:
            return
        before = await self._readings(
            ("oslevel", remote.oslevel()), ("lparstat", remote.lparstat())
        )
        await self._step(
            StateCaptured(
                **self._event_fields(),
                oslevel=before.oslevel,
                lparstat=before.lparstat,
                problems=before.problems,
            )
        )

    # --- the operation --------------------------------------------------------------------

    def _operation(self) -> remote.RemoteCommand:
        if self.kind is UpdateKind.LKU:
            return remote.geninstall(self.preview.filesets, media=self.preview.media, preview=False)
        return remote.llvupdate(
            pids=self.llu_pids,
            retries=self.options.llu_retries,
            timeout=self.options.llu_timeout,
            log=self.run.log_path.removesuffix(".log") + ".llvupdlog",
        )

    async def _send(self) -> bool:
        operation = self._operation()
        # Saved before sending: from here on a restarted lkubot only ever looks for the log.
        await self._step(
            OperationSent(
                **self._event_fields(), command=operation.line, log_path=self.run.log_path
            )
        )
        await self._save(RunState.RUNNING)
        try:
            result = await self._run_unsent_again(
                remote.start_detached(operation, self.run.log_path),
                self.options.control_time_limit,
            )
        except NOT_SENT as exc:
            await self._end(
                "failed",
                f"lkubot could not log in to {self.lpar.name} to start the operation, so it was "
                f"not started: {exc}",
            )
            return False
        except SshError as exc:
            # The connection was up, so the start may have arrived: the log will tell.
            log.warning("%s: the start of %s may not have arrived: %s", self.run.id, operation, exc)
            return True
        if not result.ok:
            log.warning("%s: the detached start exited %s", self.run.id, result.exit_status)
        return True

    async def _probe(self) -> bool:
        """After a restart: is the operation's log there? Regains contact when it is."""
        reading = await self._read(remote.tail(self.run.log_path, max(1, self.run.lines_consumed)))
        if reading.error is not None:
            return True  # out of reach: following deals with that
        if not reading.ok:
            await self._no_log()
            return False
        if self.run.state is RunState.UNKNOWN:
            await self._regain_contact()
        return True

    async def _no_log(self) -> None:
        path = self.run.log_path
        if self.log.lines == 0:
            message = (
                f"lkubot sent the start of the operation to {self.lpar.name}, but there is no "
                f"log at {path}: it may never have started. lkubot will not start it again. "
                f"Check the LPAR (`ps -ef | grep {self._program()}`, {path}); if nothing runs, "
                "preview again."
            )
        else:
            message = (
                f"The operation's log {path} on {self.lpar.name} has gone after "
                f"{self.log.lines} lines, so lkubot cannot tell how the operation ends. Check "
                "the LPAR and its live update logs."
            )
        await self._lose_contact(message)

    def _program(self) -> str:
        return "geninstall" if self.kind is UpdateKind.LKU else "llvupdate"

    async def _lose_contact(self, message: str) -> None:
        async with self.ctx.request_lock(self.request_id):
            request = await self.records.get_request(self.request_id)
            event = LoseContact(detail=message) if request.state is RequestState.RUNNING else None
            await self._save(RunState.UNKNOWN, error=message, request_event=event)
        await self._step(RunUnknown(**self._event_fields(), message=message))

    async def _regain_contact(self) -> None:
        async with self.ctx.request_lock(self.request_id):
            request = await self.records.get_request(self.request_id)
            others = [
                run
                for run in await self.records.runs_of(self.request_id)
                if run.id != self.run.id and run.state is RunState.UNKNOWN
            ]
            event = Resume() if request.state is RequestState.UNKNOWN and not others else None
            await self._save(RunState.RUNNING, request_event=event)

    async def _follow(self) -> bool:
        """Follow the log to the exit line; False when the run became unknown instead."""
        while True:
            outcome = await self._follow_once()
            if outcome is not None:
                return outcome
            # An error only an admin can fix (host key, login): keep trying, slowly.
            await asyncio.sleep(self.options.backoff.slowest)

    async def _follow_once(self) -> bool | None:
        queue: asyncio.Queue[FollowEvent | BaseException] = asyncio.Queue(
            maxsize=2 * self.options.batch_lines
        )

        async def pump() -> None:
            feed = cast(
                AsyncGenerator[FollowEvent, None],
                follow_log(
                    self.ctx.ssh,
                    self.lpar,
                    self.run.log_path,
                    consumed=self.log.lines,
                    backoff=self.options.backoff,
                ),
            )
            try:
                async with contextlib.aclosing(feed) as events:
                    async for event in events:
                        await queue.put(event)
            except (SshError, OSError) as exc:
                await queue.put(exc)

        pumping = asyncio.create_task(pump(), name=f"follow {self.run.id}")
        held: FollowEvent | BaseException | None = None
        try:
            while True:
                if held is not None:
                    item, held = held, None
                else:
                    try:
                        item = await asyncio.wait_for(
                            queue.get(), timeout=self.options.liveness_after
                        )
                    except TimeoutError:
                        if await self._operation_vanished():
                            return False
                        continue
                if isinstance(item, LogLine):
                    batch = [item]
                    while len(batch) < self.options.batch_lines and not queue.empty():
                        following = queue.get_nowait()
                        if not isinstance(following, LogLine):
                            held = following
                            break
                        batch.append(following)
                    await self._take(batch)
                    if self.log.ended:
                        return True
                elif isinstance(item, LinkDown):
                    await self._link_lost(item)
                elif isinstance(item, LinkUp):
                    await self._link_restored(item)
                elif isinstance(item, LogUnavailable):
                    await self._no_log()
                    return False
                elif isinstance(item, SshError):
                    if self.run.state is not RunState.UNKNOWN:
                        await self._lose_contact(str(item))
                    return None
                else:
                    raise item
        finally:
            pumping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pumping

    async def _take(self, lines: list[LogLine]) -> None:
        """Parse a batch of log lines, save them with their offset, then publish."""
        self._gone_once = False
        llu_before = self.log.llu_report() if self.kind is UpdateKind.LLU else None
        found = [record for line in lines for record in self.log.feed(line.number, line.text)]
        point_of_no_return = any(isinstance(r, PointOfNoReturnPassed) for r in found)
        if point_of_no_return:
            self.passed_point_of_no_return = True
        now = self._now()
        async with self._saving:
            self.run = await self.records.record_run_lines(
                self.run.id, [to_run_event(r, now) for r in found], self.log.settled
            )
        changes: dict[str, Any] = {}
        if point_of_no_return and not self.run.point_of_no_return:
            changes["point_of_no_return"] = True
        blackout = [
            r.seconds for r in found if isinstance(r, BlackoutEnded) and r.seconds is not None
        ]
        if blackout:
            changes["blackout_seconds"] = float(blackout[-1])
        if self.log.pid is not None and self.run.remote_pid != self.log.pid:
            changes["remote_pid"] = self.log.pid
        if changes:
            await self._save(**changes)
        for record in found:
            event = progress_of(record, self.ids, now)
            if event is not None:
                self.ctx.bus.publish(event)
        if llu_before is not None:
            for event in llu_progress(self.log, llu_before, self.ids, now):
                self.ctx.bus.publish(event)
        # A backlog (after a drop or a restart) may hold the banner and a cancel may be
        # pending: past the point of no return the signal is never sent.
        if (
            self.cancel_by is not None
            and not self._kill_sent
            and not self.log.ended
            and not self.passed_point_of_no_return
        ):
            await self._kill()

    async def _link_lost(self, down: LinkDown) -> None:
        if not self._link_down:
            self._link_down = True
            await self._step(LinkLost(**self._event_fields(), reason=down.reason))
        if down.down_for >= self.options.lost_contact_after and self.run.state is RunState.RUNNING:
            await self._lose_contact(
                f"lkubot has not reached {self.lpar.name} for {down.down_for:.0f} s "
                f"({down.reason}). The operation goes on there; lkubot keeps trying every "
                f"{self.options.backoff.slowest:g} s and resumes where it stopped."
            )

    async def _link_restored(self, up: LinkUp) -> None:
        self._link_down = False
        if self.run.state is RunState.UNKNOWN:
            await self._regain_contact()
        await self._step(
            LinkRestored(
                **self._event_fields(), down_seconds=up.down_for, resumed_at_line=up.resumed_at
            )
        )

    async def _operation_vanished(self) -> bool:
        """After a silence: True when the operation is gone without its exit line, twice."""
        if self.log.pid is None or self._link_down:
            return False
        reading = await self._read(remote.is_running(self.log.pid))
        if reading.error is not None or reading.ok:
            self._gone_once = False
            return False
        if not self._gone_once:
            # The exit line comes right after the process ends: give it one more silence.
            self._gone_once = True
            return False
        await self._lose_contact(
            f"The operation (process {self.log.pid}) no longer runs on {self.lpar.name}, but "
            f"its log {self.run.log_path} has no exit line: the LPAR may have rebooted or the "
            "process was killed. Check the LPAR and its live update logs."
        )
        return True

    # --- cancel -----------------------------------------------------------------------------

    async def request_cancel(self, by: str, reason: str) -> str:
        """Ask the run to stop; returns what was done, as a sentence. Refuses past the point
        of no return (sending nothing)."""
        where = f"{self.run.id} on {self.lpar.name}"
        if self.ended or self.log.ended:
            raise CancelRefused(f"{where} has already ended: there is nothing to cancel.")
        if self.passed_point_of_no_return:
            raise CancelRefused(
                f'{where} has passed the point of no return ("Non-interruptable live update '
                'operation begins"): AIX cannot stop it now, and it will finish on its own.'
            )
        if self.cancel_by is not None:
            return f"{where}: a cancel was already asked for."
        self.cancel_by = by
        await self._step(CancelRequested(**self._event_fields(), by=by, reason=reason))
        if self.log.pid is not None and not self._kill_sent:
            await self._kill()
            return f"{where}: sent TERM to process {self.log.pid}."
        if self.journal.sent is None:
            return f"{where}: it stops before the operation is started."
        return f"{where}: it is stopped as soon as its process id shows in the log."

    async def _kill(self) -> None:
        assert self.log.pid is not None
        self._kill_sent = True
        await self._command(
            "cancel", 1, remote.terminate(self.log.pid), self.options.control_time_limit
        )

    async def _cancelled_before_start(self) -> Run:
        failed = await self._stage("post", self.lpar.stages.post)
        message = f"Cancelled by <@{self.cancel_by}> before the operation was started."
        if failed is not None:
            message += " " + _failure("post", failed)
        return await self._end("cancelled", message)

    # --- the end ----------------------------------------------------------------------------

    async def _after_exit(self) -> Run:
        code = self.log.exit_code
        assert code is not None
        cancelled = self.cancel_by is not None and code != 0
        notes: list[str] = []
        cleanup: str | None = None
        if cancelled and self.kind is UpdateKind.LKU:
            outcome = await self._cleanup_after_cancel()
            if outcome is not None and not outcome.ok:
                notes.append(f"`clvupdate` did not succeed: {_failure('cancel', outcome)}")
                cleanup = remote.clvupdate().line
        aftercare = self.journal.aftercare
        if aftercare is None and not cancelled:
            aftercare = await self._aftercare()
        post_failed = await self._stage("post", self.lpar.stages.post)
        llu = self.log.llu_report() if self.kind is UpdateKind.LLU else None
        outcome_name: RunOutcome
        if cancelled:
            outcome_name = "cancelled"
            notes.insert(0, f"Cancelled by <@{self.cancel_by}> before the point of no return.")
        elif self.kind is UpdateKind.LKU:
            summary = self.log.summary()
            fatal = [e for e in summary.errors if e.fatal]
            if code != 0 or fatal:
                outcome_name = "failed"
                said = f"{fatal[0].code} {fatal[0].message}" if fatal else "no 1430 message"
                notes.insert(
                    0,
                    f"The live update failed with exit status {code}: {said}. Clean up with "
                    "`clvupdate` before the next preview.",
                )
                cleanup = remote.clvupdate().line
            else:
                outcome_name = "succeeded"
        else:
            assert llu is not None
            stuck = [p for p in llu.processes if p.outcome in ("failed", "timed_out")]
            if code != 0 or stuck:
                outcome_name = "failed"
                pids = ", ".join(f"{p.pid} ({p.outcome.replace('_', ' ')})" for p in stuck)
                notes.insert(
                    0,
                    f"The live library update exited with status {code}"
                    + (f"; not updated: {pids}" if pids else "")
                    + ". `cllvupdate -u` cleans up.",
                )
                cleanup = remote.cllvupdate().line
            else:
                outcome_name = "succeeded"
        if post_failed is not None:
            if outcome_name == "succeeded":
                outcome_name = "failed"
            notes.append(_failure("post", post_failed))
        if self.cancel_by is not None and not cancelled:
            notes.append(f"The cancel by <@{self.cancel_by}> came too late: the operation went on.")
        return await self._end(
            outcome_name,
            " ".join(notes) or None,
            exit_code=code,
            aftercare=aftercare,
            llu=llu,
            cleanup=cleanup,
        )

    async def _cleanup_after_cancel(self) -> CommandOutcome | None:
        record = self.journal.stages.get("cancel")
        if record is not None and (record.in_doubt or len(record.finished) >= 2):
            return None
        return await self._command("cancel", 2, remote.clvupdate(), self.options.cleanup_time_limit)

    async def _aftercare(self) -> Aftercare:
        reads = [
            ("oslevel", remote.oslevel()),
            ("lparstat", remote.lparstat()),
            ("genld", remote.genld()),
        ]
        if self.kind is UpdateKind.LKU:
            reads.append(("config_diff", remote.read_file(remote.CONFIG_DIFF)))
        after = await self._readings(*reads)
        captured = self.journal.captured
        before = Readings(
            oslevel=captured.oslevel if captured else None,
            lparstat=captured.lparstat if captured else None,
            problems=captured.problems if captured else (),
        )
        if self.kind is UpdateKind.LKU and not self.log.summary().config_diff_path:
            # AIX writes config.diff only when a watched file changed; an old one is not news.
            after = after.model_copy(
                update={
                    "config_diff": None,
                    "problems": tuple(p for p in after.problems if "config_diff" not in p),
                }
            )
        aftercare = compare_states(before, after)
        await self._step(AftercareRecorded(**self._event_fields(), aftercare=aftercare))
        return aftercare

    async def _end(self, outcome: RunOutcome, message: str | None, **found: Any) -> Run:
        event = await self._record(
            RunEnded(**self._event_fields(), outcome=outcome, message=message, **found)
        )
        assert isinstance(event, RunEnded)
        return await self._conclude(event)

    async def _conclude(self, event: RunEnded) -> Run:
        """Save the outcome in the run, then publish it (the rollout finishes the request)."""
        if not self.run.state.terminal:
            await self._save(RunState(event.outcome), error=event.message)
        self.ctx.bus.publish(event)
        return self.run


async def drive_all(drivers: list[RunDriver]) -> list[Run]:
    """Drive runs side by side (one wave); each one's failure stays its own."""
    results: list[Run] = []
    outcomes = await asyncio.gather(*(d.drive() for d in drivers), return_exceptions=True)
    for driver, outcome in zip(drivers, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            if isinstance(outcome, asyncio.CancelledError):
                raise outcome
            log.error("run %s stopped on an error", driver.run.id, exc_info=outcome)
            results.append(driver.run)
        else:
            results.append(outcome)
    return results
