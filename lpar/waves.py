"""Group rollouts in waves: the canary alone first, then at most one LPAR per managed system
at a time, so that a frame never has two surrogates being built at once and a failure stays
on one frame.
"""

from __future__ import annotations

from collections.abc import Sequence


def plan_waves(members: Sequence[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Waves of LPAR names from `(name, managed system)` pairs in inventory order.

    Wave 1 is the first LPAR alone (the canary). Each later wave takes, in order, the first
    LPAR not yet placed of every managed system, so LPARs keep their inventory order within
    a frame and every wave touches each frame at most once.
    """
    if not members:
        return []
    waves: list[tuple[str, ...]] = [(members[0][0],)]
    left = list(members[1:])
    while left:
        frames: set[str] = set()
        wave: list[str] = []
        later: list[tuple[str, str]] = []
        for name, frame in left:
            if frame in frames:
                later.append((name, frame))
            else:
                frames.add(frame)
                wave.append(name)
        waves.append(tuple(wave))
        left = later
    return waves
