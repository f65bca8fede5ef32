"""What the commands work with: storage, the inventory, the run engine, who is in which Slack
user group, and the clock. Built once at start-up (`bot/service.py`) and passed to every
command; tests build it from their own parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from liveupdate.errors import Refused
from liveupdate.policy import EffectivePolicy, GroupPolicy, is_among
from liveupdate.requests import Approve, Cancel, Reject, Request
from lpar.engine import Engine
from lpar.inventory import Inventory
from storage.store import AsyncStore, Store


class GroupGone(Refused):
    """A request's group is no longer in the inventory (removed since the request opened)."""


class Directory(Protocol):
    """Who is in which Slack user group: `resolve` fetches ahead (it may call Slack), the call
    answers from memory (the rules ask it while storage holds its write lock) and raises when
    it cannot tell."""

    async def resolve(self, principals: Iterable[str]) -> None: ...

    def __call__(self, user: str, usergroup: str, /) -> bool: ...


@dataclass(frozen=True)
class Services:
    store: AsyncStore
    inventory: Inventory
    engine: Engine
    directory: Directory
    clock: Callable[[], datetime]
    """Aware datetimes: the one place commands learn the time."""

    def group(self, name: str) -> GroupPolicy:
        """The inventory's policy for group `name`, or `GroupGone`."""
        policy = self.inventory.groups.get(name)
        if policy is None:
            raise GroupGone(
                f"Group {name} is no longer in {self.inventory.path.name}, so lkubot cannot "
                "check its rules and its requests cannot go on: preview again."
            )
        return policy

    async def policy(self, group: str) -> EffectivePolicy:
        """The policy of `group` with its user groups resolved and the current freeze."""
        policy = self.group(group)
        await self.directory.resolve((*policy.approvers, *policy.admins, *self.inventory.admins))
        return EffectivePolicy(
            group=policy,
            membership=self.directory,
            admins=frozenset(self.inventory.admins),
            freeze=await self.store.call(Store.freeze),
        )

    async def policy_of(self, request: Request) -> EffectivePolicy:
        return await self.policy(request.group)

    async def decide(self, request_id: str, event: Approve | Reject | Cancel) -> Request:
        """A person's vote or cancel, judged by the rules of the request's group as they are
        now (the clicker is authorised, not the message); storage decides in one transaction."""
        request = await self.store.call(Store.get_request, request_id)
        policy = await self.policy_of(request)
        return await self.store.call(Store.apply, request_id, event, policy, self.clock())

    async def is_admin(self, user: str, *, group: str | None = None) -> bool:
        """A global admin, or an admin of `group` when given (user groups resolved first)."""
        principals = (
            *self.inventory.admins,
            *(self.group(group).admins if group else ()),
        )
        await self.directory.resolve(principals)
        return is_among(user, principals, self.directory)
