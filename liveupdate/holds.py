"""Whether a launched rollout may start its next wave now: the freeze and the change windows,
checked again before each wave as at launch, minus what the launch's override covered.

An admin's override at launch covers the rest of the rollout for what it overrode: launched
outside the change windows, the later waves run outside them too; launched through a freeze,
they run through that freeze, but not through a freeze switched on after the override (a new
reason to stop). Pure: the caller passes the stored freeze and `now`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from liveupdate.policy import Freeze, GroupPolicy, next_window_opening
from liveupdate.requests import Request

Blocker = Literal["freeze", "change_window"]


def wave_blockers(
    request: Request, group: GroupPolicy, freeze: Freeze, now: datetime
) -> tuple[Blocker, ...]:
    """What keeps `request`'s next wave from starting at `now` (empty: it may start)."""
    override = request.override
    blockers: list[Blocker] = []
    overridden_freeze = (
        override is not None
        and "freeze" in override.overrode
        and freeze.since is not None
        and freeze.since <= override.at
    )
    if freeze.active and not overridden_freeze:
        blockers.append("freeze")
    overridden_window = override is not None and "change_window" in override.overrode
    if not group.window_open(now) and not overridden_window:
        blockers.append("change_window")
    return tuple(blockers)


def held_sentence(
    request: Request,
    blockers: tuple[Blocker, ...],
    group: GroupPolicy,
    freeze: Freeze,
    now: datetime,
) -> str:
    """Why the rollout waits, and what makes it go on, in a sentence for the team."""
    why: list[str] = []
    until: list[str] = []
    if "freeze" in blockers:
        why.append(f"lkubot is frozen ({freeze.reason})" if freeze.reason else "lkubot is frozen")
        until.append("the freeze is lifted")
    if "change_window" in blockers:
        windows = "; ".join(w.describe() for w in group.change_windows)
        why.append(f"group {request.group}'s change windows are closed ({windows})")
        opening = next_window_opening(group, now)
        until.append(
            f"the next window opens ({opening:%Y-%m-%d %H:%M %Z})" if opening else "a window opens"
        )
    return (
        f"The rollout of {request.id} waits before its next wave: {' and '.join(why)}. It goes "
        f"on by itself once {' and '.join(until)}, or stops if someone cancels it with "
        f"/lku cancel {request.id}."
    )
