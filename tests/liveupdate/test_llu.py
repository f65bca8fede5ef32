"""Live library update: the real `llvupdate -P` preview and a tolerant run report."""

from __future__ import annotations

import pytest

from liveupdate.llu import outcome_of, parse_llvupdate_preview, parse_llvupdate_report

# As published in the seed write-up (the "...etc..." the author wrote is kept: an unknown line).
PREVIEW = """\
# llvupdate -P
llvupdate preview
An LLU-capable library is newer for process 1.
Library needs to be updated /usr/lib/libc.a(_shr.o)
Validating new module /usr/lib/libc.a(_shr.o)
An LLU-capable library is newer for process 4391388.
Library needs to be updated /usr/lib/libc.a(_shr_64.o)
Validating new module /usr/lib/libc.a(_shr_64.o)
An LLU-capable library is newer for process 4784408.
Library needs to be updated /usr/lib/libc.a(_shr_64.o)
...etc...
An LLU-capable library is newer for process 14025142.
Library needs to be updated /usr/lib/libc.a(_shr.o)
"""


def test_the_published_preview_lists_processes_and_their_libraries() -> None:
    preview = parse_llvupdate_preview(PREVIEW)
    assert [(p.pid, p.libraries) for p in preview.processes] == [
        (1, ("/usr/lib/libc.a(_shr.o)",)),
        (4391388, ("/usr/lib/libc.a(_shr_64.o)",)),
        (4784408, ("/usr/lib/libc.a(_shr_64.o)",)),
        (14025142, ("/usr/lib/libc.a(_shr.o)",)),
    ]
    assert not preview.none_required
    assert [u.text for u in preview.unknown_lines] == ["...etc..."]


def test_nothing_to_update_is_said_plainly() -> None:
    preview = parse_llvupdate_preview(
        "llvupdate preview\nNo process requires a Live library Update operation.\n"
    )
    assert preview.processes == ()
    assert preview.none_required


def test_a_run_report_gives_each_process_its_outcome() -> None:
    report = parse_llvupdate_report(
        "An LLU-capable library is newer for process 4391388.\n"
        "Library needs to be updated /usr/lib/libc.a(_shr_64.o)\n"
        "Live library update of process 4391388 succeeded.\n"
        "Process 4784408: live library update failed (IBM.DRMd).\n"
        "PID: 5177620 timed out after 30 seconds\n"
        "Retrying.\n"
    )
    assert [(p.pid, p.outcome) for p in report.processes] == [
        (4391388, "succeeded"),
        (4784408, "failed"),
        (5177620, "timed_out"),
    ]
    assert report.processes[0].libraries == ("/usr/lib/libc.a(_shr_64.o)",)
    assert [u.text for u in report.unknown_lines] == ["Retrying."]


def test_the_run_report_the_simulated_lpars_print() -> None:
    # The wording `lkubot sim` invents for a run (no capture of a real one is public).
    report = parse_llvupdate_report(
        "Live library update of 2 processes (retries 1, timeout 60 seconds).\n"
        "Process 4391388 (sshd) now uses the new /usr/lib/libc.a(_shr_64.o).\n"
        "Attempt 1 of 2 for process 4784408 (syslogd) timed out after 60 seconds.\n"
        "Attempt 2 of 2 for process 4784408 (syslogd) timed out after 60 seconds.\n"
        "Process 4784408 (syslogd) was not updated.\n"
        "Live library update finished: 1 of 2 processes updated, 1 failed.\n"
        "Run 'cllvupdate -u' to clean up the failed operation.\n"
    )
    assert [(p.pid, p.outcome) for p in report.processes] == [
        (4391388, "succeeded"),
        (4784408, "timed_out"),
    ]
    assert len(report.unknown_lines) == 3


def test_an_outcome_without_a_pid_belongs_to_the_process_named_last() -> None:
    report = parse_llvupdate_report(
        "An LLU-capable library is newer for process 1.\n"
        "Library needs to be updated /usr/lib/libc.a(_shr.o)\n"
        "Live library update completed successfully.\n"
        "Live library update operation ended.\n"
    )
    assert [(p.pid, p.outcome) for p in report.processes] == [(1, "succeeded")]
    assert [u.text for u in report.unknown_lines] == ["Live library update operation ended."]


def test_a_retry_that_succeeds_replaces_the_earlier_timeout() -> None:
    report = parse_llvupdate_report("pid 42 timed out\npid 42 succeeded on retry 2\n")
    assert [(p.pid, p.outcome) for p in report.processes] == [(42, "succeeded")]


@pytest.mark.parametrize(
    ("line", "outcome"),
    [
        ("completed with errors", "failed"),
        ("not successful", "failed"),
        ("unable to quiesce process", "failed"),
        ("was not updated", "failed"),
        ("timeout expired", "timed_out"),
        ("using a timeout of 30 seconds", None),
        ("Library needs to be updated /usr/lib/libc.a(_shr.o)", None),
    ],
)
def test_outcome_words(line: str, outcome: str | None) -> None:
    assert outcome_of(line) == outcome
