"""The full view of a run, rebuilt from SQLite alone: what a status card shows.

`Engine.snapshot(run_id)` gives a `RunSnapshot` at any moment, also after a restart, so the
Slack layer can re-render a card (edit it in place) without having seen a single progress
event, and without posting anything twice. `Engine.rollout(request_id)` gives the waves of a
group rollout with a snapshot per run.

`build_snapshot` is pure: it folds the run's saved log events and journal steps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from liveupdate.checks import UpdateKind
from liveupdate.llu import LluReport
from liveupdate.lvevents import ErrorReported
from liveupdate.lvlog import PhaseRecord
from liveupdate.phases import TOTAL_PHASES
from liveupdate.runs import Run, RunState
from lpar.aftercare import Aftercare
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


def build_snapshot(run: Run, kind: UpdateKind, now: datetime) -> RunSnapshot:
    """Placeholder signature; see the engine."""
    raise NotImplementedError
