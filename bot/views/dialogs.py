"""Modals: the reject reason. (The launch confirmation is a Slack `confirm` dialog on the
[Launch] button itself, built with the card.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.views.message import ModalView
from liveupdate.requests import Request


class RejectSubmission(BaseModel):
    model_config = ConfigDict(frozen=True)

    request_id: str
    reason: str


def render_reject_modal(request: Request) -> ModalView:
    """The modal [Reject] opens: one required reason, the request id in private_metadata."""
    raise NotImplementedError


def read_reject_submission(view: Mapping[str, Any]) -> RejectSubmission:
    """The request id and the reason from a `view_submission` payload's `view`."""
    raise NotImplementedError
