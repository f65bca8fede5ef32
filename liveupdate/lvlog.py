"""Reading the output of a live kernel update (`geninstall -k` or its log), whole or as it streams.

`LogFollower` is fed one line at a time and returns the events each line produces (see
`liveupdate.lvevents`); `summary()` says where the run stands at any moment. Lines look like
`01/29/2025-09:09:09 Live AIX update is starting.`; the point-of-no-return banner, `1430-NNN`
messages with their advice lines, and the trailer (`File /etc/inittab has been modified.`)
have no timestamp. Every timestamped message counts as a phase, numbered when it is one of
`liveupdate.phases.PHASES`; anything else is kept as an unknown line.

Resuming after a restart: the follower's whole state is a fold over its events, so
`LogFollower.from_events(saved)` rebuilds it without the log, and the log is read again from
line `settled_lines + 1`. Feeding the saved lines again (`LogFollower.replay`) gives the same
state; both are cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from liveupdate.lvevents import (
    BlackoutEnded,
    BlackoutStarted,
    ConfigDiffWritten,
    ErrorReported,
    FileModified,
    LogEvent,
    OperationCompleted,
    PhaseStarted,
    PointOfNoReturnPassed,
    RepeatedLine,
    UnknownLine,
    last_line_of,
)
from liveupdate.phases import (
    BLACKOUT_ENDED,
    BLACKOUT_STARTED,
    OPERATION_STARTED,
    POINT_OF_NO_RETURN_PATTERN,
    TOTAL_PHASES,
    find_phase,
)
from liveupdate.text import output_lines

RunStatus = Literal["succeeded", "failed", "running"]

_TIMESTAMP = re.compile(r"^(\d\d)/(\d\d)/(\d{4})-(\d\d):(\d\d):(\d\d)(?:\s+(.*))?$")
_CODE = re.compile(r"^(1430-\d{3})\b:?\s*(.*)$")
_COMPLETED = re.compile(
    r"^Live AIX update completed in\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\.?$",
    re.IGNORECASE,
)
# The lines without a timestamp that lkubot knows, in one pattern: most lines of a verbose log
# are none of them, and one failed match is cheaper than four.
_UNTIMED = re.compile(
    rf"^(?:(?P<banner>{POINT_OF_NO_RETURN_PATTERN}.*)"
    r"|File (?P<modified>\S.*?) has been modified\.?"
    r"|(?P<check>One or more of the files listed in \S+ have changed\.?)"
    r"|See (?P<diff>\S+) for details\.?)$",
    re.IGNORECASE,
)
# The run engine's own marker lines (docs/remote-commands.md) are not advice for an error.
_ENGINE_MARKER = re.compile(r"^lkubot-[a-z]+:")

_LOG_PROGRAMS = frozenset({"geninstall", "cat", "tail", "more", "pg", "less", "head", "view"})


class PhaseRecord(BaseModel):
    """One phase of the run as the summary shows it."""

    model_config = ConfigDict(frozen=True)

    message: str
    index: int | None
    started_at: datetime
    seconds: int | None
    """Until the next phase started (or the run ended); None while it runs or when unknown."""
    blackout: bool
    line: int


class LiveUpdateSummary(BaseModel):
    """Where a live kernel update stands, as far as its log tells."""

    model_config = ConfigDict(frozen=True)

    status: RunStatus
    phases: tuple[PhaseRecord, ...]
    total_phases: int = TOTAL_PHASES
    point_of_no_return_passed: bool
    in_blackout: bool
    blackout_seconds: int | None
    started_at: datetime | None
    """When the operation started ("Live AIX update is starting.", else the first timestamp)."""
    last_seen_at: datetime | None
    total_seconds: int | None
    """Measured from `started_at` to the completion line, or to the last timestamp so far."""
    reported_total_seconds: int | None
    """AIX's own figure from "Live AIX update completed in 0h 10m 58s."."""
    errors: tuple[ErrorReported, ...]
    modified_files: tuple[str, ...]
    config_diff_path: str | None
    unknown_lines: tuple[tuple[int, str], ...]
    """(line number, text) of each line lkubot did not understand; plain pairs, because a
    verbose log can have a hundred thousand of them."""
    repeated_lines: int
    lines: int

    @property
    def current_phase(self) -> PhaseRecord | None:
        """The phase the run is in (the last one started)."""
        return self.phases[-1] if self.phases else None

    @property
    def current_index(self) -> int | None:
        """The n of "phase n of N": the position of the latest known phase."""
        known = [phase.index for phase in self.phases if phase.index is not None]
        return known[-1] if known else None


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    """Whole seconds from start to end; None when either is missing or the clock went back."""
    if start is None or end is None or end < start:
        return None
    return int((end - start).total_seconds())


