"""Driving one run on one LPAR, from prep to its outcome, and picking it up after a restart.

`RunDriver.drive` is the same code for a fresh run and a reattach: it reads the run's journal
and saved log records first and goes on from there. What makes it safe to stop at any moment:

- every step is saved before it is published; a command is noted before it is sent;
- the run is saved `running` with an `OperationSent` step before the detached start is sent;
  the start is idempotent (the shell's noclobber refuses it when its log exists, see
  `remote.start_detached`), so while none of the log has been read (after a restart, or when
  the log is not there) it is sent again, and the operation runs once whichever start got
  there; once a line of the log is saved it is only ever followed;
- a prep or post command noted as sent without a result is in doubt and is not sent again:
  the run stops and says which command to check; one whose result was saved is done, and
  the stage goes on with the next;
- log lines are saved with their line offset in the same transaction as their records, and
  following resumes after the last saved line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from liveupdate.checks import UpdateKind
from liveupdate.llu import (
    LluReport,
    merge_reports,
    parse_llvupdate_preview,
    parse_llvupdate_report,
    with_expected,
)
from liveupdate.runs import Run, RunState
from lpar import remote
from lpar.aftercare import Aftercare, Readings, compare_states
from lpar.following import Following
from lpar.journal import Journal
from lpar.oplog import OperationLog
from lpar.progress import (
    AftercareRecorded,
    CancelRequested,
    CommandFinished,
    CommandOutcome,
    CommandStarted,
    OperationSent,
    RunEnded,
    RunOutcome,
    Stage,
    StageFinished,
    StageStarted,
    StateCaptured,
)
from lpar.refusals import CancelRefused
from lpar.run_base import NOT_SENT
from lpar.ssh import CommandResult, SshError
from lpar.verdict import judge_lku, judge_llu

log = logging.getLogger(__name__)

LAST_LINES = 10
"""Lines of a command's output kept with its outcome."""
IN_DOUBT = (
    "lkubot stopped while it ran, so whether it finished is unknown; it was not sent again: "
    "check it on the LPAR."
)
"""Why a command sent before a restart has no outcome."""
START_ATTEMPTS = 3
"""Starts a driver sends at most while the log does not appear (each is safe: noclobber)."""


def _in_doubt(command: str) -> CommandOutcome:
    return CommandOutcome(command=command, exit_status=None, error=IN_DOUBT)


def _failure(stage: str, outcome: CommandOutcome) -> str:
    if outcome.exit_status is None:
        return f"The {stage} stage stopped at `{outcome.command}`: {outcome.error}"
    said = " / ".join(outcome.last_lines[-3:]) or "no output"
    return (
        f"The {stage} stage stopped at `{outcome.command}`: exit status {outcome.exit_status} "
        f"({said})."
    )


