"""Reading a live kernel update log, whole and as it streams, over the real captured run."""

from __future__ import annotations

from datetime import datetime

import pytest

from liveupdate.lvevents import (
    LOG_EVENTS,
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
)
from liveupdate.lvlog import LiveUpdateSummary, LogFollower, summarise_lvupdate_log
from liveupdate.phases import TOTAL_PHASES
from tests.liveupdate.samples import line_index, sample, shifted, success_lines, verbose_log

# A failure built from the real run: it stops after "Requesting resources..." with a 1430
# message and advice lines in the form of the real 1430-246 sample, then the run engine's exit
# marker (docs/remote-commands.md).
FAILED_RUN = [
    *success_lines()[:7],
    "1430-030 FAILED: the surrogate LPAR could not be created.",
    "Check that the managed system has enough free processor and memory resources.",
    "Run clvupdate to clean up before you try again.",
    "lkubot-exit: 1",
]


def summary_of(lines: list[str]) -> LiveUpdateSummary:
    follower = LogFollower.replay(lines)
    follower.finish()
    return follower.summary()


def test_the_real_successful_run_is_summarised_as_aix_reports_it() -> None:
    summary = summarise_lvupdate_log(sample("lku-success-1.log"))

    assert summary.status == "succeeded"
    assert len(summary.phases) == TOTAL_PHASES == 25
    assert summary.point_of_no_return_passed
    assert summary.blackout_seconds == 21  # 09:17:16 -> 09:17:37
    assert summary.reported_total_seconds == 10 * 60 + 58
    # AIX counts from "Live AIX update is starting.", so the measurement must agree exactly.
    assert summary.total_seconds == summary.reported_total_seconds
    assert summary.modified_files == ("/etc/inittab",)
    assert summary.config_diff_path == "/var/adm/ras/config.diff"
    assert summary.errors == ()
    assert summary.unknown_lines == ()
    first, blackout, last = summary.phases[0], summary.phases[18], summary.phases[-1]
    assert (first.message, first.started_at) == (
        "The live update preview succeeded.",
        datetime(2025, 1, 29, 9, 9, 9),
    )
    assert (blackout.message, blackout.index, blackout.blackout) == (
        "Blackout Time started.",
        19,
        True,
    )
    assert blackout.seconds == 21
    assert summary.phases[8].message == "Starting alt_disk_copy."
    assert summary.phases[8].seconds == 140
    assert (last.message, last.seconds) == ("Deleting the original LPAR.", 70)


def test_streaming_yields_each_event_as_its_line_arrives() -> None:
    lines = success_lines()
    follower = LogFollower()
    by_line = [follower.feed(line) for line in lines]

    assert by_line[0] == [
        PhaseStarted(
            line=1,
            message="The live update preview succeeded.",
            at=datetime(2025, 1, 29, 9, 9, 9),
            index=1,
            total=25,
        )
    ]
    assert by_line[1] == [PointOfNoReturnPassed(line=2, at=datetime(2025, 1, 29, 9, 9, 9))]
    started = by_line[line_index(lines, "Blackout Time started.")]
    assert [type(e) for e in started] == [PhaseStarted, BlackoutStarted]
    ended = by_line[line_index(lines, "Blackout Time end.")]
    assert [type(e) for e in ended] == [PhaseStarted, BlackoutEnded]
    assert isinstance(ended[1], BlackoutEnded)
    assert ended[1].seconds == 21
    completed = by_line[line_index(lines, "completed in")]
    assert completed == [
        OperationCompleted(
            line=27,
            at=datetime(2025, 1, 29, 9, 20, 17),
            reported_seconds=658,
            measured_seconds=658,
        )
    ]
    assert by_line[27] == [FileModified(line=28, path="/etc/inittab")]
    assert by_line[28] == []
    assert by_line[29] == [ConfigDiffWritten(line=30, path="/var/adm/ras/config.diff")]


def test_the_summary_so_far_tracks_phase_n_of_n_and_the_blackout() -> None:
    lines = success_lines()
    follower = LogFollower()
    follower.feed(lines[0])
    assert follower.summary().current_index == 1
    assert not follower.summary().point_of_no_return_passed

    follower.feed_many(lines[1 : line_index(lines, "Blackout Time started.") + 1])
    during = follower.summary()
    assert during.status == "running"
    assert during.in_blackout
    assert during.current_index == 19
    assert during.current_phase is not None
    assert during.current_phase.blackout
    assert during.current_phase.seconds is None  # still going
    assert during.point_of_no_return_passed

    follower.feed(lines[line_index(lines, "Blackout Time end.")])
    after = follower.summary()
    assert not after.in_blackout
    assert after.blackout_seconds == 21


