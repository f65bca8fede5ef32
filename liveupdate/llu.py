"""Live library update output: the `llvupdate -P` preview and the report of a run.

The preview's lines are known from a published capture:

    llvupdate preview
    An LLU-capable library is newer for process 4391388.
    Library needs to be updated /usr/lib/libc.a(_shr_64.o)
    Validating new module /usr/lib/libc.a(_shr_64.o)

or `No process requires a Live library Update operation.` when there is nothing to do.

The output of a run (`llvupdate -a` / `-p`) has not been published, so the report parser is
tolerant and says what it accepts:
- a process is named by `process N`, `process id N`, `pid N`, `PID: N`, `pid=N` or
  `Proc_pid: N` anywhere in a line (the preview's "newer for process N" lines included);
- an outcome is read from words on a line: "timed out" / "timeout expired" -> timed_out;
  "failed", "failure", "unsuccessful", "not successful", "not updated", "error", "unable",
  "could not", "aborted" -> failed; "succeeded", "successful(ly)", "success", "completed",
  "updated", "now uses" -> succeeded (checked in that order, so "completed with errors" is a
  failure);
- an outcome on a line that names no process belongs to the process named last, if that one
  has no outcome yet; a later outcome for the same process replaces an earlier one (retries),
  except that a plain failure after a timeout keeps timed_out, the more precise reason;
- library lines are recorded as in the preview; every other line is kept as unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from liveupdate.text import KeptLine, output_lines

Outcome = Literal["succeeded", "failed", "timed_out", "unknown"]

_NEWER = re.compile(r"^An LLU-capable library is newer for process (\d+)\.?$", re.IGNORECASE)
_LIBRARY = re.compile(r"^Library needs to be updated:?\s+(\S+)$", re.IGNORECASE)
_VALIDATING = re.compile(r"^Validating new module:?\s+(\S+)$", re.IGNORECASE)
_NONE = re.compile(r"^No process requires a Live library Update operation\.?$", re.IGNORECASE)
_HEADER = re.compile(r"^llvupdate (?:preview|report|run)$", re.IGNORECASE)
_PID = re.compile(r"\b(?:process(?:\s+id)?|proc_pid|pid)\s*[:=#]?\s*(\d+)\b", re.IGNORECASE)
_OUTCOMES: tuple[tuple[Outcome, re.Pattern[str]], ...] = (
    ("timed_out", re.compile(r"\btimed?[\s_-]?out\b(?!\s+(?:of|is|=|value))|\btimeout "
                             r"(?:expired|reached|exceeded)\b", re.IGNORECASE)),
    ("failed", re.compile(r"\b(?:fail(?:ed|ure|s)?|unsuccessful|not successful|not updated|"
                          r"errors?|unable|could not|aborted)\b", re.IGNORECASE)),
    ("succeeded", re.compile(r"\b(?:succeeded|successful(?:ly)?|success|completed|(?<!be )updated|"
                             r"now uses)\b", re.IGNORECASE)),
)  # fmt: skip
_PROGRAMS = frozenset({"llvupdate", "cat", "more", "pg", "tail", "head", "less", "view"})


class LluProcess(BaseModel):
    model_config = ConfigDict(frozen=True)

    pid: int
    libraries: tuple[str, ...] = ()
    """Library members that need updating, e.g. `/usr/lib/libc.a(_shr_64.o)`."""


class LluPreview(BaseModel):
    """`llvupdate -P`: the processes a live library update would move, and their libraries."""

    model_config = ConfigDict(frozen=True)

    processes: tuple[LluProcess, ...]
    none_required: bool
    """AIX said "No process requires a Live library Update operation."."""
    unknown_lines: tuple[KeptLine, ...]


class LluResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    pid: int
    outcome: Outcome
    libraries: tuple[str, ...] = ()
    detail: str | None = None
    """The line the outcome was read from."""


class LluReport(BaseModel):
    """What a live library update run reported, per process."""

    model_config = ConfigDict(frozen=True)

    processes: tuple[LluResult, ...]
    none_required: bool
    unknown_lines: tuple[KeptLine, ...]


def outcome_of(line: str) -> Outcome | None:
    """The outcome a line states, if any."""
    for outcome, pattern in _OUTCOMES:
        if pattern.search(line):
            return outcome
    return None


class _Process:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.libraries: list[str] = []
        self.outcome: Outcome = "unknown"
        self.detail: str | None = None


class _Reader:
    """Reads preview and report lines alike; the two parsers differ in what they keep."""

    def __init__(self) -> None:
        self.processes: dict[int, _Process] = {}
        self.last: _Process | None = None
        self.none_required = False
        self.unknown: list[KeptLine] = []

    def process(self, pid: int) -> _Process:
        self.last = self.processes.setdefault(pid, _Process(pid))
        return self.last

    def read(self, number: int, line: str, *, outcomes: bool) -> None:
        text = line.strip()
        if not text or _HEADER.match(text):
            return
        if _NONE.match(text):
            self.none_required = True
            return
        newer = _NEWER.match(text)
        if newer:
            self.process(int(newer[1]))
            return
        library = _LIBRARY.match(text)
        if library and self.last is not None:
            if library[1] not in self.last.libraries:
                self.last.libraries.append(library[1])
            return
        if _VALIDATING.match(text) and self.last is not None:
            return
        if outcomes and self._read_outcome(text):
            return
        self.unknown.append(KeptLine(line=number, text=line))

    def _read_outcome(self, text: str) -> bool:
        outcome = outcome_of(text)
        pid = _PID.search(text)
        if pid is not None:
            target: _Process | None = self.process(int(pid[1]))
        elif self.last is not None and self.last.outcome == "unknown" and outcome:
            target = self.last
        else:
            return False
        assert target is not None
        if outcome is not None and not (outcome == "failed" and target.outcome == "timed_out"):
            target.outcome, target.detail = outcome, text
        return True


def _read(text: str, *, outcomes: bool) -> _Reader:
    reader = _Reader()
    for number, line in output_lines(text, _PROGRAMS):
        reader.read(number, line, outcomes=outcomes)
    return reader


def parse_llvupdate_preview(text: str) -> LluPreview:
    """Processes with a newer LLU-capable library, from `llvupdate -P` output."""
    reader = _read(text, outcomes=False)
    return LluPreview(
        processes=tuple(
            LluProcess(pid=p.pid, libraries=tuple(p.libraries)) for p in reader.processes.values()
        ),
        none_required=reader.none_required,
        unknown_lines=tuple(reader.unknown),
    )


def parse_llvupdate_report(text: str) -> LluReport:
    """Per process pid and outcome, from the output of an `llvupdate -a`/`-p` run."""
    reader = _read(text, outcomes=True)
    return LluReport(
        processes=tuple(
            LluResult(pid=p.pid, outcome=p.outcome, libraries=tuple(p.libraries), detail=p.detail)
            for p in reader.processes.values()
        ),
        none_required=reader.none_required,
        unknown_lines=tuple(reader.unknown),
    )


_SEVERITY: tuple[Outcome, ...] = ("unknown", "succeeded", "timed_out", "failed")
"""How much an outcome says: a failure read anywhere outweighs a success read elsewhere, and
any outcome outweighs none."""


def merge_reports(*reports: LluReport) -> LluReport:
    """One report from several accounts of the same run (its output, its `-l` log): per
    process, the weightiest outcome any of them gives (`_SEVERITY`), in order of first
    mention."""
    merged: dict[int, LluResult] = {}
    for report in reports:
        for result in report.processes:
            known = merged.get(result.pid)
            if known is None or _SEVERITY.index(result.outcome) > _SEVERITY.index(known.outcome):
                libraries = tuple(
                    dict.fromkeys((*(known.libraries if known else ()), *result.libraries))
                )
                merged[result.pid] = result.model_copy(update={"libraries": libraries})
    return LluReport(
        processes=tuple(merged.values()),
        none_required=any(r.none_required for r in reports),
        unknown_lines=tuple(dict.fromkeys(line for r in reports for line in r.unknown_lines)),
    )


def with_expected(report: LluReport, pids: Iterable[int]) -> LluReport:
    """`report` with an `unknown` entry for each process in `pids` it does not name: a process
    the update should have moved and that no account mentions has no known result."""
    named = {p.pid for p in report.processes}
    missing = tuple(LluResult(pid=pid, outcome="unknown") for pid in pids if pid not in named)
    return report.model_copy(update={"processes": (*report.processes, *missing)})
