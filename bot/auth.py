"""Who is who: user group membership from Slack, cached, and the optional channel allow-list.

Approvers and admins are Slack user ids or user group ids (`S...`). The rules in `liveupdate`
ask a synchronous `MembershipLookup` while storage holds its write lock, so the answer must
come from memory: `SlackMembership.resolve` fetches the groups a decision may need
(`usergroups.users.list`) before the decision is made, and `SlackMembership.__call__` answers
from that cache. A group whose lookup failed, or that was never fetched, raises: the rules
then deny and say why (`MembershipUnavailable`); lkubot never guesses in someone's favour.

Entries live `ttl` seconds; concurrent resolves of one group share a single Slack call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from liveupdate.errors import Refused
from liveupdate.policy import is_usergroup

log = logging.getLogger(__name__)

DEFAULT_TTL = 300.0
"""Seconds a user group's member list is trusted; a change in Slack shows within this time."""
FAILURE_TTL = 10.0
"""Seconds a failed lookup is remembered, so an outage is not hammered by every click."""
LOOKUP_TIMEOUT = 5.0
"""Seconds one `usergroups.users.list` call may take before the lookup counts as failed."""


class MembershipUnknown(LookupError):
    """The members of a user group are not known just now (never fetched, or Slack failed)."""


class ChannelNotAllowed(Refused):
    """lkubot is configured to answer only in some channels, and this is not one of them."""


@dataclass(frozen=True)
class _Entry:
    members: frozenset[str] | None
    """None: the last lookup failed."""
    fetched_at: float


class SlackMembership:
    """A `liveupdate.policy.MembershipLookup` backed by `usergroups.users.list`."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = DEFAULT_TTL,
        failure_ttl: float = FAILURE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._inflight: dict[str, asyncio.Task[_Entry]] = {}

    async def resolve(self, principals: Iterable[str]) -> None:
        """Make sure every user group among `principals` has a fresh entry (or a failed one)."""
        groups = {p for p in principals if is_usergroup(p) and not self._fresh(p)}
        if groups:
            await asyncio.gather(*(self._refresh(g) for g in groups))

    def __call__(self, user: str, usergroup: str, /) -> bool:
        entry = self._cache.get(usergroup)
        if entry is None or entry.members is None or not self._fresh(usergroup):
            raise MembershipUnknown(f"the members of {usergroup} are not known just now")
        return user in entry.members

    def forget(self) -> None:
        """Drop every cached entry (the next decision asks Slack again)."""
        self._cache.clear()

    def _fresh(self, usergroup: str) -> bool:
        entry = self._cache.get(usergroup)
        if entry is None:
            return False
        ttl = self._ttl if entry.members is not None else self._failure_ttl
        return self._clock() - entry.fetched_at < ttl

    async def _refresh(self, usergroup: str) -> None:
        task = self._inflight.get(usergroup)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch(usergroup))
            self._inflight[usergroup] = task
            task.add_done_callback(lambda _: self._inflight.pop(usergroup, None))
        self._cache[usergroup] = await asyncio.shield(task)

    async def _fetch(self, usergroup: str) -> _Entry:
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT):
                reply = await self._client.usergroups_users_list(usergroup=usergroup)
            users = reply.get("users")
            if not isinstance(users, list):
                raise SlackClientError(f"usergroups.users.list gave no user list for {usergroup}")
            members: frozenset[str] | None = frozenset(str(u) for u in users)
        except (SlackApiError, SlackClientError, TimeoutError, OSError) as error:
            # A failed entry is kept briefly; the rules deny while it lasts and say to retry.
            log.warning("cannot list the members of user group %s: %s", usergroup, error)
            members = None
        return _Entry(members=members, fetched_at=self._clock())


class ChannelAllowList:
    """The channels lkubot answers in; an empty list allows every channel."""

    def __init__(self, channels: Iterable[str] = ()) -> None:
        self._channels = frozenset(channels)

    def check(self, channel: str) -> None:
        if self._channels and channel not in self._channels:
            allowed = ", ".join(f"<#{c}>" for c in sorted(self._channels))
            raise ChannelNotAllowed(
                f"lkubot does not take requests in this channel: use {allowed}."
            )