def test_a_failure_keeps_its_code_message_and_advice_and_leaves_engine_markers_alone() -> None:
    summary = summary_of(FAILED_RUN)

    assert summary.status == "failed"
    assert [error.code for error in summary.errors] == ["1430-030"]
    error = summary.errors[0]
    assert error.message == "FAILED: the surrogate LPAR could not be created."
    assert error.advice == (
        "Check that the managed system has enough free processor and memory resources.",
        "Run clvupdate to clean up before you try again.",
    )
    assert (error.line, error.end_line) == (8, 10)
    assert summary.unknown_lines == ((11, "lkubot-exit: 1"),)
    # The failing phase has no known end; the run is measured up to the last timestamp.
    assert summary.phases[-1].seconds is None
    assert summary.total_seconds == 20
    assert summary.point_of_no_return_passed


def test_the_real_preview_failure_reads_as_a_failed_run_with_advice() -> None:
    summary = summarise_lvupdate_log(sample("lku-preview-fail-hmcauth-1430-246.txt"))

    assert summary.status == "failed"
    assert summary.errors[0].code == "1430-246"
    assert summary.errors[0].message == "FAILED: No valid authentication with an HMC console."
    assert len(summary.errors[0].advice) == 3
    assert not summary.point_of_no_return_passed


def test_an_error_is_reported_at_once_in_the_summary_and_as_an_event_when_complete() -> None:
    follower = LogFollower.replay(FAILED_RUN[:8])
    assert follower.summary().status == "failed"
    assert follower.summary().errors[0].advice == ()
    assert follower.feed(FAILED_RUN[8]) == []
    events = follower.feed("")  # a blank line ends the advice
    assert [type(e) for e in events] == [ErrorReported]
    assert follower.finish() == []


def test_finish_releases_an_error_still_collecting_advice() -> None:
    follower = LogFollower.replay(sample("lku-preview-fail-hmcauth-1430-246.txt").splitlines())
    events = follower.finish()
    assert [type(e) for e in events] == [ErrorReported]
    assert isinstance(events[0], ErrorReported)
    assert len(events[0].advice) == 3


def test_a_warning_does_not_fail_the_run() -> None:
    lines = success_lines()
    lines.insert(5, "1430-187 WARNING: the kernel extension check was skipped.")
    summary = summary_of(lines)
    assert summary.status == "succeeded"
    assert summary.errors[0].fatal is False


def test_a_run_across_midnight_and_new_year_measures_the_same_as_the_original() -> None:
    original = summary_of(success_lines())
    moved = summary_of(shifted(success_lines(), datetime(2024, 12, 31, 23, 55, 0)))

    assert moved.phases[0].started_at == datetime(2024, 12, 31, 23, 55, 0)
    assert moved.phases[-1].started_at.year == 2025
    assert [p.seconds for p in moved.phases] == [p.seconds for p in original.phases]
    assert moved.blackout_seconds == original.blackout_seconds == 21
    assert moved.total_seconds == moved.reported_total_seconds == 658


def test_the_blackout_straddling_midnight_is_measured_across_it() -> None:
    lines = success_lines()
    start = datetime(2025, 12, 31, 23, 59, 50) - (
        datetime(2025, 1, 29, 9, 17, 16) - datetime(2025, 1, 29, 9, 9, 9)
    )
    moved = shifted(lines, start)
    assert moved[line_index(moved, "Blackout Time started.")].startswith("12/31/2025-23:59:50")
    assert summary_of(moved).blackout_seconds == 21


@pytest.mark.parametrize(
    ("banner", "passed"),
    [
        ("Non-interruptable live update operation begins in 10 seconds.", True),
        ("Non-interruptible live update operation begins in 5 seconds.", True),
        ("non-interruptable live update operation begins in 10 seconds", True),
        ("Live update operation begins in 10 seconds.", False),
    ],
)
def test_the_point_of_no_return_banner_is_recognised_in_its_variants(
    banner: str, passed: bool
) -> None:
    # Another AIX level may spell or time the banner differently; missing it would leave a
    # [Cancel] that can no longer work.
    follower = LogFollower()
    follower.feed(success_lines()[0])
    events = follower.feed(banner)
    assert [type(e) for e in events] == [PointOfNoReturnPassed if passed else UnknownLine]
    assert follower.summary().point_of_no_return_passed is passed


def test_a_log_truncated_at_the_start_still_knows_the_point_of_no_return_passed() -> None:
    lines = success_lines()[3:15]  # no preview line, no banner
    follower = LogFollower()
    events = follower.feed(lines[0])
    assert isinstance(events[0], PointOfNoReturnPassed)
    assert events[0].inferred
    follower.feed_many(lines[1:])
    summary = follower.summary()
    assert summary.status == "running"
    assert summary.point_of_no_return_passed
    assert summary.reported_total_seconds is None
    assert summary.current_index == 14