def _timestamp(match: re.Match[str]) -> datetime | None:
    month, day, year, hour, minute, second = map(int, match.group(1, 2, 3, 4, 5, 6))
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


_COMPLETED_KEY = "\0completed"


def _error_key(at: datetime, code: str, message: str) -> tuple[datetime, str]:
    return (at, f"{code} {message}")


class _Fold:
    """The follower's state: what every event so far adds up to."""

    def __init__(self) -> None:
        self.phases: list[PhaseStarted] = []
        self.first_at: datetime | None = None
        self.last_at: datetime | None = None
        self.operation_started_at: datetime | None = None
        self.point_of_no_return: PointOfNoReturnPassed | None = None
        self.blackout_started_at: datetime | None = None
        self.blackout_ended: BlackoutEnded | None = None
        self.completed: OperationCompleted | None = None
        self.errors: list[ErrorReported] = []
        self.modified_files: dict[str, None] = {}
        self.config_diff_path: str | None = None
        self.unknown: list[tuple[int, str]] = []
        self.repeated = 0
        self.seen: set[tuple[object, ...]] = set()

    def note_time(self, at: datetime | None) -> None:
        if at is None:
            return
        if self.first_at is None:
            self.first_at = at
        self.last_at = at

    def apply(self, event: LogEvent) -> None:
        # Ordered by how often each event comes: a verbose log is mostly unknown lines.
        if type(event) is UnknownLine:
            self.unknown.append((event.line, event.text))
        elif type(event) is PhaseStarted:
            self.seen.add((event.at, event.message))
            self.note_time(event.at)
            self.phases.append(event)
            if event.message == OPERATION_STARTED and self.operation_started_at is None:
                self.operation_started_at = event.at
        elif type(event) is RepeatedLine:
            self.repeated += 1
        elif type(event) is FileModified:
            self.modified_files[event.path] = None
        elif type(event) is ErrorReported:
            if event.at is not None:
                self.seen.add(_error_key(event.at, event.code, event.message))
            self.note_time(event.at)
            self.errors.append(event)
        elif type(event) is PointOfNoReturnPassed:
            self.point_of_no_return = event
        elif type(event) is BlackoutStarted:
            self.blackout_started_at = event.at
            self.blackout_ended = None
        elif type(event) is BlackoutEnded:
            self.blackout_ended = event
        elif type(event) is OperationCompleted:
            self.seen.add((event.at, _COMPLETED_KEY))
            self.note_time(event.at)
            self.completed = event
        elif type(event) is ConfigDiffWritten:
            self.config_diff_path = event.path

    @property
    def start(self) -> datetime | None:
        return self.operation_started_at or self.first_at


class _PendingError:
    """A 1430 message whose advice lines are still arriving."""

    def __init__(self, line: int, code: str, message: str, at: datetime | None) -> None:
        self.line, self.code, self.message, self.at = line, code, message, at
        self.advice: list[str] = []
        self.end_line = line

    def to_event(self) -> ErrorReported:
        return ErrorReported(
            line=self.line,
            end_line=self.end_line,
            code=self.code,
            message=self.message,
            advice=tuple(self.advice),
            fatal=not self.message.upper().startswith("WARNING"),
            at=self.at,
        )


