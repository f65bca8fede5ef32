"""The virtual clock and the packaged transcript it replays."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from pathlib import Path

import pytest

from sim.aix.clock import VirtualClock
from sim.aix.transcript import format_duration, load_transcript

FIXTURES = Path(__file__).parent.parent / "fixtures"


class FakeWall:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_virtual_time_runs_speed_times_faster_than_the_wall() -> None:
    wall = FakeWall()
    clock = VirtualClock(datetime(2025, 1, 29, 9, 9, 9), 500.0, wall)
    wall.now += 0.042
    assert clock.now() == datetime(2025, 1, 29, 9, 9, 30)
    assert clock.wall_seconds(21) == pytest.approx(0.042)
    assert clock.wall_seconds(-5) == 0.0
    with pytest.raises(ValueError, match="must be positive"):
        VirtualClock(datetime(2025, 1, 1), 0.0)


def test_the_package_ships_the_real_transcript() -> None:
    shipped = files("sim.aix").joinpath("data/lku-success-1.log").read_text()
    assert shipped == (FIXTURES / "lku-success-1.log").read_text()


def test_the_transcript_as_a_timed_script() -> None:
    transcript = load_transcript()
    assert transcript.steps[0].key == "preview_succeeded"
    assert transcript.step("banner").timestamped is False
    assert transcript.step("blackout_end").offset - transcript.step("blackout").offset == 21
    assert transcript.step("completed").offset - transcript.step("starting").offset == 658
    assert transcript.trailer[0] == "File /etc/inittab has been modified."
    assert format_duration(658) == "0h 10m 58s"
    assert format_duration(3725) == "1h 2m 5s"
