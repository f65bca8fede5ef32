"""Answers to the commands that only read: help, list, status, history; and the short private
replies (a confirmation, a refusal, "Previewing lpar01...")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.views.message import SlackMessage
from commands.words import Kind
from liveupdate.policy import Freeze
from liveupdate.requests import Request
from liveupdate.runs import Lock, Run
from storage.reports import HistoryEntry


def render_help(kind: Kind, topic: str | None = None) -> SlackMessage:
    """Every verb of `/lku` or `/llu` with its usage and who may use it, or one verb in detail."""
    raise NotImplementedError


def render_notice(text: str) -> SlackMessage:
    """A one-sentence private answer: "Previewing lpar01...", "lpar01 is locked.", a refusal.
    `text` is lkubot's own mrkdwn (its sentences already escape what users typed)."""
    raise NotImplementedError


def render_error(sentence: str, reference: str | None = None) -> SlackMessage:
    """A private answer for an error: its own sentence, or for an unexpected one the short
    reference that the log line carries."""
    raise NotImplementedError


def render_request_list(
    requests: Sequence[Request], locks: Sequence[Lock], freeze: Freeze, now: datetime
) -> SlackMessage:
    """`/lku list`: the open requests (pending, approved, running), the LPAR locks and the
    freeze."""
    raise NotImplementedError


def render_request_status(request: Request, runs: Sequence[Run], now: datetime) -> SlackMessage:
    """`/lku status LU-17`: the request's state, votes and each LPAR's run."""
    raise NotImplementedError


def render_lpar_status(
    lpar: str, lock: Lock | None, requests: Sequence[Request], now: datetime
) -> SlackMessage:
    """`/lku status lpar01`: who holds it, and its open requests."""
    raise NotImplementedError


def render_history(lpar: str, entries: Sequence[HistoryEntry]) -> SlackMessage:
    """`/lku history lpar01`: past requests and runs on the LPAR, newest first."""
    raise NotImplementedError
