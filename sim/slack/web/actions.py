"""What the page asks the emulator to do as its current user, and what it is told back.

Each request names the acting user; the page is a local test tool, served on 127.0.0.1 only,
and its switcher is the point: anyone at the page may act as anyone in the emulated workspace.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sim.slack.driver import Delivery
from sim.slack.payloads import ValueInput


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(description="who acts, by id or name")


class SlashRequest(_Request):
    channel: str
    command: str = Field(pattern=r"^/[a-z0-9_-]+$")
    text: str = Field(default="", max_length=4000)


class MessageRequest(_Request):
    channel: str
    text: str = Field(min_length=1, max_length=40_000)
    thread_ts: str | None = None


class ClickRequest(_Request):
    source: str = Field(description="the ts of the message or ephemeral, or the view id")
    action_id: str
    value: str | None = Field(
        default=None, description="the button's value, or the option chosen in a select"
    )


class SubmitRequest(_Request):
    values: dict[str, ValueInput] = Field(
        default_factory=dict, description='inputs by "block_id/action_id"'
    )


class CloseRequest(_Request):
    pass


class Outcome(BaseModel):
    """How an action went, in words the page shows as they are."""

    ok: bool
    message: str | None = None
    errors: dict[str, str] = Field(
        default_factory=dict, description="a modal's input errors by block_id, from the app"
    )


def outcome_of(delivery: Delivery, bot_name: str, ack_timeout: float) -> Outcome:
    """What the user learns from the app's answer to a delivery."""
    if not delivery.acked and delivery.error == "operation_timeout":
        return Outcome(
            ok=False,
            message=f"{bot_name} did not answer within {ack_timeout:g} s, so Slack shows the "
            "user an error (operation_timeout).",
        )
    if not delivery.acked:
        status = f", HTTP {delivery.status}" if delivery.status is not None else ""
        return Outcome(
            ok=False,
            message=f"Slack could not deliver to {bot_name} ({delivery.error}{status}): "
            "is it running at the events URL the emulator was given?",
        )
    if delivery.response_action == "errors":
        raw = (delivery.ack or {}).get("errors") or {}
        errors = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
        return Outcome(ok=False, errors=errors)
    if delivery.error is not None:
        return Outcome(ok=False, message=f"Slack refused {bot_name}'s answer: {delivery.error}.")
    return Outcome(ok=True)
