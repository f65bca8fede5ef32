"""The phase model a status card counts with."""

from __future__ import annotations

import pytest

from liveupdate.phases import (
    BLACKOUT_PHASE,
    PHASES,
    POINT_OF_NO_RETURN_BANNER,
    TOTAL_PHASES,
    find_phase,
    is_point_of_no_return,
    phase_named,
)
from tests.liveupdate.samples import success_lines


def test_every_timestamped_message_of_the_real_run_is_a_known_phase_in_order() -> None:
    messages = [line[20:] for line in success_lines() if line[:2].isdigit()]
    progress = [m for m in messages if not m.startswith("Live AIX update completed")]
    assert [find_phase(m) for m in progress] == list(PHASES)
    assert TOTAL_PHASES == 25


def test_the_blackout_is_phase_19_and_only_the_preview_can_be_cancelled() -> None:
    assert BLACKOUT_PHASE.index == 19
    assert [p.index for p in PHASES if p.blackout] == [19]
    assert [p.index for p in PHASES if p.cancellable] == [1]


@pytest.mark.parametrize(
    "message",
    ["Blackout Time started.", "blackout time started", "Blackout  Time started. "],
)
def test_phases_are_found_whatever_the_case_spacing_or_final_period(message: str) -> None:
    assert find_phase(message) is BLACKOUT_PHASE


def test_an_unknown_message_is_no_phase_and_naming_one_is_an_error() -> None:
    assert find_phase("Checking the mirror volume group size.") is None
    with pytest.raises(KeyError, match="not a known live update phase"):
        phase_named("Checking the mirror volume group size.")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (POINT_OF_NO_RETURN_BANNER, True),
        ("Non-interruptible live update operation begins in 5 seconds.", True),
        ("non-interruptable live update operation begins in 10 seconds", True),
        ("Live AIX update is starting.", False),
    ],
)
def test_the_point_of_no_return_banner_is_recognised_in_its_variants(
    line: str, expected: bool
) -> None:
    assert is_point_of_no_return(line) is expected
