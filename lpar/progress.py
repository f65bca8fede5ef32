"""What the run engine tells the Slack layer while runs go on: typed progress events.

Every event is published only after what it reports has been saved, so a status card built
from events and one rebuilt from SQLite (`lpar.snapshot`) agree. Each event has a `key` that
is stable across restarts (`LU-17-1#7` for the run's 7th journal step, `LU-17-1@57:phase` for
what log line 57 said): after a restart the engine publishes only what it saves from then on,
so nothing is published twice, and a subscriber that wants to be sure can drop a key it has
seen.

    async with engine.subscribe() as progress:
        async for event in progress:
            match event:
                case PhaseReached(): ...          # edit the status card
                case RunEnded(): ...              # the final summary (aftercare inside)
                case Gap(): ...                   # too slow: re-render from engine.snapshot()

Run events carry `request_id`, `run_id` and `lpar`; rollout events (`WaveStarted`,
`RolloutHeld`, `RolloutEnded`) carry `request_id` only. `at` is lkubot's clock when the event
was saved; `lpar_time` fields are the LPAR's own timestamps (its local time, as AIX prints them).

The run engine's journal (`RunRecords.record_run_step`) stores the step events of this module
as JSON, so `PROGRESS` also reads them back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from liveupdate.llu import LluReport, Outcome
from lpar.aftercare import Aftercare

Stage = Literal["prep", "lu", "post", "cancel"]
"""`prep` and `post` are the inventory's commands; `lu` is the operation itself; `cancel` holds
the commands a cancel sent (`kill -TERM PID`, `clvupdate`). The pre stage is the preview."""

RunOutcome = Literal["succeeded", "failed", "cancelled", "unverified"]
"""`unverified`: it ended, but lkubot could not confirm its result (see `lpar.verdict`)."""


class CommandOutcome(BaseModel):
    """One command a stage ran, and what it did."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str
    exit_status: int | None
    """None when lkubot could not tell (the connection dropped while it ran)."""
    last_lines: tuple[str, ...] = ()
    """The last lines of its output (stdout, then stderr), for the card and failure messages."""
    seconds: float = 0.0
    error: str | None = None
    """Why no exit status is known, as a sentence."""

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = ""
    """Stable identity of this event (see the module text); set when it is saved."""
    request_id: str
    at: AwareDatetime


class _RunEvent(_Event):
    run_id: str
    lpar: str


# --- journal steps: saved by `record_run_step`, published as they are saved ----------------


class StageStarted(_RunEvent):
    type: Literal["stage_started"] = "stage_started"
    stage: Stage
    commands: tuple[str, ...]


class CommandStarted(_RunEvent):
    """Saved before the command is sent: after a restart it says which command was in doubt."""

    type: Literal["command_started"] = "command_started"
    stage: Stage
    index: int
    command: str


class CommandFinished(_RunEvent):
    type: Literal["command_finished"] = "command_finished"
    stage: Stage
    index: int
    outcome: CommandOutcome


class StageFinished(_RunEvent):
    type: Literal["stage_finished"] = "stage_finished"
    stage: Stage
    ok: bool
    detail: str | None = None
    """When not ok: the failing command, its exit code and last lines, as a sentence."""


class StateCaptured(_RunEvent):
    """`oslevel -s` and `lparstat -i` read before the operation, to compare with after."""

    type: Literal["state_captured"] = "state_captured"
    oslevel: str | None
    lparstat: str | None
    problems: tuple[str, ...] = ()


class OperationSent(_RunEvent):
    """Saved (with the run made `running`) just before the detached start is sent. From here
    on lkubot sends that same start again only while none of `log_path` was read (the shell
    refuses it once the log exists, so the operation runs once); then it follows the log."""

    type: Literal["operation_sent"] = "operation_sent"
    command: str
    log_path: str


class LinkLost(_RunEvent):
    """The LPAR stopped answering (the blackout is the likely moment); lkubot keeps trying."""

    type: Literal["link_lost"] = "link_lost"
    reason: str


class LinkRestored(_RunEvent):
    type: Literal["link_restored"] = "link_restored"
    down_seconds: float
    resumed_at_line: int


class RunUnknown(_RunEvent):
    """lkubot cannot tell how the run is going: out of contact past the limit, or the
    operation's log is missing. The run stays locked and lkubot keeps trying slowly."""

    type: Literal["run_unknown"] = "run_unknown"
    message: str


class CancelRequested(_RunEvent):
    type: Literal["cancel_requested"] = "cancel_requested"
    by: str
    reason: str = ""


class AftercareRecorded(_RunEvent):
    type: Literal["aftercare"] = "aftercare"
    aftercare: Aftercare


