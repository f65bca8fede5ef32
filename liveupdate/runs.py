"""Runs (one per launch of one LPAR), the lines they saw, and the per-LPAR lock.

A run is what lkubot must never lose: the remote pid and log path to find the operation
again, and how many log lines it has consumed, so a reattach resumes with `tail -n +K+1`
exactly where it stopped (see docs/remote-commands.md).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from liveupdate.checks import LparName
from liveupdate.errors import WrongState
from liveupdate.paths import REMOTE_PATH_RULE, is_remote_path
from liveupdate.requests import Request, RequestId

RunId = Annotated[str, StringConstraints(pattern=r"^LU-[1-9][0-9]{0,8}-[1-9][0-9]{0,3}$")]
"""`LU-17-1`: the request id and the run's number within it, as in the remote log name."""
_RUN_ID: TypeAdapter[str] = TypeAdapter(RunId)


class RunState(StrEnum):
    STARTING = "starting"
    """Created and locked; prep or the detached start may not have happened yet."""
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNVERIFIED = "unverified"
    """It ended, but lkubot could not confirm its result (a live library update that named
    no outcome for some process): neither called a success nor a failure."""
    UNKNOWN = "unknown"
    """Out of contact with the LPAR; reattach decides what really happened."""

    @property
    def terminal(self) -> bool:
        return self in (
            RunState.SUCCEEDED,
            RunState.FAILED,
            RunState.CANCELLED,
            RunState.UNVERIFIED,
        )


_ALLOWED: dict[RunState, frozenset[RunState]] = {
    RunState.STARTING: frozenset(
        {RunState.RUNNING, RunState.FAILED, RunState.CANCELLED, RunState.UNKNOWN}
    ),
    RunState.RUNNING: frozenset(
        {
            RunState.SUCCEEDED,
            RunState.FAILED,
            RunState.CANCELLED,
            RunState.UNVERIFIED,
            RunState.UNKNOWN,
        }
    ),
    RunState.UNKNOWN: frozenset(
        {
            RunState.RUNNING,
            RunState.SUCCEEDED,
            RunState.FAILED,
            RunState.CANCELLED,
            RunState.UNVERIFIED,
        }
    ),
}


class Run(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RunId
    request_id: RequestId
    number: int = Field(ge=1)
    lpar: LparName
    state: RunState = RunState.STARTING
    remote_pid: int | None = Field(default=None, gt=1)
    log_path: str
    lines_consumed: int = Field(default=0, ge=0)
    """Complete log lines already seen; the next follow starts at line lines_consumed + 1."""
    point_of_no_return: bool = False
    """The "Non-interruptable live update operation begins" banner has been seen."""
    blackout_seconds: float | None = Field(default=None, ge=0)
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    last_error: str | None = None
    version: int = Field(default=1, ge=1)


class RunEvent(BaseModel):
    """One thing a run saw in its log, kept verbatim for reattach, export and history.

    `payload` is the JSON of whatever event model the log parser produced; storage keeps it as
    text and never looks inside, `type` names it for queries.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    offset: int = Field(ge=1)
    """The log line it came from (the first line is 1)."""
    type: str = Field(min_length=1, max_length=64)
    payload: str
    at: AwareDatetime


class RunStep(BaseModel):
    """Something a run did or learned outside its log: a stage command and its result, the
    state captured before and after, a lost link, a cancel, the outcome.

    Like `RunEvent`, `payload` is JSON that storage keeps as text without looking inside (the
    run engine's progress models, `lpar.progress`); `seq` numbers a run's steps from 1.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=1)
    type: str = Field(min_length=1, max_length=64)
    payload: str
    at: AwareDatetime


class Launched(BaseModel):
    """The outcome of a launch: the request (running, or void) and the runs it started."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request: Request
    runs: tuple[Run, ...] = ()


class Lock(BaseModel):
    """Nobody else may launch on `lpar` while this exists."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lpar: LparName
    owner: str = Field(min_length=1)
    """A run id (`LU-17-1`) or, for a hold placed by an admin, their Slack user id."""
    reason: str
    since: AwareDatetime


def format_run_id(request_id: str, number: int) -> str:
    return f"{request_id}-{number}"


def remote_log_path(log_dir: str, request_id: str, number: int) -> str:
    """`LOG_DIR/lkubot-<request id>-<run number>.log`, as docs/remote-commands.md fixes it.

    Fixed by the run, so a restarted lkubot finds the same file. Every part is checked
    (`ValueError` otherwise) although the inventory checked `log_dir` already: the path goes
    into command lines on the LPAR.
    """
    try:
        run_id = _RUN_ID.validate_python(format_run_id(request_id, number))
    except ValidationError:
        raise ValueError(
            f"{request_id!r} and {number!r} do not name a run: a request id like LU-17 and a "
            "run number from 1 to 9999"
        ) from None
    path = f"{log_dir.rstrip('/')}/lkubot-{run_id}.log"
    if not is_remote_path(path):
        raise ValueError(f"{log_dir!r} cannot hold a run's log: {REMOTE_PATH_RULE}")
    return path


def advance_run(
    run: Run, state: RunState, now: datetime, *, error: str | None = None, **changes: object
) -> Run:
    """The run in `state` (and with `changes`), or `WrongState` if a run cannot go there."""
    if state is not run.state and state not in _ALLOWED.get(run.state, frozenset()):
        raise WrongState(f"Run {run.id} is {run.state.value}: it cannot become {state.value}.")
    update: dict[str, object] = {**changes, "state": state, "version": run.version + 1}
    if error is not None:
        update["last_error"] = error
    if state.terminal and run.ended_at is None:
        update["ended_at"] = now
    data = run.model_dump()
    data.update(update)
    return Run.model_validate(data)
