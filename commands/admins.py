"""Who may do an admin's work after a run: the global admins and the admins of the request's
group (only the global ones once that group has left the inventory)."""

from __future__ import annotations

from commands.services import Services
from liveupdate.errors import NotPermitted
from liveupdate.requests import Request


async def require_admin_of(services: Services, user: str, request: Request, doing: str) -> None:
    """`NotPermitted`, saying who may, unless `user` is an admin for `request`."""
    group = request.group if request.group in services.inventory.groups else None
    if not await services.is_admin(user, group=group):
        raise NotPermitted(f"Only lkubot admins can {doing}: ask one of them.")
