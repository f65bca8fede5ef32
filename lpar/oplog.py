"""Reading the detached operation's log: the wrapper's marker lines, and AIX's own lines.

The log holds `lkubot-pid: PID` near its start, the operation's output, and `lkubot-exit: RC`
as its last line (docs/remote-commands.md). `OperationLog.feed` takes each line with its line
number and returns the records to save with that offset: the markers as `PidLine` and
`ExitLine`, an LKU's lines as the events of `liveupdate.lvlog.LogFollower`, an LLU's lines as
`LluLine` (its report is read from all of them at the end). Marker lines never reach the
parsers, but still count as lines, so every record's `line` is the log's own line number.

After a restart, `OperationLog.resume(kind, saved, consumed)` rebuilds the reader from the
saved records alone; reading goes on at line `consumed + 1`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from liveupdate.checks import UpdateKind
from liveupdate.llu import LluReport, parse_llvupdate_report
from liveupdate.lvevents import (
    LOG_EVENT,
    BlackoutEnded,
    BlackoutStarted,
    ErrorReported,
    LogEvent,
    PhaseStarted,
    PointOfNoReturnPassed,
)
from liveupdate.lvlog import LiveUpdateSummary, LogFollower
from liveupdate.runs import RunEvent
from lpar import progress
from lpar.remote import EXIT_MARKER, PID_MARKER


class PidLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["lkubot_pid"] = "lkubot_pid"
    line: int
    pid: int


class ExitLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["lkubot_exit"] = "lkubot_exit"
    line: int
    exit_code: int


class LluLine(BaseModel):
    """One line of a live library update's output, kept for its report."""

    model_config = ConfigDict(frozen=True)

    type: Literal["llu_line"] = "llu_line"
    line: int
    text: str


Record = LogEvent | PidLine | ExitLine | LluLine
_ENGINE_RECORDS: dict[str, TypeAdapter[PidLine | ExitLine | LluLine]] = {
    "lkubot_pid": TypeAdapter(PidLine),
    "lkubot_exit": TypeAdapter(ExitLine),
    "llu_line": TypeAdapter(LluLine),
}


class CorruptRecord(Exception):
    """A saved log record cannot be read back (written by another lkubot version?)."""


def to_run_event(record: Record, at: datetime) -> RunEvent:
    return RunEvent(offset=record.line, type=record.type, payload=record.model_dump_json(), at=at)


def from_run_event(event: RunEvent) -> Record:
    try:
        adapter = _ENGINE_RECORDS.get(event.type)
        if adapter is not None:
            return adapter.validate_json(event.payload)
        return LOG_EVENT.validate_json(event.payload)
    except ValidationError as exc:
        raise CorruptRecord(
            f"A saved log record at line {event.offset} ({event.type}) cannot be read: {exc}"
        ) from None


def _marker(text: str, marker: str) -> int | None:
    if not text.startswith(marker):
        return None
    value = text[len(marker) :].strip()
    return int(value) if value.isdigit() else None


