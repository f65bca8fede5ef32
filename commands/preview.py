"""`/lku preview TARGET [ITEMS] [-d MEDIA]` and `/llu preview TARGET`: the pre stage on every
LPAR of the target, then a request opened from what it saw (pending, or preview_failed)."""

from __future__ import annotations

from commands import words
from commands.services import Services
from liveupdate.checks import UpdateKind
from liveupdate.errors import Refused
from liveupdate.requests import Request
from storage.store import Store

DEFAULT_ITEMS = ("update_all",)
"""What `/lku preview lpar01` installs when no fileset is named."""


class PreviewRefused(Refused):
    """The preview cannot be asked for like this."""


def group_of(services: Services, command: words.Preview) -> str:
    """The inventory group whose policy applies to the target; `UnknownTargetError` (with a
    suggestion) for a name the inventory does not know, checked before any SSH."""
    lpars = services.inventory.resolve(str(command.target))
    if not lpars:
        raise PreviewRefused(f"Group {command.target.name} has no LPARs in the inventory.")
    return command.target.name if command.target.is_group else lpars[0].group


async def preview(services: Services, command: words.Preview, user: str) -> Request:
    target = str(command.target)
    group = group_of(services, command)
    kind = UpdateKind(command.kind)
    if kind is UpdateKind.LKU:
        previews = await services.engine.preview(
            kind, target, items=command.items or DEFAULT_ITEMS, media=command.media
        )
    else:
        previews = await services.engine.preview(kind, target)
    policy = await services.policy(group)
    return await services.store.call(
        Store.open_request,
        kind=kind,
        target=target,
        group=group,
        requester=user,
        previews=previews,
        policy=policy,
        now=services.clock(),
    )
