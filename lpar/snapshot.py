"""The full view of a run, rebuilt from SQLite alone: what a status card shows.

`Engine.snapshot(run_id)` gives a `RunSnapshot` at any moment, also after a restart, so the
Slack layer can re-render a card (edit it in place) without having seen a single progress
event, and without posting anything twice. `Engine.rollout(request_id)` gives the waves of a
group rollout with a snapshot per run.

`build_snapshot` is pure: it folds the run's saved log events and journal steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from liveupdate.checks import UpdateKind
from liveupdate.llu import LluReport
from liveupdate.lvevents import ErrorReported
from liveupdate.lvlog import PhaseRecord
from liveupdate.phases import TOTAL_PHASES
from liveupdate.runs import Run, RunEvent, RunState, RunStep
from lpar.aftercare import Aftercare
from lpar.journal import Journal
from lpar.oplog import OperationLog
from lpar.progress import CommandOutcome, RunOutcome, Stage

StageState = Literal["pending", "running", "done", "failed", "skipped"]


class StageView(BaseModel):
    """One stage of the run as the card shows it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: Stage
    state: StageState
    commands: tuple[CommandOutcome, ...] = ()
    """The commands that finished, in order."""
    running: str | None = None
    """The command running now (or in doubt after a restart)."""
    detail: str | None = None


class RunSnapshot(BaseModel):
    """Where one run stands, from its record, log events and journal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run: Run
    """The stored run: id, request, LPAR, state, pid, log path, lines consumed, times."""
    kind: UpdateKind
    stages: tuple[StageView, ...]
    """prep, lu, post (and cancel, once a cancel sent commands), in that order."""
    phases: tuple[PhaseRecord, ...] = ()
    """Each live update phase so far, with its start (LPAR time) and length."""
    phase_index: int | None = None
    """n of "phase n of N" (the latest known phase)."""
    total_phases: int = TOTAL_PHASES
    current_phase: str | None = None
    point_of_no_return: bool = False
    in_blackout: bool = False
    blackout_seconds: int | None = None
    elapsed_seconds: float
    """Since the run started, by lkubot's clock (to its end, once ended)."""
    lpar_seconds: int | None = None
    """The operation's length by the LPAR's own timestamps."""
    link_down_since: AwareDatetime | None = None
    """Set while lkubot cannot reach the LPAR."""
    cancel_requested_by: str | None = None
    errors: tuple[ErrorReported, ...] = ()
    """1430 messages from the log."""
    modified_files: tuple[str, ...] = ()
    exit_code: int | None = None
    outcome: RunOutcome | None = None
    """None while the run goes on (or is unknown)."""
    message: str | None = None
    """Why it failed, was cancelled or is unknown."""
    aftercare: Aftercare | None = None
    llu: LluReport | None = None
    cleanup: str | None = None
    """A clean-up command lkubot offers to run (see `Engine.cleanup`)."""

    @property
    def state(self) -> RunState:
        return self.run.state

    @property
    def cancellable(self) -> bool:
        """Offer Cancel: the run goes on and has not passed the point of no return."""
        return (
            not self.run.state.terminal
            and not self.point_of_no_return
            and self.cancel_requested_by is None
        )


class RolloutSnapshot(BaseModel):
    """A request's runs in their waves (a single LPAR is one wave of one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: str
    waves: tuple[tuple[str, ...], ...]
    """LPAR names per wave, in order; wave 1 is the canary."""
    runs: tuple[RunSnapshot, ...]
    """The runs started so far, in start order."""

    @property
    def current_wave(self) -> int | None:
        """1-based number of the last wave with a started run."""
        started = {snapshot.run.lpar for snapshot in self.runs}
        waves = [n for n, lpars in enumerate(self.waves, start=1) if started & set(lpars)]
        return waves[-1] if waves else None


_STAGES: tuple[Stage, ...] = ("prep", "lu", "post")


def _stage_view(name: Stage, journal: Journal, run: Run, log: OperationLog) -> StageView:
    record = journal.stages.get(name)
    if name == "lu":
        return _operation_view(journal, run, log)
    if record is None or not record.started:
        state: StageState = "skipped" if run.state.terminal else "pending"
        return StageView(stage=name, state=state)
    if record.ended is not None:
        state = "done" if record.ended.ok else "failed"
    else:
        state = "failed" if run.state.terminal else "running"
    return StageView(
        stage=name,
        state=state,
        commands=tuple(record.finished),
        running=record.in_doubt,
        detail=record.ended.detail if record.ended else None,
    )


def _operation_view(journal: Journal, run: Run, log: OperationLog) -> StageView:
    sent = journal.sent
    if sent is None:
        return StageView(stage="lu", state="skipped" if run.state.terminal else "pending")
    if log.exit_code is None:
        state: StageState = "failed" if run.state.terminal else "running"
        return StageView(stage="lu", state=state, running=sent.command)
    outcome = CommandOutcome(command=sent.command, exit_status=log.exit_code)
    return StageView(
        stage="lu", state="done" if log.exit_code == 0 else "failed", commands=(outcome,)
    )


def build_snapshot(
    run: Run,
    kind: UpdateKind,
    events: Sequence[RunEvent],
    steps: Sequence[RunStep],
    now: datetime,
) -> RunSnapshot:
    """The view of `run` from its saved log records and journal steps, at `now`."""
    journal = Journal.from_steps(run.id, steps)
    log = OperationLog.resume(kind, events, run.lines_consumed)
    stages = [_stage_view(name, journal, run, log) for name in _STAGES]
    if "cancel" in journal.stages:
        stages.append(_stage_view("cancel", journal, run, log))
    ended = journal.ended
    summary = log.summary() if kind is UpdateKind.LKU else None
    llu = (
        ended.llu if ended and ended.llu else (log.llu_report() if kind is UpdateKind.LLU else None)
    )
    message = ended.message if ended else None
    if message is None and journal.unknown is not None and run.state is RunState.UNKNOWN:
        message = journal.unknown.message
    current = summary.current_phase if summary else None
    return RunSnapshot(
        run=run,
        kind=kind,
        stages=tuple(stages),
        phases=summary.phases if summary else (),
        phase_index=summary.current_index if summary else None,
        current_phase=current.message if current else None,
        point_of_no_return=run.point_of_no_return
        or bool(summary and summary.point_of_no_return_passed),
        in_blackout=bool(summary and summary.in_blackout) and not run.state.terminal,
        blackout_seconds=summary.blackout_seconds if summary else None,
        elapsed_seconds=max(0.0, ((run.ended_at or now) - run.started_at).total_seconds()),
        lpar_seconds=summary.total_seconds if summary else None,
        link_down_since=journal.link_down_since if not run.state.terminal else None,
        cancel_requested_by=journal.cancel.by if journal.cancel else None,
        errors=summary.errors if summary else (),
        modified_files=summary.modified_files if summary else (),
        exit_code=log.exit_code,
        outcome=ended.outcome if ended else None,
        message=message,
        aftercare=journal.aftercare,
        llu=llu,
        cleanup=ended.cleanup if ended else None,
    )
