"""The group policy as the inventory writes it, and the change windows it defines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from liveupdate.policy import ChangeWindow, GroupPolicy, next_window_opening, parse_duration
from tests.policy.factory import SATURDAY_NIGHT, TUESDAY_MORNING, example_groups

VALID = {
    "channel": "C0PRODOPS",
    "approvals_required": 2,
    "approvers": ["S0AIXAPPR"],
    "approval_ttl": "4h",
}


def test_the_example_inventory_groups_are_valid() -> None:
    groups = example_groups()
    assert groups["prod"].approvals_required == 2
    assert groups["prod"].approval_ttl == timedelta(hours=4)
    assert groups["prod"].change_windows[0].crosses_midnight
    assert groups["test"].change_windows == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
    ],
)
def test_approval_ttl_reads_seconds_minutes_hours_and_days(text: str, expected: timedelta) -> None:
    policy = GroupPolicy.model_validate({**VALID, "approval_ttl": text})
    assert policy.approval_ttl == expected
    assert policy.model_dump(mode="json")["approval_ttl"] == text


@pytest.mark.parametrize("text", ["4", "4 hours", "0h", "-1h", "1.5h", "h", "4w"])
def test_a_malformed_ttl_is_refused_with_the_forms_that_work(text: str) -> None:
    with pytest.raises(ValidationError, match=r'e\.g\. "4h", "30m", "2d"'):
        GroupPolicy.model_validate({**VALID, "approval_ttl": text})


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="approval_tll"):
        GroupPolicy.model_validate({**VALID, "approval_tll": "4h"})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("approvers", ["alice"]),
        ("approvers", ["<@U0ALICE01>"]),
        ("approvers", ["u0alice01"]),
        ("approvers", ["C0PRODOPS"]),
        ("approvers", []),
        ("admins", ["U0ADMIN01 "]),
        ("channel", "#prod-ops"),
        ("channel", "U0ALICE01"),
        ("approvals_required", 0),
    ],
)
def test_ids_and_counts_follow_strict_patterns(key: str, value: object) -> None:
    with pytest.raises(ValidationError):
        GroupPolicy.model_validate({**VALID, key: value})


def test_a_quorum_larger_than_the_listed_users_is_refused() -> None:
    with pytest.raises(ValidationError, match="only 1 approver"):
        GroupPolicy.model_validate({**VALID, "approvers": ["U0ALICE01"]})


def test_an_approver_listed_twice_is_refused() -> None:
    with pytest.raises(ValidationError, match="only once"):
        GroupPolicy.model_validate({**VALID, "approvers": ["U0ALICE01", "U0ALICE01"]})


WINDOW = {"days": ["sat", "sun"], "start": "22:00", "end": "04:00", "timezone": "Europe/Amsterdam"}


def test_an_unquoted_yaml_time_is_refused_with_the_fix() -> None:
    # PyYAML reads `start: 22:00` as the base-60 integer 1320.
    with pytest.raises(ValidationError, match='"HH:MM" in quotes'):
        ChangeWindow.model_validate({**WINDOW, "start": 1320})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "IANA time zone"),
        ("timezone", "../etc/passwd", "IANA time zone"),
        ("days", ["saturday"], "Input should be"),
        ("days", ["sat", "sat"], "only once"),
        ("days", [], "at least 1"),
        ("end", "22:00", "start and end are equal"),
        ("start", "24:00", "time of day"),
    ],
)
def test_windows_are_validated(key: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ChangeWindow.model_validate({**WINDOW, key: value})


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (SATURDAY_NIGHT, True),  # Sat 23:00 Amsterdam
        (datetime(2026, 11, 28, 20, 59, tzinfo=UTC), False),  # Sat 21:59
        (datetime(2026, 11, 28, 21, 0, tzinfo=UTC), True),  # Sat 22:00, the start counts
        (datetime(2026, 11, 29, 2, 59, tzinfo=UTC), True),  # Sun 03:59, past midnight
        (datetime(2026, 11, 29, 3, 0, tzinfo=UTC), False),  # Sun 04:00, the end does not
        (datetime(2026, 11, 30, 0, 30, tzinfo=UTC), True),  # Mon 01:30, Sunday's window
        (datetime(2026, 11, 27, 23, 0, tzinfo=UTC), False),  # Sat 00:00, Friday opened none
        (TUESDAY_MORNING, False),
    ],
)
def test_a_window_past_midnight_belongs_to_the_day_it_opens(moment: datetime, inside: bool) -> None:
    window = ChangeWindow.model_validate(WINDOW)
    assert window.contains(moment) is inside


def test_windows_follow_daylight_saving_time() -> None:
    window = ChangeWindow.model_validate(WINDOW)
    # Saturday 27 June 2026: Amsterdam is UTC+2, so 22:00 local is 20:00 UTC.
    assert window.contains(datetime(2026, 6, 27, 20, 0, tzinfo=UTC))
    assert not window.contains(datetime(2026, 6, 27, 19, 59, tzinfo=UTC))


def test_a_naive_time_is_refused() -> None:
    window = ChangeWindow.model_validate(WINDOW)
    with pytest.raises(ValueError, match="aware datetime"):
        window.contains(datetime(2026, 11, 28, 23, 0))


def test_no_windows_means_any_time() -> None:
    assert example_groups()["test"].window_open(TUESDAY_MORNING)
    assert not example_groups()["prod"].window_open(TUESDAY_MORNING)


def test_the_next_window_opening_is_found() -> None:
    opening = next_window_opening(example_groups()["prod"], TUESDAY_MORNING)
    assert opening is not None
    assert opening.astimezone(UTC) == datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
    assert next_window_opening(example_groups()["test"], TUESDAY_MORNING) is None


def test_parse_duration_passes_a_timedelta_through() -> None:
    assert parse_duration(timedelta(minutes=5)) == timedelta(minutes=5)
    with pytest.raises(ValueError, match="longer than zero"):
        parse_duration(timedelta(0))
