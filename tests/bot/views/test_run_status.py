"""The run status message, at moments of the real transcript (`lku-success-1.log`)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.views import actions
from bot.views.run_status import MILESTONES, milestone_of, render_run_status, starts_milestone
from liveupdate.phases import PHASES
from lpar.snapshot import StageView
from tests.bot.views.factory import (
    action_ids,
    done,
    elements,
    lines_until,
    lku_snapshot,
    stages,
    valid,
)


def test_the_25_phases_fall_into_7_milestones_in_order() -> None:
    assert len(MILESTONES) == 7
    owners = [milestone_of(p.index) for p in PHASES]
    assert all(owner is not None for owner in owners)
    numbers = [owner.number for owner in owners if owner is not None]
    assert numbers == sorted(numbers)
    assert set(numbers) == set(range(1, 8))
    assert sum(starts_milestone(p.index) for p in PHASES) == 7
    assert milestone_of(None) is None
    blackout = milestone_of(next(p.index for p in PHASES if p.blackout))
    assert blackout is not None
    assert blackout.title.startswith("Blackout")


def test_before_the_point_of_no_return_cancel_is_offered_behind_a_confirmation() -> None:
    snapshot = lku_snapshot(1)  # "The live update preview succeeded."
    message = render_run_status(snapshot)
    text = valid(message)["text"]
    assert "phase 1 of 25" in text
    assert ":arrow_forward: *Preview and start*: The live update preview succeeded." in text
    (cancel,) = elements(message)
    assert cancel["action_id"] == actions.CANCEL_RUN
    assert cancel["value"] == "LU-17-1"
    assert cancel["style"] == "danger"
    assert cancel["confirm"]["title"]["text"] == "Stop the update on lpar01?"
    assert "clvupdate" in cancel["confirm"]["text"]["text"]
    assert message.text == "LU-17 on lpar01: phase 1 of 25"


def test_after_the_banner_cancel_is_gone_and_the_message_says_why() -> None:
    snapshot = lku_snapshot(lines_until("Non-interruptable"))
    message = render_run_status(snapshot)
    text = valid(message)["text"]
    assert action_ids(message) == []
    assert "Past the point of no return" in text


def test_mid_run_the_bar_elapsed_time_and_milestones_show_where_it_is() -> None:
    snapshot = lku_snapshot(lines_until("Surrogate AIX reboot started"), elapsed=320.0)
    text = valid(render_run_status(snapshot))["text"]
    assert "running for 5 min 20 s" in text
    assert "`███████████░░░░░░░░░` phase 14 of 25" in text
    assert ":white_check_mark: Cloning rootvg for the surrogate" in text
    assert (
        ":arrow_forward: *Booting the surrogate LPAR*: Surrogate AIX reboot started. "
        "(since 09:14:29 LPAR time)" in text
    )
    assert ":white_circle: Cleaning up the original LPAR" in text


def test_the_blackout_is_highlighted_while_it_lasts_then_shown_with_its_length() -> None:
    during = valid(render_run_status(lku_snapshot(lines_until("Blackout Time started"))))
    assert ":black_circle: *BLACKOUT in progress* since 09:17:16 LPAR time" in during["text"]
    after = valid(render_run_status(lku_snapshot(lines_until("Blackout Time end"))))
    assert ":stopwatch: Blackout: *21 s*" in after["text"]
    assert "BLACKOUT in progress" not in after["text"]
    assert render_run_status(lku_snapshot(lines_until("Blackout Time started"))).text == (
        "LU-17 on lpar01: blackout"
    )


def test_stages_show_each_command_and_a_failure_with_its_last_lines() -> None:
    failing = (
        StageView(
            stage="prep",
            state="failed",
            commands=(
                done("stopsrc -s pfcdaemon"),
                done(
                    "/etc/rc.d/ipfilter.sh unload",
                    1,
                    "ipfilter: cannot unload rules",
                    "0513-029 busy",
                ),
            ),
        ),
        StageView(stage="lu", state="skipped"),
        StageView(stage="post", state="pending"),
    )
    snapshot = lku_snapshot(0, outcome="failed", stages=failing, message="Prep failed.")
    message = render_run_status(snapshot)
    text = valid(message)["text"]
    assert ":x: *Prep*" in text
    assert ":white_check_mark: `stopsrc -s pfcdaemon` · exit 0 · 0.4 s" in text
    assert ":x: `/etc/rc.d/ipfilter.sh unload` · exit 1" in text
    assert "```\nipfilter: cannot unload rules\n0513-029 busy\n```" in text
    assert action_ids(message) == []


def test_a_running_command_and_a_lost_link_are_shown() -> None:
    prep = (
        StageView(
            stage="prep",
            state="running",
            commands=(done("stopsrc -s pfcdaemon"),),
            running="/etc/rc.d/ipfilter.sh unload",
        ),
        *stages()[1:],
    )
    lost = datetime(2026, 11, 28, 22, 47, tzinfo=UTC)
    snapshot = lku_snapshot(0, stages=prep, link_down_since=lost)
    message = render_run_status(snapshot)
    text = valid(message)["text"]
    assert ":arrow_forward: `/etc/rc.d/ipfilter.sh unload` running" in text
    assert f":satellite: No contact with lpar01 since <!date^{int(lost.timestamp())}^" in text
    assert message.text == "LU-17 on lpar01: out of contact, lkubot keeps trying"


def test_the_final_status_has_every_milestone_done_and_no_button() -> None:
    message = render_run_status(lku_snapshot(outcome="succeeded", elapsed=672.0))
    text = valid(message)["text"]
    assert ":tada: succeeded after 11 min 12 s" in text
    assert text.count(":white_check_mark:") >= 7 + 4  # milestones, prep and post commands
    assert "Past the point of no return" not in text
    assert action_ids(message) == []


def test_the_same_snapshot_gives_the_same_message() -> None:
    snapshot = lku_snapshot(lines_until("Blackout Time end"))
    assert render_run_status(snapshot) == render_run_status(snapshot.model_copy())
