"""A delivery is acted on once: a repeat within the window is dropped, memory stays bounded."""

from __future__ import annotations

from bot.deliveries import RecentDeliveries, delivery_key


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_repeat_within_the_window_is_dropped_and_forgotten_after_it() -> None:
    clock = Clock()
    recent = RecentDeliveries(size=100, window=60, clock=clock)
    assert recent.first_time("response_url:a")
    assert not recent.first_time("response_url:a")
    clock.now = 61
    assert recent.first_time("response_url:a")


def test_memory_is_bounded_oldest_first() -> None:
    recent = RecentDeliveries(size=3, window=3600, clock=Clock())
    for key in "abcd":
        assert recent.first_time(key)
    assert recent.first_time("a")  # pushed out by d
    assert not recent.first_time("d")


def test_the_key_is_what_slack_repeats_unchanged_in_a_retry() -> None:
    slash = {"command": "/lku", "response_url": "https://hooks/1", "trigger_id": "t1"}
    click = {"type": "block_actions", "trigger_id": "t2"}
    assert delivery_key(slash) == "response_url:https://hooks/1"
    assert delivery_key(click) == "trigger_id:t2"
    assert delivery_key({"type": "view_closed"}) == delivery_key({"type": "view_closed"})
