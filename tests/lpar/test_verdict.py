"""How a run's operation ended, from its log: an exit of 0 with a process nobody reports on
is not a success."""

from __future__ import annotations

from liveupdate.llu import LluReport, LluResult
from liveupdate.lvlog import summarise_lvupdate_log
from lpar.verdict import Verdict, judge_lku, judge_llu
from tests.liveupdate.samples import sample

LOG = "/var/adm/ras/liveupdate/logs/lkubot-LU-18-1.llvupdlog"


def _report(*outcomes: tuple[int, str]) -> LluReport:
    return LluReport(
        processes=tuple(LluResult(pid=pid, outcome=o) for pid, o in outcomes),
        none_required=False,
        unknown_lines=(),
    )


def test_a_kernel_update_that_completed_succeeded() -> None:
    summary = summarise_lvupdate_log(sample("lku-success-1.log"))
    assert judge_lku(0, summary) == Verdict(outcome="succeeded")


def test_a_kernel_update_that_exited_non_zero_failed_and_offers_clvupdate() -> None:
    summary = summarise_lvupdate_log(sample("lku-preview-fail-hmcauth-1430-246.txt"))
    verdict = judge_lku(1, summary)
    assert verdict.outcome == "failed"
    assert verdict.cleanup == "clvupdate"
    assert verdict.note is not None
    assert "1430-246 FAILED: No valid authentication with an HMC console." in verdict.note


def test_a_library_update_with_every_process_moved_succeeded() -> None:
    report = _report((1, "succeeded"), (2, "succeeded"))
    assert judge_llu(0, report, log_path=LOG, log_problem=None) == Verdict(outcome="succeeded")


def test_a_library_update_with_a_process_timed_out_failed() -> None:
    verdict = judge_llu(
        0, _report((1, "succeeded"), (2, "timed_out")), log_path=LOG, log_problem=None
    )
    assert verdict.outcome == "failed"
    assert verdict.note == (
        "The live library update exited with status 0; not updated: 2 (timed out). "
        "`cllvupdate -u` cleans up."
    )


def test_a_library_update_with_a_process_nobody_reports_on_is_unverified() -> None:
    verdict = judge_llu(
        0, _report((1, "succeeded"), (2, "unknown")), log_path=LOG, log_problem="no such file"
    )
    assert verdict.outcome == "unverified"
    assert verdict.cleanup == "cllvupdate -u"
    assert verdict.note is not None
    assert verdict.note.startswith(
        f"The live library update exited with status 0, but neither its output nor its log "
        f"{LOG} (lkubot could not read that log: no such file) says how process(es) 2 fared"
    )
