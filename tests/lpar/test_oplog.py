"""Reading the detached operation's log: markers out of the parser's way, line numbers kept,
and a reader rebuilt from its saved records reads on exactly as if it had never stopped."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from liveupdate.checks import UpdateKind
from liveupdate.lvevents import ErrorReported, PhaseStarted
from lpar.oplog import ExitLine, OperationLog, PidLine, Record, RunIds, progress_of, to_run_event
from lpar.progress import OperationExited, PhaseReached
from tests.liveupdate.samples import sample, success_lines

AT = datetime(2025, 1, 29, 8, 0, tzinfo=UTC)
WRAPPED = ["lkubot-pid: 12572082", *success_lines(), "lkubot-exit: 0"]
FAILED = [
    "lkubot-pid: 4456",
    *sample("lku-preview-fail-hmcauth-1430-246.txt").splitlines(),
    "lkubot-exit: 1",
]


def _read(kind: UpdateKind, lines: list[str]) -> tuple[OperationLog, list[Record]]:
    log = OperationLog(kind)
    records = [r for n, text in enumerate(lines, start=1) for r in log.feed(n, text)]
    return log, records


def test_the_markers_give_pid_and_exit_code_and_the_phases_keep_their_log_lines() -> None:
    log, records = _read(UpdateKind.LKU, WRAPPED)

    assert (log.pid, log.exit_code) == (12572082, 0)
    assert records[0] == PidLine(line=1, pid=12572082)
    assert records[-1] == ExitLine(line=len(WRAPPED), exit_code=0)
    phases = [r for r in records if isinstance(r, PhaseStarted)]
    assert [WRAPPED[p.line - 1].split(" ", 1)[1] for p in phases] == [p.message for p in phases]
    summary = log.summary()
    assert summary.status == "succeeded"
    assert summary.blackout_seconds == 21
    assert summary.modified_files == ("/etc/inittab",)
    assert summary.unknown_lines == ()  # the markers never reach AIX's parser
    assert log.settled == log.lines == len(WRAPPED)


def test_an_error_is_complete_with_its_advice_when_the_exit_line_comes() -> None:
    log, records = _read(UpdateKind.LKU, FAILED)

    [error] = [r for r in records if isinstance(r, ErrorReported)]
    assert error.code == "1430-246"
    assert len(error.advice) == 3
    assert log.exit_code == 1
    assert log.summary().status == "failed"


@given(st.integers(min_value=0, max_value=len(WRAPPED)), st.sampled_from([WRAPPED, FAILED]))
def test_a_reader_rebuilt_from_saved_records_reads_on_as_if_it_never_stopped(
    stop: int, lines: list[str]
) -> None:
    whole, records = _read(UpdateKind.LKU, lines)

    # What an engine would have saved after `stop` lines: the settled records and offset.
    first = OperationLog(UpdateKind.LKU)
    saved: list[Record] = []
    for n, text in enumerate(lines[:stop], start=1):
        saved += first.feed(n, text)
    consumed = first.settled
    kept = [to_run_event(r, AT) for r in saved if r.line <= consumed]

    resumed = OperationLog.resume(UpdateKind.LKU, kept, consumed)
    later = [r for n in range(consumed + 1, len(lines) + 1) for r in resumed.feed(n, lines[n - 1])]

    assert [r for r in saved if r.line <= consumed] + later == records
    assert resumed.summary() == whole.summary()
    assert (resumed.pid, resumed.exit_code) == (whole.pid, whole.exit_code)


def test_a_live_library_update_keeps_its_lines_for_the_report() -> None:
    lines = [
        "lkubot-pid: 77",
        "Live library update of 2 processes (retries 3, timeout 30 seconds).",
        "Process 4391388 (sshd) now uses the new /usr/lib/libc.a(_shr_64.o).",
        "Attempt 1 of 1 for process 4784408 (syslogd) timed out after 30 seconds.",
        "Process 4784408 (syslogd) was not updated.",
        "lkubot-exit: 1",
    ]
    log, records = _read(UpdateKind.LLU, lines)

    assert {p.pid: p.outcome for p in log.llu_report().processes} == {
        4391388: "succeeded",
        4784408: "timed_out",
    }
    assert log.llu_line_of(log.llu_report().processes[0].detail) == 3
    resumed = OperationLog.resume(UpdateKind.LLU, [to_run_event(r, AT) for r in records], 6)
    assert resumed.llu_report() == log.llu_report()


def test_saved_records_are_told_as_progress_with_keys_stable_across_restarts() -> None:
    _, records = _read(UpdateKind.LKU, WRAPPED)
    ids = RunIds(request_id="LU-17", run_id="LU-17-1", lpar="lpar01")

    told = [progress_of(r, ids, AT) for r in records]
    phases = [e for e in told if isinstance(e, PhaseReached)]
    assert phases[0].key == "LU-17-1@2:phase_started"
    assert phases[0].index == 1
    assert isinstance(told[-1], OperationExited)
    again = [progress_of(r, ids, AT) for r in records]
    assert [e.key for e in told if e] == [e.key for e in again if e]
