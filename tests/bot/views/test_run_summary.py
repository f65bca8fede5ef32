"""The final summary of a run."""

from __future__ import annotations

from bot.views import actions
from bot.views.run_summary import DIFF_INLINE, render_run_summary
from liveupdate.checks import UpdateKind
from liveupdate.llu import parse_llvupdate_report
from lpar.snapshot import StageView
from tests.bot.views.factory import (
    aftercare,
    done,
    elements,
    lku_snapshot,
    run,
    stages,
    unified_diff,
    valid,
)
from tests.liveupdate.samples import sample


def test_a_success_shows_time_blackout_levels_config_diff_and_changed_limits() -> None:
    summary = render_run_summary(
        lku_snapshot(outcome="succeeded", elapsed=672.0, aftercare=aftercare())
    )
    text = valid(summary.message)["text"]
    assert ":tada: succeeded: *LU-17*, live kernel update on *lpar01*" in text
    assert "Live update (LPAR's log)*\n10 min 58 s" in text
    assert "Whole run (prep to post)*\n11 min 12 s" in text
    assert "*21 s*" in text
    assert "7300-02-02-2420 → 7300-03-01-2446" in text
    assert "• `/etc/inittab` *+1* / *−1*" in text
    assert "+srcmstr:23456789:respawn:/usr/sbin/srcmstr # SRC master" in text
    assert "• Partition Number 13 → 14" in text
    assert "• Maximum Virtual CPUs 8 → 10" in text
    assert "Online Memory" not in text  # unchanged limits are not listed
    assert "genld -u: no process runs old code." in text
    assert summary.attachment is None
    assert summary.message.text == "LU-17 on lpar01 succeeded after 11 min 12 s, blackout 21 s"


def test_a_long_config_diff_is_summarised_per_file_and_attached_whole() -> None:
    diff = "".join(
        unified_diff(
            f"/etc/file{n}", [f"old {i}" for i in range(30)], [f"new {i}" for i in range(40)]
        )
        for n in range(15)
    )
    assert len(diff) > DIFF_INLINE
    summary = render_run_summary(lku_snapshot(outcome="succeeded", aftercare=aftercare(diff=diff)))
    text = valid(summary.message)["text"]
    assert "(15 files, config.diff)" in text
    assert "• `/etc/file0` *+40* / *−30*" in text
    assert "… and 5 more files" in text
    assert "attached below as a file" in text
    assert summary.attachment is not None
    assert summary.attachment.content == diff
    assert summary.attachment.filename == "LU-17-1-lpar01-config.diff"


def test_processes_on_old_code_come_with_an_llu_preview_button() -> None:
    genld = "Proc_pid: 5046728 Proc_name: topasrec\nProc_pid: 4391388 Proc_name: sshd\n"
    summary = render_run_summary(
        lku_snapshot(outcome="succeeded", aftercare=aftercare(genld=genld))
    )
    text = valid(summary.message)["text"]
    assert (
        "*Still running old code* (genld -u, 2 processes): topasrec (5046728), sshd (4391388)"
        in text
    )
    (button,) = elements(summary.message)
    assert (button["action_id"], button["value"]) == (actions.LLU_PREVIEW, "lpar01")


def test_a_failure_shows_the_step_the_1430_code_aixs_advice_and_what_to_do_next() -> None:
    log = [
        "01/29/2025-09:09:09 The live update preview succeeded.",
        *sample("lku-preview-fail-hmcauth-1430-246.txt").splitlines(),
    ]
    snapshot = lku_snapshot(
        log=log, outcome="failed", exit_code=1, cleanup="clvupdate", message="The operation failed."
    )
    summary = render_run_summary(snapshot)
    text = valid(summary.message)["text"]
    assert ":x: failed" in text
    assert "The operation failed.\n*Failed in the operation*" in text
    assert ":x: *1430-246* FAILED: No valid authentication with an HMC console." in text
    assert ">Use the 'hmcauth -l' command to check the HMC authentication." in text
    assert (
        "*What to do next:* lpar01 has no valid HMC token. On lpar01 run `hmcauth -u USER -a HMC`"
        in text
    )
    (cleanup,) = elements(summary.message)
    assert cleanup["action_id"] == actions.CLEANUP
    assert cleanup["value"] == "LU-17-1"
    assert cleanup["confirm"]["title"]["text"] == "Clean up on lpar01?"


def test_an_unknown_1430_code_points_to_the_log_rather_than_guessing() -> None:
    log = ["01/29/2025-09:10:59 Starting alt_disk_copy.", "1430-237 FAILED: alt_disk_copy failed."]
    text = valid(render_run_summary(lku_snapshot(log=log, outcome="failed")).message)["text"]
    assert "*1430-237* FAILED: alt_disk_copy failed." in text
    assert (
        "Read the operation's log on lpar01 (`/var/adm/ras/liveupdate/logs/lkubot-LU-17-1.log`)"
        in text
    )


def test_a_failed_prep_stage_names_the_command_and_its_last_lines() -> None:
    failed = (
        StageView(
            stage="prep",
            state="failed",
            commands=(
                done("stopsrc -s pfcdaemon", 1, "0513-044 The pfcdaemon Subsystem is not active."),
            ),
        ),
        StageView(stage="lu", state="skipped"),
        StageView(stage="post", state="pending"),
    )
    snapshot = lku_snapshot(
        0,
        outcome="failed",
        stages=failed,
        message="Prep stage failed: stopsrc -s pfcdaemon exited 1.",
    )
    text = valid(render_run_summary(snapshot).message)["text"]
    assert "*Failed in the prep stage*: :x: `stopsrc -s pfcdaemon` · exit 1" in text
    assert "0513-044 The pfcdaemon Subsystem is not active." in text


def test_a_cancel_says_who_and_that_nothing_was_installed_before_the_point_of_no_return() -> None:
    snapshot = lku_snapshot(
        1,
        outcome="cancelled",
        cancel_requested_by="U0CAROL01",
        message="Cancelled by <@U0CAROL01>.",
    )
    text = valid(render_run_summary(snapshot).message)["text"]
    assert ":black_square_for_stop: cancelled" in text
    assert "Cancelled by <@U0CAROL01> before the point of no return." in text


def test_an_llu_lists_each_process_and_offers_the_cleanup() -> None:
    report = parse_llvupdate_report(
        "process 4391388: Live Library Update succeeded\n"
        "process 4784408: timed out after 30 seconds\n"
        "process 5046728: failed: could not quiesce\n"
    )
    snapshot = lku_snapshot(
        0,
        kind=UpdateKind.LLU,
        outcome="failed",
        run=run(),
        stages=stages(lu="failed"),
        llu=report,
        cleanup="cllvupdate -u",
    )
    summary = render_run_summary(snapshot)
    text = valid(summary.message)["text"]
    assert "live library update on *lpar01*" in text
    assert "1 succeeded, 1 failed, 1 timed out" in text
    assert ":white_check_mark: pid 4391388: succeeded" in text
    assert ":alarm_clock: pid 4784408: timed out" in text
    assert "Blackout" not in text
    (cleanup,) = elements(summary.message)
    assert cleanup["text"]["text"] == "Clean up: cllvupdate -u"
