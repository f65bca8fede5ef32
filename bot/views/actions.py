"""The action ids, block ids and callback ids of every interactive thing lkubot posts.

The views put these on their buttons and modals; the listeners (`bot/listeners/`) register
on the same constants, so a renamed id cannot leave a button without a handler. The button
values are built and read only by the functions here, so neither side parses strings by hand.

Buttons and what a click means (every click is authorised again when it arrives):

- `approve` (request card, value: request id `LU-17`): approve, like `/lku approve`.
- `reject` (request card, value: request id): open the reject-reason modal.
- `launch` (request card once approved, value: request id): launch. Slack has already asked
  the clicker to confirm in a `confirm` dialog that names the LPAR, so the click is the go.
- `check_details` (request card: an "Evidence…" select menu per LPAR, not a button; the chosen
  option's value is `CheckRef.to_value()`, read it with `CheckRef.from_action(action)`): post
  that check's evidence privately to the clicker (`render_check_details`).
- `cancel_run` (run status message until the point of no return, value: run id `LU-17-1`):
  cancel the run; confirmed in a `confirm` dialog first.
- `llu_preview` (final summary when `genld -u` lists processes, value: LPAR name): the same
  as `/llu preview LPAR`.
- `cleanup` (final summary when the engine offers a clean-up: `clvupdate` after a failed
  LKU, `cllvupdate -u` after an LLU with failed processes; value: run id): run it; confirmed
  first, admins only.

The reject modal has callback id `reject_reason`; its only input is block `reject_reason`,
action `reason`; `private_metadata` holds the request id (read it with
`bot.views.dialogs.read_reject_submission`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from liveupdate.checks import CheckKey, LparName
from liveupdate.requests import RequestId

# Buttons on the request card.
APPROVE: Final = "approve"
REJECT: Final = "reject"
LAUNCH: Final = "launch"
CHECK_DETAILS: Final = "check_details"

# Buttons in the run's thread.
CANCEL_RUN: Final = "cancel_run"
LLU_PREVIEW: Final = "llu_preview"
CLEANUP: Final = "cleanup"

# The reject-reason modal.
REJECT_MODAL: Final = "reject_reason"
"""The modal's `callback_id`: register the view_submission listener on it."""
REJECT_REASON_BLOCK: Final = "reject_reason"
REJECT_REASON_INPUT: Final = "reason"

# Block ids of the blocks that hold buttons, so a listener can tell where a click came from.
REQUEST_ACTIONS_BLOCK: Final = "request_actions"
RUN_ACTIONS_BLOCK: Final = "run_actions"
SUMMARY_ACTIONS_BLOCK: Final = "summary_actions"
CLEANUP_ACTIONS_BLOCK: Final = "cleanup_actions"

_SEPARATOR = " "
"""Neither request ids, LPAR names nor check keys contain a space."""


class BadActionValue(ValueError):
    """A button value lkubot did not write (an old message, or a forged payload)."""


class CheckRef(BaseModel):
    """Which checklist item's evidence a `check_details` click asks for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: RequestId
    lpar: LparName
    key: CheckKey

    def to_value(self) -> str:
        return _SEPARATOR.join((self.request_id, self.lpar, self.key))

    @classmethod
    def from_action(cls, action: Mapping[str, Any]) -> CheckRef:
        """The reference in a block_actions `action`: the chosen option of the menu (or a
        button's value)."""
        option = action.get("selected_option") or {}
        return cls.from_value(str(option.get("value") or action.get("value") or ""))

    @classmethod
    def from_value(cls, value: str) -> CheckRef:
        """The reference a button carries, or `BadActionValue`."""
        parts = value.split(_SEPARATOR)
        if len(parts) != 3:
            raise BadActionValue(
                "This button is from another version of lkubot: preview again for a fresh card."
            )
        try:
            return cls(request_id=parts[0], lpar=parts[1], key=parts[2])
        except ValidationError:
            raise BadActionValue(
                "This button is from another version of lkubot: preview again for a fresh card."
            ) from None
