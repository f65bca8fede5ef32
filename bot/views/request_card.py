"""The request card: what was previewed, the checklist, the rule that applies, the votes, and
the buttons that still apply.

It is posted in the channel where `/lku preview` was typed and updated in place (chat.update
at `request.card`) every time the request moves; the same request always gives the same card.
"""

from __future__ import annotations

from datetime import datetime

from bot.views.actions import CheckRef
from bot.views.message import SlackMessage
from liveupdate.policy import GroupPolicy
from liveupdate.requests import Request


class CheckNotFound(LookupError):
    """A `check_details` click names a check the request does not hold."""


def render_request_card(request: Request, policy: GroupPolicy, now: datetime) -> SlackMessage:
    """The card for `request` in its current state, judged at `now` (which approvals still
    count). [Approve] [Reject] while votes are open, [Launch] (with a confirm dialog naming the
    LPAR) once approved, no buttons once it is running or over."""
    raise NotImplementedError


def render_check_details(request: Request, ref: CheckRef) -> SlackMessage:
    """The evidence behind one checklist item, for a private (ephemeral) reply to the clicker;
    `CheckNotFound` when the request holds no such check."""
    raise NotImplementedError
