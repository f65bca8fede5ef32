"""Admins' holds: `/lku lock LPAR reason`, `/lku unlock LPAR`, `/lku freeze on|off [reason]`.

A lock holds one LPAR (no launch there until it is unlocked); the freeze holds every launch
everywhere, unless an admin launches with an override. Locks may be placed by global admins
and by the admins of the LPAR's group; the freeze only by global admins.
"""

from __future__ import annotations

from commands.services import Services
from liveupdate.errors import NotPermitted
from liveupdate.policy import Freeze
from liveupdate.runs import Lock
from storage.store import Store


async def lock(services: Services, lpar: str, user: str, reason: str) -> Lock:
    group = services.inventory.lpar(lpar).group
    await _require_admin(services, user, group=group, doing=f"lock {lpar}")
    return await services.store.call(Store.hold, lpar, by=user, reason=reason, now=services.clock())


async def unlock(services: Services, lpar: str, user: str) -> str:
    """Lift the hold; returns the LPAR's name."""
    group = services.inventory.lpar(lpar).group
    await _require_admin(services, user, group=group, doing=f"unlock {lpar}")
    await services.store.call(Store.release, lpar, by=user, now=services.clock())
    return lpar


async def freeze(services: Services, user: str, *, on: bool, reason: str) -> Freeze:
    await _require_admin(services, user, group=None, doing="switch the freeze")
    return await services.store.call(
        Store.set_freeze, active=on, by=user, reason=reason or None, now=services.clock()
    )


async def _require_admin(services: Services, user: str, *, group: str | None, doing: str) -> None:
    if not await services.is_admin(user, group=group):
        raise NotPermitted(f"Only lkubot admins can {doing}: ask one of them.")