def test_a_line_cut_off_mid_write_is_kept_as_unknown() -> None:
    summary = summary_of([*success_lines()[:5], "01/29/2025-09:1"])
    assert summary.unknown_lines == ((6, "01/29/2025-09:1"),)
    assert summary.status == "running"
    assert len(summary.phases) == 4


def test_a_date_that_does_not_exist_is_an_unknown_line_not_a_phase() -> None:
    summary = summary_of(["13/45/2025-09:09:09 The live update preview succeeded."])
    assert summary.phases == ()
    assert len(summary.unknown_lines) == 1


def test_a_resent_log_is_recognised_as_repeated_and_changes_nothing() -> None:
    once = summary_of(success_lines())
    twice = summary_of(success_lines() + success_lines())

    volatile = {"repeated_lines", "lines"}
    assert twice.model_dump(exclude=volatile) == once.model_dump(exclude=volatile)
    # 26 timestamped lines, the banner and the modified-file line come back a second time.
    assert twice.repeated_lines == 28


def test_unknown_lines_are_kept_with_their_line_numbers() -> None:
    lines = success_lines()
    lines.insert(3, "lkubot-pid: 4194738")
    lines.insert(12, "   some message from a callout script   ")
    summary = summary_of(lines)
    assert summary.unknown_lines == (
        (4, "lkubot-pid: 4194738"),
        (13, "some message from a callout script"),
    )
    assert summary.status == "succeeded"


def test_a_timestamped_message_lkubot_does_not_know_is_a_phase_without_a_number() -> None:
    lines = success_lines()
    lines.insert(10, "01/29/2025-09:12:00 Checking the mirror volume group size.")
    summary = summary_of(lines)
    extra = next(p for p in summary.phases if p.message.startswith("Checking"))
    assert extra.index is None
    assert summary.phases[8].seconds == 61  # alt_disk_copy 09:10:59 -> 09:12:00
    assert len(summary.phases) == 26


def test_pasted_text_with_prompts_crlf_and_trailing_blanks_reads_the_same() -> None:
    body = "\r\n".join(f"{line}   " for line in success_lines())
    pasted = f"root@lpar01 / # geninstall -k -d /mnt/7300-03-01 update_all\r\n{body}\r\n# \r\n"
    assert summarise_lvupdate_log(pasted) == summarise_lvupdate_log(sample("lku-success-1.log"))


def test_events_round_trip_through_json() -> None:
    follower = LogFollower()
    events: list[LogEvent] = []
    for line in [*success_lines(), *success_lines()[:2], "noise", *FAILED_RUN[7:]]:
        events.extend(follower.feed(line))
    events.extend(follower.finish())
    kinds = {type(e) for e in events}
    assert {ErrorReported, RepeatedLine, UnknownLine, OperationCompleted} <= kinds

    restored = LOG_EVENTS.validate_json(LOG_EVENTS.dump_json(events))
    assert restored == events


@pytest.mark.parametrize("lines", [success_lines(), FAILED_RUN], ids=["success", "failure"])
def test_a_follower_rebuilt_from_saved_events_resumes_exactly_at_any_line(
    lines: list[str],
) -> None:
    whole = summary_of(lines)
    for cut in range(len(lines) + 1):
        first = LogFollower()
        saved: list[LogEvent] = []
        for line in lines[:cut]:
            saved.extend(first.feed(line))
        stored = LOG_EVENTS.validate_json(LOG_EVENTS.dump_json(saved))

        resumed = LogFollower.from_events(stored)
        # Lines that produce no event (blank lines, the trailer's middle line) may be read
        # again after a restart; they change nothing.
        assert resumed.settled_lines <= first.settled_lines
        resumed.feed_many(lines[resumed.settled_lines :])
        resumed.finish()
        assert resumed.summary() == whole, f"cut after line {cut}"


def test_replaying_saved_lines_gives_the_same_follower() -> None:
    lines = FAILED_RUN
    live = LogFollower()
    live.feed_many(lines)
    assert LogFollower.replay(lines).summary() == live.summary()


def test_a_100000_line_log_is_summarised_whole() -> None:
    # How fast: bench/bench_lvlog.py. Here: nothing of a verbose log is lost or misread.
    summary = summarise_lvupdate_log(verbose_log(100_000))
    assert summary.lines == 100_000
    assert summary.status == "succeeded"
    assert len(summary.unknown_lines) == 100_000 - len(success_lines())
    assert summary.unknown_lines[0] == (21, "installp: APPLYING software for: bos.rte.0 7.3.3.0")
    whole = summary_of(success_lines())
    assert [p.message for p in summary.phases] == [p.message for p in whole.phases]
    assert summary.blackout_seconds == whole.blackout_seconds == 21
