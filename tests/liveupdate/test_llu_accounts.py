"""A live library update told twice (its output and its `-l` log): one report, the weightiest
outcome per process, and the processes neither names marked unknown."""

from __future__ import annotations

from liveupdate.llu import merge_reports, parse_llvupdate_report, with_expected

OUTPUT = """Live library update of 3 processes (retries 3, timeout 30 seconds).
Process 4391388 (sshd) now uses the new /usr/lib/libc.a(_shr_64.o).
Live library update finished: 3 of 3 processes updated, 0 failed.
"""
OWN_LOG = """Process 4391388 (sshd) now uses the new /usr/lib/libc.a(_shr_64.o).
Process 4784408 (syslogd) now uses the new /usr/lib/libc.a(_shr_64.o).
Attempt 1 of 1 for process 5177620 (cron) timed out after 30 seconds.
"""


def test_each_process_gets_the_weightiest_outcome_any_account_gives() -> None:
    merged = merge_reports(parse_llvupdate_report(OUTPUT), parse_llvupdate_report(OWN_LOG))
    assert [(p.pid, p.outcome) for p in merged.processes] == [
        (4391388, "succeeded"),
        (4784408, "succeeded"),
        (5177620, "timed_out"),
    ]
    assert len(merged.unknown_lines) == len(set(merged.unknown_lines))


def test_a_failure_in_one_account_outweighs_a_success_in_the_other() -> None:
    failed = parse_llvupdate_report("Process 4391388 (sshd) was not updated.\n")
    merged = merge_reports(parse_llvupdate_report(OUTPUT), failed)
    assert [(p.pid, p.outcome) for p in merged.processes] == [(4391388, "failed")]


def test_an_expected_process_no_account_names_is_unknown() -> None:
    report = with_expected(parse_llvupdate_report(OUTPUT), [4391388, 4784408])
    assert [(p.pid, p.outcome) for p in report.processes] == [
        (4391388, "succeeded"),
        (4784408, "unknown"),
    ]
