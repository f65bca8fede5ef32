"""Modals: the reject reason. (The launch and cancel confirmations are Slack `confirm` dialogs
on the buttons themselves, built with the card and the status message.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_sdk.models.blocks import InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from bot.views import actions
from bot.views.actions import BadActionValue
from bot.views.blocks import section
from bot.views.message import ModalView
from bot.views.request_card import KIND_NAMES
from commands.words import MAX_TEXT
from liveupdate.policy import mention
from liveupdate.requests import Request, RequestId


class RejectSubmission(BaseModel):
    """What a submitted reject modal says: which request, and why (one line, at most
    `commands.words.MAX_TEXT` characters, like a typed reason)."""

    model_config = ConfigDict(frozen=True)

    request_id: RequestId
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


def render_reject_modal(request: Request) -> ModalView:
    """The modal [Reject] opens: one required reason, the request id in private_metadata."""
    lpars = request.lpars[0] if len(request.lpars) == 1 else request.target
    return ModalView.build(
        View(
            type="modal",
            callback_id=actions.REJECT_MODAL,
            private_metadata=request.id,
            title=f"Reject {request.id}",
            submit="Reject",
            close="Back",
            blocks=[
                section(
                    f"Rejecting *{request.id}* ({KIND_NAMES[request.kind]} on {lpars}, "
                    f"asked for by {mention(request.requester)}) ends it for good: the "
                    "requester will have to preview again. Your reason is shown on the card "
                    "and kept in the audit trail."
                ),
                InputBlock(
                    block_id=actions.REJECT_REASON_BLOCK,
                    label="Reason",
                    element=PlainTextInputElement(
                        action_id=actions.REJECT_REASON_INPUT,
                        multiline=True,
                        max_length=MAX_TEXT,
                        placeholder="e.g. not during month-end close; wait for CHG0123456",
                    ),
                ),
            ],
        )
    )


def read_reject_submission(view: Mapping[str, Any]) -> RejectSubmission:
    """The request id and the reason from a `view_submission` payload's `view`;
    `BadActionValue` when the view is not a reject modal lkubot opened."""
    values = view.get("state", {}).get("values", {})
    field = values.get(actions.REJECT_REASON_BLOCK, {}).get(actions.REJECT_REASON_INPUT, {})
    # A reason is kept as one line, like one typed after /lku reject.
    reason = " ".join(str(field.get("value") or "").split())
    try:
        return RejectSubmission(
            request_id=str(view.get("private_metadata", "")), reason=reason[:MAX_TEXT]
        )
    except ValidationError:
        raise BadActionValue(
            "This reject form was not filled in as lkubot expects: say why in the Reason box."
        ) from None
