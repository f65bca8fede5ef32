"""What every view returns, and the few text rules all of them follow.

`SlackMessage` is a message's notification text plus its Block Kit blocks, as the JSON that
`chat.postMessage`, `chat.update`, `chat.postEphemeral` and a `respond()` take. `ModalView`
is a modal for `views.open`. Both are built from `slack_sdk.models` objects, whose
`to_dict()` checks Slack's rules; on top of that the views keep every text within Slack's
limits by cutting long text (with a visible marker) rather than letting Slack refuse the call.

The text helpers all views share (escaping, cutting, dates, durations) are in
`bot.views.text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.views.text import clip

MAX_BLOCKS = 50
"""Blocks per message (Slack refuses more)."""
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_FALLBACK_TEXT = 3000
"""Slack accepts far more in `text`, but the fallback is a notification: keep it short."""


class SlackMessage(BaseModel):
    """A message: `text` is what notifications and screen readers show, `blocks` the layout."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1, max_length=MAX_FALLBACK_TEXT)
    blocks: tuple[dict[str, Any], ...] = Field(max_length=MAX_BLOCKS)

    @classmethod
    def build(cls, text: str, blocks: Sequence[Block]) -> SlackMessage:
        """From slack_sdk blocks; `to_dict()` raises `SlackObjectFormationError` on a broken one."""
        return cls(text=clip(text, MAX_FALLBACK_TEXT), blocks=tuple(b.to_dict() for b in blocks))

    def as_kwargs(self) -> dict[str, Any]:
        """`text` and `blocks` as keyword arguments of chat.postMessage and friends."""
        return {"text": self.text, "blocks": list(self.blocks)}


class ModalView(BaseModel):
    """A modal for `views.open`."""

    model_config = ConfigDict(frozen=True)

    view: dict[str, Any]

    @classmethod
    def build(cls, view: View) -> ModalView:
        return cls(view=view.to_dict())
