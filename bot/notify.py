"""One line per event in a group's notification channel (the inventory's `channel`).

The request events (requested, approved, rejected, launched with or without an override,
cancelled) are sent by the workflow right after storage has recorded the change; the run
events (blackout, finished, failed, cancelled) by `bot.status_card` through `post` and
`post_end`; the freeze goes to every group's channel. The notices of a request's end carry
the audit chain's head, read from storage just before posting (`bot.views.notices`). A
notice is a side channel: if Slack refuses it (the bot was removed from the channel, say),
the failure is logged with the channel and Slack's error and the work that caused it carries
on; it never undoes or blocks a recorded change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.views import notices
from bot.views.message import SlackMessage
from liveupdate.policy import Freeze, GroupPolicy
from liveupdate.requests import Request
from storage.audit import AuditHead
from storage.store import AsyncStore, Store

log = logging.getLogger(__name__)


class Notifier:
    """Posts the one-line notices; `groups` is the inventory's groups (name -> policy), `store`
    gives the audit chain's head for the notices of a request's end."""

    def __init__(
        self, client: AsyncWebClient, groups: Mapping[str, GroupPolicy], store: AsyncStore
    ) -> None:
        self._client = client
        self._groups = groups
        self._store = store

    async def requested(self, request: Request) -> None:
        await self.post(request.group, notices.notice_requested(request))

    async def approved(self, request: Request) -> None:
        """Call when a vote brought the request to its quorum."""
        await self.post(request.group, notices.notice_approved(request))

    async def rejected(self, request: Request) -> None:
        await self.post_end(request.group, lambda head: notices.notice_rejected(request, head))

    async def launched(self, request: Request) -> str | None:
        """Also announces an override: who used it and why. Returns the notice's ts."""
        return await self.post(request.group, notices.notice_launched(request))

    async def cancelled(self, request: Request) -> None:
        await self.post_end(request.group, lambda head: notices.notice_cancelled(request, head))

    async def freeze(self, freeze: Freeze) -> None:
        """The freeze (on or off) concerns every group: one notice in each distinct channel."""
        message = notices.notice_freeze(freeze)
        for channel in dict.fromkeys(g.channel for g in self._groups.values()):
            await self._send(channel, message)

    def channel_of(self, group: str) -> str:
        """The notification channel of `group` (KeyError for a group not in the inventory)."""
        return self._groups[group].channel

    async def post(self, group: str, message: SlackMessage) -> str | None:
        """Post `message` to `group`'s channel; its ts, or None when it was not posted."""
        policy = self._groups.get(group)
        if policy is None:
            log.error("no notification channel: group %s is not in the inventory", group)
            return None
        return await self._send(policy.channel, message)

    async def post_end(
        self, group: str, notice: Callable[[AuditHead | None], SlackMessage]
    ) -> str | None:
        """Post the notice of a request's end, `notice(head)`, with the audit chain's head as
        it is once the end has been recorded (the caller recorded it before calling)."""
        head = await self._store.call(Store.audit_head)
        return await self.post(group, notice(head))

    async def _send(self, channel: str, message: SlackMessage) -> str | None:
        try:
            posted = await self._client.chat_postMessage(
                channel=channel, unfurl_links=False, **message.as_kwargs()
            )
        except (SlackApiError, SlackClientError) as error:
            log.error(
                "notice to %s not posted: Slack said %s (%s)",
                channel,
                error,
                message.text,
            )
            return None
        return str(posted["ts"])