class OperationLog:
    """What the operation's log has said so far (see the module text)."""

    def __init__(self, kind: UpdateKind) -> None:
        self.kind = kind
        self.pid: int | None = None
        self.exit_code: int | None = None
        self.lines = 0
        """Lines read so far (the last line number)."""
        self._follower = LogFollower()
        self._llu: list[LluLine] = []

    @classmethod
    def resume(cls, kind: UpdateKind, saved: Iterable[RunEvent], consumed: int) -> OperationLog:
        """The reader as it was after `consumed` lines, from the records saved for them."""
        log = cls(kind)
        events: list[LogEvent] = []
        for record in map(from_run_event, saved):
            if record.line > consumed:
                continue
            if isinstance(record, PidLine):
                log.pid = record.pid
            elif isinstance(record, ExitLine):
                log.exit_code = record.exit_code
            elif isinstance(record, LluLine):
                log._llu.append(record)
            else:
                events.append(record)
        log._follower = LogFollower.from_events(events)
        # Lines that produced no record (blank lines, markers) still count.
        log._follower.lines_fed = consumed
        log.lines = consumed
        return log

    @property
    def settled(self) -> int:
        """Lines whose records are all out: the `lines_consumed` to save with them. Behind
        `lines` while a 1430 message may still get advice lines."""
        if self.kind is UpdateKind.LKU:
            return self._follower.settled_lines
        return self.lines

    @property
    def ended(self) -> bool:
        return self.exit_code is not None

    def feed(self, number: int, text: str) -> list[Record]:
        """Read log line `number` (the one after the last line read)."""
        if number != self.lines + 1:
            raise ValueError(f"log line {number} read after line {self.lines}")
        self.lines = number
        records: list[Record] = []
        pid, code = _marker(text, PID_MARKER), _marker(text, EXIT_MARKER)
        if pid is not None or code is not None:
            # Fed as a blank line: line numbers stay the log's, and an error message whose
            # advice was still arriving is complete at the exit line.
            records.extend(self._follower.feed(""))
            if pid is not None:
                self.pid = pid
                records.append(PidLine(line=number, pid=pid))
            if code is not None:
                self.exit_code = code
                records.extend(self._follower.finish())
                records.append(ExitLine(line=number, exit_code=code))
            return records
        if self.kind is UpdateKind.LLU:
            if text.strip():
                line = LluLine(line=number, text=text)
                self._llu.append(line)
                records.append(line)
            return records
        records.extend(self._follower.feed(text))
        return records

    def summary(self) -> LiveUpdateSummary:
        """The live kernel update so far (phases, point of no return, blackout, errors)."""
        return self._follower.summary()

    def llu_report(self) -> LluReport:
        """Per process outcomes of a live library update, from every line read so far."""
        return parse_llvupdate_report("".join(line.text + "\n" for line in self._llu))

    def llu_line_of(self, detail: str | None) -> int:
        """The line an LLU outcome was read from (the last line when it cannot be told)."""
        for line in reversed(self._llu):
            if detail is not None and line.text.strip() == detail:
                return line.line
        return self.lines


class RunIds(BaseModel):
    """Who a progress event is about."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    run_id: str
    lpar: str


def progress_of(record: Record, ids: RunIds, at: datetime) -> progress.LogProgress | None:
    """The progress event a saved log record is told as, if any (unknown and repeated lines,
    the trailer and LLU lines are not events of their own)."""
    base = {**ids.model_dump(), "at": at, "key": f"{ids.run_id}@{record.line}:{record.type}"}
    match record:
        case PidLine():
            return progress.OperationStarted(**base, pid=record.pid, line=record.line)
        case ExitLine():
            return progress.OperationExited(**base, exit_code=record.exit_code, line=record.line)
        case PhaseStarted():
            return progress.PhaseReached(
                **base,
                message=record.message,
                index=record.index,
                total=record.total,
                lpar_time=record.at,
                blackout=record.blackout,
                line=record.line,
            )
        case PointOfNoReturnPassed():
            return progress.PointOfNoReturn(**base, inferred=record.inferred, line=record.line)
        case BlackoutStarted():
            return progress.BlackoutStarted(**base, lpar_time=record.at, line=record.line)
        case BlackoutEnded():
            return progress.BlackoutEnded(**base, seconds=record.seconds, line=record.line)
        case ErrorReported():
            return progress.AixError(
                **base,
                code=record.code,
                message=record.message,
                advice=record.advice,
                fatal=record.fatal,
                line=record.line,
            )
    return None


def llu_progress(
    log: OperationLog, before: LluReport, ids: RunIds, at: datetime
) -> list[progress.LluProcessReported]:
    """Processes whose LLU outcome is new or changed since `before`."""
    known = {p.pid: p.outcome for p in before.processes}
    events = []
    for process in log.llu_report().processes:
        if process.outcome == "unknown" or known.get(process.pid) == process.outcome:
            continue
        line = log.llu_line_of(process.detail)
        events.append(
            progress.LluProcessReported(
                **ids.model_dump(),
                at=at,
                key=f"{ids.run_id}@{line}:llu_process:{process.pid}",
                pid=process.pid,
                outcome=process.outcome,
                detail=process.detail,
                line=line,
            )
        )
    return events
