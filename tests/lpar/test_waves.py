"""Waves of a group rollout: canary alone, then at most one LPAR per managed system."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lpar.waves import plan_waves

FRAMES = st.sampled_from(["p10-a", "p10-b", "p10-c", "p9-d"])


def test_the_canary_goes_alone_then_one_lpar_per_frame() -> None:
    members = [("db1", "a"), ("db2", "a"), ("app1", "b"), ("app2", "b"), ("web1", "c")]

    assert plan_waves(members) == [("db1",), ("db2", "app1", "web1"), ("app2",)]


def test_no_members_no_waves() -> None:
    assert plan_waves([]) == []


@given(st.lists(FRAMES, max_size=40))
def test_every_lpar_runs_once_never_two_on_one_frame_in_inventory_order(frames: list[str]) -> None:
    members = [(f"lpar{n:03d}", frame) for n, frame in enumerate(frames)]
    frame_of = dict(members)

    waves = plan_waves(members)

    assert sorted(name for wave in waves for name in wave) == [name for name, _ in members]
    if members:
        assert waves[0] == (members[0][0],)
    for wave in waves:
        assert len({frame_of[name] for name in wave}) == len(wave)
    for frame in set(frames):
        on_frame = [name for wave in waves for name in wave if frame_of[name] == frame]
        assert on_frame == [name for name, f in members if f == frame]
