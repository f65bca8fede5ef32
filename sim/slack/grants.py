"""The short-lived handles Slack gives an app with each interaction: trigger ids (to open a
modal within 3 s, once) and response URLs (to answer up to 5 times within 30 minutes)."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from sim.slack.errors import SlackApiError

RESPONSE_URL_USES = 5
RESPONSE_URL_TTL = 30 * 60.0


@dataclass
class _Trigger:
    user: str
    issued: float
    view_id: str | None
    used: bool = False


class ResponseTarget(BaseModel):
    """Where a reply through a response URL lands, and what it may replace."""

    kind: Literal["command", "action"]
    user: str
    channel: str
    message_ts: str | None = None
    is_ephemeral: bool = False
    thread_ts: str | None = None
    issued: float
    uses: int = 0
    last_reply_ts: str | None = None
    last_reply_ephemeral: bool = True


@dataclass
class Grants:
    """Issues and redeems triggers and response URLs; `clock` is real monotonic seconds."""

    base_url: Callable[[], str]
    team_id: str
    trigger_ttl: float
    clock: Callable[[], float]
    _triggers: dict[str, _Trigger] = field(default_factory=dict)
    _targets: dict[str, ResponseTarget] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def issue_trigger(self, user: str, view_id: str | None = None) -> str:
        trigger_id = f"{next(self._counter)}.{self.team_id}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = _Trigger(user=user, issued=self.clock(), view_id=view_id)
        return trigger_id

    def redeem_trigger(self, trigger_id: str) -> tuple[str, str | None]:
        """The user (and the view it came from, if any) a trigger was issued for; once only."""
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise SlackApiError("invalid_trigger_id")
        if trigger.used:
            raise SlackApiError("exchanged_trigger_id")
        if self.clock() - trigger.issued > self.trigger_ttl:
            raise SlackApiError("expired_trigger_id")
        trigger.used = True
        return trigger.user, trigger.view_id

    def issue_response_url(self, target: ResponseTarget) -> str:
        token = f"{next(self._counter)}/{secrets.token_urlsafe(12)}"
        self._targets[token] = target
        path = "commands" if target.kind == "command" else "actions"
        return f"{self.base_url()}/hooks/{path}/{self.team_id}/{token}"

    def use_response_url(self, token: str) -> ResponseTarget:
        """The target of a response URL, counting this use; Slack's limits apply."""
        target = self._targets.get(token)
        if target is None:
            raise SlackApiError("no_such_url")
        if self.clock() - target.issued > RESPONSE_URL_TTL:
            raise SlackApiError("expired_url")
        if target.uses >= RESPONSE_URL_USES:
            raise SlackApiError("used_url")
        target.uses += 1
        return target