class RunDriver(Following):
    """Takes one run to its end (see the module text)."""

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
            # Prep resumes after its last command with a saved result (see `_stage`).
            if not await self._prep():
                return self.run
            await self._capture()
            if self.cancel_by is not None:
                return await self._cancelled_before_start()
            if not await self._send():
                return self.run
        else:
            # Stopped between noting the start and saving the run running: not sent yet.
            if self.run.state is RunState.STARTING and not await self._claim_start():
                return self.run
            if self.log.lines == 0:
                # Stopped before any of the log was read: the start may not have left.
                await self._start_again(self.journal.sent)
            if not self.log.ended and not await self._probe():
                return self.run
        if not self.log.ended and not await self._follow():
            return self.run
        return await self._after_exit()

    def _stopped_during_prep(self, doubt: str) -> str:
        return (
            f"lkubot stopped during the prep stage while `{doubt}` was running, so whether it "
            f"finished is unknown; it was not sent again, and the operation was not started. "
            f"Check on {self.lpar.name} what `{doubt}` did and what the prep commands before "
            "it changed, then preview again."
        )

    # --- stages ---------------------------------------------------------------------------

    async def _stage(self, stage: Stage, commands: tuple[str, ...]) -> CommandOutcome | None:
        """Run a stage's commands in order; returns the failing command's outcome, if any.

        After a restart it resumes with the commands planned when the stage started, after the
        last one whose result was saved; a command sent without a saved result is in doubt:
        it is not sent again, and it fails the stage."""
        record = self.journal.stages.get(stage)
        if record is not None and record.ended is not None:
            if record.ended.ok:
                return None
            failed = [o for o in record.finished if not o.ok]
            # Ended failed with no failed result: it was a command in doubt (still `running`).
            return failed[-1] if failed else _in_doubt(next(iter(record.running.values()), ""))
        if record is None or not record.started:
            await self._step(StageStarted(**self._event_fields(), stage=stage, commands=commands))
            record = self.journal.stage(stage)
        doubt = record.in_doubt
        if doubt is not None:
            outcome = _in_doubt(doubt)
            await self._step(
                StageFinished(
                    **self._event_fields(), stage=stage, ok=False, detail=_failure(stage, outcome)
                )
            )
            return outcome
        for index, command in enumerate(record.planned, start=1):
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

    async def _prep(self) -> bool:
        failed = await self._stage("prep", self.lpar.stages.prep)
        if failed is None:
            return True
        if failed.error == IN_DOUBT:
            await self._end("failed", self._stopped_during_prep(failed.command))
            return False
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
            log=self._llu_log(),
        )

    def _llu_log(self) -> str:
        """llvupdate's own log (`-l`), next to the run's log."""
        return self.run.log_path.removesuffix(".log") + ".llvupdlog"

    async def _llu_results(self) -> tuple[LluReport, str | None]:
        """Each process's result from llvupdate's output and its own log together, with the
        processes it should have moved and that neither names as `unknown`; and why its log
        could not be read, if it could not."""
        reading = await self._read(remote.read_file(self._llu_log()))
        accounts = [self.log.llu_report()]
        if reading.ok:
            accounts.append(parse_llvupdate_report(reading.stdout))
        report = merge_reports(*accounts)
        if not report.none_required:
            listed = parse_llvupdate_preview(self.preview.raw_output).processes
            report = with_expected(report, self.llu_pids or [p.pid for p in listed])
        return report, None if reading.ok else reading.failure()

    async def _send(self) -> bool:
        operation = self._operation()
        # Saved before sending: from here on a restarted lkubot sends this start again only
        # while none of the log was read, and the shell refuses it once the log exists.
        await self._step(
            OperationSent(
                **self._event_fields(), command=operation.line, log_path=self.run.log_path
            )
        )
        if not await self._claim_start():
            return False
        self._starts_sent += 1
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
            # The connection was up, so the start may have arrived: the log will tell, and
            # without a log the start is sent again (`_log_missing`).
            log.warning("%s: the start of %s may not have arrived: %s", self.run.id, operation, exc)
            return True
        self._heard_from_start(result)
        return True

    async def _start_again(self, sent: OperationSent) -> None:
        """Send the noted start once more, exactly as noted (a reattached driver does not
        know the LLU processes chosen at launch). The shell refuses it when the log exists,
        so the operation runs once, whichever start got there. Any SSH error is only logged:
        following finds out whether the log is there."""
        self._starts_sent += 1
        start = remote.start_detached(remote.RemoteCommand(sent.command), sent.log_path)
        try:
            result = await self.ctx.ssh.run(
                self.lpar, start, time_limit=self.options.control_time_limit
            )
        except SshError as exc:
            log.warning("%s: the start sent again may not have arrived: %s", self.run.id, exc)
            return
        self._heard_from_start(result)

    def _heard_from_start(self, result: CommandResult) -> None:
        """Keep what the shell said to a start: nothing when it started the operation, the
        noclobber refusal when an earlier start did, or why it could not create the log."""
        self._start_stderr = result.stderr.strip()
        if not result.ok or self._start_stderr:
            log.info(
                "%s: the start exited %s: %s",
                self.run.id,
                result.exit_status,
                self._start_stderr or "no message",
            )

    async def _log_missing(self) -> bool:
        """No log: while none of it was read, a start may not have left, or its shell not
        created the log yet; after a short wait the start is sent again (see the module)."""
        sent = self.journal.sent
        if sent is None or self.log.lines > 0 or self._starts_sent >= START_ATTEMPTS:
            return await super()._log_missing()
        await asyncio.sleep(self.options.backoff.delay(max(1, self._starts_sent)))
        await self._start_again(sent)
        return True

    async def _claim_start(self) -> bool:
        """Save the run running, only if it is still starting. Another lkubot on the same
        database that got there first sends the start; this one then sends nothing."""
        async with self._saving:
            claimed = await self.records.claim_start(self.run.id, self._now())
            if claimed is None:
                self.run = await self.records.get_run(self.run.id)
                log.error(
                    "%s: another lkubot on this database started the run (it is %s); this one "
                    "sends nothing and stops following it",
                    self.run.id,
                    self.run.state.value,
                )
                return False
            self.run = claimed
        return True

    # --- cancel -----------------------------------------------------------------------------

    async def _after_batch(self) -> None:
        # A backlog (after a drop or a restart) may hold the banner while a cancel is
        # pending: past the point of no return the signal is never sent.
        if (
            self.cancel_by is not None
            and not self._kill_sent
            and not self.log.ended
            and not self.passed_point_of_no_return
        ):
            await self._kill()

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

    async def abandon(self, error: BaseException) -> Run:
        """After an error nothing foresaw: the run becomes unknown with a sentence saying so,
        for an admin to check the LPAR and close the run (`/lku resolve`)."""
        message = (
            f"lkubot stopped following {self.run.id} on an unexpected error "
            f"({type(error).__name__}: {error}); its log has the details. Check "
            f"{self.lpar.name}, then close the run with /lku resolve {self.run.id} "
            "succeeded|failed REASON."
        )
        try:
            self.run = await self.records.get_run(self.run.id)
            if not self.run.state.terminal:
                await self._lose_contact(message)
        # Storage itself may be what failed: the run then stays as stored, and the log says so.
        except Exception:
            log.exception("%s could not be marked unknown", self.run.id)
        return self.run

    async def _after_exit(self) -> Run:
        code = self.log.exit_code
        assert code is not None
        cancelled = self.cancel_by is not None and code != 0
        notes: list[str] = []
        cleanup: str | None = None
        if cancelled and self.kind is UpdateKind.LKU:
            outcome = await self._cleanup_after_cancel()
            if not outcome.ok:
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
        else:
            if self.kind is UpdateKind.LKU:
                verdict = judge_lku(code, self.log.summary())
            else:
                llu, log_problem = await self._llu_results()
                verdict = judge_llu(code, llu, log_path=self._llu_log(), log_problem=log_problem)
            outcome_name = verdict.outcome
            if verdict.note:
                notes.insert(0, verdict.note)
            cleanup = verdict.cleanup or cleanup
        if post_failed is not None:
            if outcome_name in ("succeeded", "unverified"):
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

    async def _cleanup_after_cancel(self) -> CommandOutcome:
        """`clvupdate` after a cancelled kernel update, once: after a restart its saved outcome
        stands, and one that was in flight is not sent again (the summary offers it). A TERM
        left in doubt by a restart does not stop it: the operation has ended either way."""
        cleanup = remote.clvupdate()
        record = self.journal.stages.get("cancel")
        if record is not None:
            done = [o for o in record.finished if o.command == cleanup.line]
            if done:
                return done[-1]
            if cleanup.line in record.running.values():
                return _in_doubt(cleanup.line)
        return await self._command("cancel", 2, cleanup, self.options.cleanup_time_limit)

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
