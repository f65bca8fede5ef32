"""The one-line notices for a group's notification channel (posted by `bot.notify`)."""

from __future__ import annotations

from bot.views.message import SlackMessage
from liveupdate.policy import Freeze
from liveupdate.requests import Request


def notice_requested(request: Request) -> SlackMessage:
    """`LU-17 requested by @carol: LKU on lpar01 (update_all from /mnt/...), in #aix-team`."""
    raise NotImplementedError


def notice_approved(request: Request) -> SlackMessage:
    """The request reached its quorum."""
    raise NotImplementedError


def notice_rejected(request: Request) -> SlackMessage:
    raise NotImplementedError


def notice_launched(request: Request) -> SlackMessage:
    """Launched, by whom; with the override (who and why) when one was used."""
    raise NotImplementedError


def notice_cancelled(request: Request) -> SlackMessage:
    raise NotImplementedError


def notice_freeze(freeze: Freeze) -> SlackMessage:
    raise NotImplementedError
