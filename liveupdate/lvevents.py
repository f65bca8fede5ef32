"""What a live update log says, one typed event at a time.

`LogEvent` is a discriminated union on `type`; `LOG_EVENT` and `LOG_EVENTS` turn events into
JSON and back, so the run engine can store each event and the bot can render them after a
restart. Every event names the line that produced it (`line`, 1-based, counting every line
fed to the follower); `LogFollower.from_events` relies on that to resume.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int = Field(ge=1)
    """The line of the log that produced this event (1-based)."""


class PhaseStarted(_Event):
    """AIX printed a timestamped progress message."""

    type: Literal["phase_started"] = "phase_started"
    message: str
    at: datetime
    index: int | None
    """Position in `liveupdate.phases.PHASES`; None for a message lkubot does not know."""
    total: int
    """How many known phases there are (the N of "phase n of N")."""
    blackout: bool = False


class PointOfNoReturnPassed(_Event):
    """The operation can no longer be cancelled."""

    type: Literal["point_of_no_return"] = "point_of_no_return"
    at: datetime | None
    """The last timestamp seen before it (the banner itself has none)."""
    inferred: bool = False
    """True when the banner was missing (a truncated log) and a later phase proved it passed."""


class BlackoutStarted(_Event):
    type: Literal["blackout_started"] = "blackout_started"
    at: datetime


class BlackoutEnded(_Event):
    type: Literal["blackout_ended"] = "blackout_ended"
    at: datetime
    seconds: int | None
    """Measured from "Blackout Time started."; None when the start was not seen."""


class ErrorReported(_Event):
    """A `1430-NNN` message with the advice lines AIX printed under it."""

    type: Literal["error"] = "error"
    code: str
    message: str
    """Everything after the code, e.g. "FAILED: No valid authentication with an HMC console."."""
    advice: tuple[str, ...] = ()
    fatal: bool = True
    """False for messages AIX labels WARNING; any other 1430 message fails the operation."""
    at: datetime | None = None
    end_line: int
    """The last line of the message (its last advice line)."""


class OperationCompleted(_Event):
    """ "Live AIX update completed in 0h 10m 58s." """

    type: Literal["completed"] = "completed"
    at: datetime
    reported_seconds: int | None
    measured_seconds: int | None


class FileModified(_Event):
    """One "File PATH has been modified." line of the trailer."""

    type: Literal["file_modified"] = "file_modified"
    path: str


class ConfigDiffWritten(_Event):
    """ "See /var/adm/ras/config.diff for details." """

    type: Literal["config_diff"] = "config_diff"
    path: str


class RepeatedLine(_Event):
    """A timestamped line identical to one already read (a re-sent tail, a doubled paste)."""

    type: Literal["repeated"] = "repeated"
    text: str


class UnknownLine(_Event):
    """A line lkubot does not understand, kept as it was."""

    type: Literal["unknown"] = "unknown"
    text: str


LogEvent = Annotated[
    PhaseStarted
    | PointOfNoReturnPassed
    | BlackoutStarted
    | BlackoutEnded
    | ErrorReported
    | OperationCompleted
    | FileModified
    | ConfigDiffWritten
    | RepeatedLine
    | UnknownLine,
    Field(discriminator="type"),
]
LOG_EVENT: TypeAdapter[LogEvent] = TypeAdapter(LogEvent)
LOG_EVENTS: TypeAdapter[list[LogEvent]] = TypeAdapter(list[LogEvent])


def last_line_of(event: LogEvent) -> int:
    """The last log line whose meaning this event holds."""
    return event.end_line if isinstance(event, ErrorReported) else event.line