class RunEnded(_RunEvent):
    """The run's last word: its outcome and everything the final summary shows."""

    type: Literal["run_ended"] = "run_ended"
    outcome: RunOutcome
    message: str | None = None
    """Why it failed or was cancelled; None for a plain success."""
    exit_code: int | None = None
    """The operation's exit code, when it ran."""
    aftercare: Aftercare | None = None
    llu: LluReport | None = None
    cleanup: str | None = None
    """A clean-up command to offer (`cllvupdate -u` after an LLU with failed processes,
    `clvupdate` after a failed LKU); lkubot runs it only when an admin asks (`Engine.cleanup`)."""


# --- read from the operation's log: saved by `record_run_lines` ----------------------------


class OperationStarted(_RunEvent):
    """The detached wrapper's `lkubot-pid:` line: the operation runs as `pid`."""

    type: Literal["operation_started"] = "operation_started"
    pid: int
    line: int


class PhaseReached(_RunEvent):
    type: Literal["phase"] = "phase"
    message: str
    index: int | None
    """n of "phase n of N"; None for a progress line lkubot does not know."""
    total: int
    lpar_time: datetime
    blackout: bool
    line: int


class PointOfNoReturn(_RunEvent):
    """From here on the operation cannot be cancelled: hide the Cancel button."""

    type: Literal["point_of_no_return"] = "point_of_no_return"
    inferred: bool
    """True when the banner was lost and a later phase proved the point was passed."""
    line: int


class BlackoutStarted(_RunEvent):
    type: Literal["blackout_started"] = "blackout_started"
    lpar_time: datetime
    line: int


class BlackoutEnded(_RunEvent):
    type: Literal["blackout_ended"] = "blackout_ended"
    seconds: int | None
    """As measured from AIX's own timestamps (21 s in the reference transcript)."""
    line: int


class AixError(_RunEvent):
    """A `1430-NNN` message with its advice lines."""

    type: Literal["aix_error"] = "aix_error"
    code: str
    message: str
    advice: tuple[str, ...]
    fatal: bool
    line: int


class LluProcessReported(_RunEvent):
    """A live library update said how one process fared."""

    type: Literal["llu_process"] = "llu_process"
    pid: int
    outcome: Outcome
    detail: str | None
    line: int


class OperationExited(_RunEvent):
    """The detached wrapper's `lkubot-exit:` line: aftercare and the post stage follow."""

    type: Literal["operation_exited"] = "operation_exited"
    exit_code: int
    line: int


# --- rollouts ---------------------------------------------------------------------------------


class WaveStarted(_Event):
    """A group rollout starts wave `wave` of `waves` (wave 1 is the canary, alone)."""

    type: Literal["wave_started"] = "wave_started"
    wave: int
    waves: int
    lpars: tuple[str, ...]


class RolloutHeld(_Event):
    """A rollout does not go on for now: before wave `wave` the freeze or a closed change
    window holds it, or an LPAR cannot be previewed again just now (it goes on by itself), or
    an error left a run unfinished (`wave` None: an admin closes the run). `message` says
    which, and what makes it go on."""

    type: Literal["rollout_held"] = "rollout_held"
    wave: int | None
    waves: int
    message: str


class RolloutEnded(_Event):
    """A group rollout is over: every wave succeeded, or it stopped at the first failure."""

    type: Literal["rollout_ended"] = "rollout_ended"
    outcome: RunOutcome
    message: str | None = None


class Gap(BaseModel):
    """This subscriber fell behind and `missed` events were dropped: re-render the cards it
    shows from `Engine.snapshot` / `Engine.rollout` (SQLite has everything)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["gap"] = "gap"
    missed: int


_Steps = (
    StageStarted
    | CommandStarted
    | CommandFinished
    | StageFinished
    | StateCaptured
    | OperationSent
    | LinkLost
    | LinkRestored
    | RunUnknown
    | CancelRequested
    | AftercareRecorded
    | RunEnded
)
StepEvent = Annotated[_Steps, Field(discriminator="type")]
"""The events the engine saves in a run's journal."""

LogProgress = (
    OperationStarted
    | PhaseReached
    | PointOfNoReturn
    | BlackoutStarted
    | BlackoutEnded
    | AixError
    | LluProcessReported
    | OperationExited
)
"""The events read from an operation's log."""

Progress = Annotated[
    _Steps | LogProgress | WaveStarted | RolloutHeld | RolloutEnded | Gap,
    Field(discriminator="type"),
]
"""Everything a subscriber receives."""

STEP_EVENT: TypeAdapter[StepEvent] = TypeAdapter(StepEvent)
PROGRESS: TypeAdapter[Progress] = TypeAdapter(Progress)