class LogFollower:
    """Reads a live update log line by line and says what happened, as it happens.

    Call `feed` for each line, `finish` when the operation has ended (it releases an error
    message whose advice lines were still being collected), and `summary` whenever the status
    is needed.
    """

    def __init__(self) -> None:
        self._fold = _Fold()
        self._pending: _PendingError | None = None
        self._replaying = False
        self.lines_fed = 0

    @classmethod
    def replay(cls, lines: Iterable[str]) -> LogFollower:
        """A follower that has read `lines` (e.g. the lines saved before a restart)."""
        follower = cls()
        follower._replaying = True
        for line in lines:
            follower.feed(line)
        follower._replaying = False
        return follower

    @classmethod
    def from_events(cls, events: Iterable[LogEvent]) -> LogFollower:
        """A follower in the state these saved events describe; read on from `settled_lines + 1`."""
        follower = cls()
        for event in events:
            follower._fold.apply(event)
            follower.lines_fed = max(follower.lines_fed, last_line_of(event))
        return follower

    @property
    def settled_lines(self) -> int:
        """How many lines are fully accounted for by the events returned so far: the log line
        to resume from after a restart is `settled_lines + 1`."""
        return self._pending.line - 1 if self._pending else self.lines_fed

    def feed(self, line: str) -> list[LogEvent]:
        """Read one line of the log; returns the events it produced (often none or one)."""
        self.lines_fed += 1
        number = self.lines_fed
        text = line.strip()
        if self._pending is not None:
            if self._is_advice(text):
                self._pending.advice.append(text)
                self._pending.end_line = number
                return []
            events: list[LogEvent] = [self._pending.to_event()]
            self._pending = None
            if text:
                events.extend(self._read(number, text))
        elif text:
            events = self._read(number, text)
        else:
            return []
        for event in events:
            self._fold.apply(event)
        return events

    def feed_many(self, lines: Iterable[str]) -> list[LogEvent]:
        """Read several lines; returns all their events in order."""
        events: list[LogEvent] = []
        for line in lines:
            events.extend(self.feed(line))
        return events

    def finish(self) -> list[LogEvent]:
        """The operation has ended: release the error message still collecting advice lines."""
        if self._pending is None:
            return []
        event = self._pending.to_event()
        self._pending = None
        self._fold.apply(event)
        return [event]

    def summary(self) -> LiveUpdateSummary:
        """Where the run stands now, including an error whose advice is still arriving."""
        fold = self._fold
        errors = list(fold.errors)
        if self._pending is not None:
            errors.append(self._pending.to_event())
        if any(error.fatal for error in errors):
            status: RunStatus = "failed"
        elif fold.completed is not None:
            status = "succeeded"
        else:
            status = "running"
        end = fold.completed.at if fold.completed else fold.last_at
        records = []
        for position, phase in enumerate(fold.phases):
            if position + 1 < len(fold.phases):
                until: datetime | None = fold.phases[position + 1].at
            else:
                # Only the completion line says when the last phase ended; after a failure
                # or while running its length is not known.
                until = fold.completed.at if fold.completed else None
            records.append(
                PhaseRecord(
                    message=phase.message,
                    index=phase.index,
                    started_at=phase.at,
                    seconds=_seconds(phase.at, until),
                    blackout=phase.blackout,
                    line=phase.line,
                )
            )
        return LiveUpdateSummary(
            status=status,
            phases=tuple(records),
            point_of_no_return_passed=fold.point_of_no_return is not None,
            in_blackout=fold.blackout_started_at is not None and fold.blackout_ended is None,
            blackout_seconds=fold.blackout_ended.seconds if fold.blackout_ended else None,
            started_at=fold.start,
            last_seen_at=fold.last_at,
            total_seconds=_seconds(fold.start, end),
            reported_total_seconds=fold.completed.reported_seconds if fold.completed else None,
            errors=tuple(errors),
            modified_files=tuple(fold.modified_files),
            config_diff_path=fold.config_diff_path,
            unknown_lines=tuple(fold.unknown),
            repeated_lines=fold.repeated,
            lines=self.lines_fed,
        )

    def _is_advice(self, text: str) -> bool:
        return bool(
            text
            and not _TIMESTAMP.match(text)
            and not _CODE.match(text)
            and not _ENGINE_MARKER.match(text)
            and not _UNTIMED.match(text)
        )

    def _read(self, number: int, text: str) -> list[LogEvent]:
        # Cheap first-character tests before each pattern: a verbose log is mostly lines that
        # match none of them.
        stamp = _TIMESTAMP.match(text) if text[0].isdigit() else None
        at = _timestamp(stamp) if stamp else None
        if stamp and at is None:
            return self._unknown(number, text)  # a date that does not exist
        message = (stamp[7] or "") if stamp else text
        code = _CODE.match(message) if message.startswith("1430-") else None
        if code:
            if at is not None and _error_key(at, code[1], code[2].strip()) in self._fold.seen:
                return [RepeatedLine(line=number, text=text)]
            self._pending = _PendingError(number, code[1], code[2].strip(), at)
            return []
        if at is None:
            return self._read_untimed(number, text)
        completed = _COMPLETED.match(message)
        if completed:
            return self._read_completion(number, at, completed)
        return self._read_phase(number, at, message, text)

    def _read_completion(
        self, number: int, at: datetime, completed: re.Match[str]
    ) -> list[LogEvent]:
        if (at, _COMPLETED_KEY) in self._fold.seen:
            return [RepeatedLine(line=number, text=completed[0])]
        hours, minutes, seconds = (completed[n] for n in (1, 2, 3))
        reported = None
        if hours or minutes or seconds:
            reported = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
        events: list[LogEvent] = self._infer_point_of_no_return(number)
        events.append(
            OperationCompleted(
                line=number,
                at=at,
                reported_seconds=reported,
                measured_seconds=_seconds(self._fold.start, at),
            )
        )
        return events

    def _read_phase(self, number: int, at: datetime, message: str, text: str) -> list[LogEvent]:
        if (at, message) in self._fold.seen:
            return [RepeatedLine(line=number, text=text)]
        phase = find_phase(message)
        events: list[LogEvent] = []
        if phase is not None and not phase.cancellable:
            events.extend(self._infer_point_of_no_return(number))
        events.append(
            PhaseStarted(
                line=number,
                message=message,
                at=at,
                index=phase.index if phase else None,
                total=TOTAL_PHASES,
                blackout=bool(phase and phase.blackout),
            )
        )
        if phase is not None and phase.message == BLACKOUT_STARTED:
            events.append(BlackoutStarted(line=number, at=at))
        elif phase is not None and phase.message == BLACKOUT_ENDED:
            seconds = _seconds(self._fold.blackout_started_at, at)
            events.append(BlackoutEnded(line=number, at=at, seconds=seconds))
        return events

    def _read_untimed(self, number: int, text: str) -> list[LogEvent]:
        known = _UNTIMED.match(text)
        if known is None:
            return self._unknown(number, text)
        if known["banner"]:
            if self._fold.point_of_no_return is not None:
                return [RepeatedLine(line=number, text=text)]
            return [PointOfNoReturnPassed(line=number, at=self._fold.last_at)]
        if known["modified"]:
            if known["modified"] in self._fold.modified_files:
                return [RepeatedLine(line=number, text=text)]
            return [FileModified(line=number, path=known["modified"])]
        if known["diff"]:
            return [ConfigDiffWritten(line=number, path=known["diff"])]
        return []  # the trailer's middle line: its meaning is in the lines around it

    def _unknown(self, number: int, text: str) -> list[LogEvent]:
        if self._replaying:
            # Nobody receives the events of a replay: skip building one model per line.
            self._fold.unknown.append((number, text))
            return []
        return [UnknownLine(line=number, text=text)]

    def _infer_point_of_no_return(self, number: int) -> list[LogEvent]:
        if self._fold.point_of_no_return is not None:
            return []
        # The banner is missing (a truncated log, a lost line), yet a later phase proves that
        # the operation is past it: Cancel must no longer be offered.
        return [PointOfNoReturnPassed(line=number, at=self._fold.last_at, inferred=True)]


def summarise_lvupdate_log(text: str) -> LiveUpdateSummary:
    """The summary of a whole pasted or saved live update log."""
    follower = LogFollower.replay(line for _, line in output_lines(text, _LOG_PROGRAMS))
    follower.finish()
    return follower.summary()
