"""The phase model a status card counts with."""

from __future__ import annotations

import pytest

from liveupdate.phases import (
    BLACKOUT_PHASE,
    PHASES,
    TOTAL_PHASES,
    find_phase,
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
