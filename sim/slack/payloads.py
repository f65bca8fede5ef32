"""What Slack sends an app when a user acts: slash commands, block_actions, view_submission
and view_closed payloads, shaped field for field like Slack's
(https://api.slack.com/interactivity/slash-commands, .../reference/interaction-payloads).

Each builder issues the trigger id and response URL Slack would, so what the bot does with them
(open a modal, answer in place) lands back in the emulator.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel

from sim.slack.blockkit import elements_of
from sim.slack.config import EmulatorConfig, UserSpec
from sim.slack.errors import ElementNotFound, RequiredInputMissing
from sim.slack.grants import Grants, ResponseTarget
from sim.slack.workspace import Channel, Ephemeral, Message, OpenView, Workspace

ValueInput = str | list[str] | None


class Interaction(BaseModel):
    """One thing Slack delivers to the app: a slash command or an interactive payload."""

    kind: Literal["slash_commands", "interactive"]
    payload: dict[str, Any]

    @property
    def type(self) -> str:
        """`slash_commands`, or the interactive payload's type (`block_actions`, ...)."""
        return self.kind if self.kind == "slash_commands" else str(self.payload["type"])

    @property
    def accepts_response_payload(self) -> bool:
        # An ack can carry a reply for slash commands and a response_action for submissions.
        return self.type in ("slash_commands", "view_submission")

    def form_body(self) -> str:
        """The HTTP body Slack POSTs: the fields of a slash command, else `payload=<json>`."""
        if self.kind == "slash_commands":
            return urlencode(self.payload)
        return urlencode({"payload": json.dumps(self.payload, separators=(",", ":"))})


class Payloads:
    def __init__(self, config: EmulatorConfig, workspace: Workspace, grants: Grants) -> None:
        self.config = config
        self.workspace = workspace
        self.grants = grants

    def slash(self, user: UserSpec, channel: Channel, command: str, text: str) -> Interaction:
        response_url = self.grants.issue_response_url(
            ResponseTarget(
                kind="command", user=user.id, channel=channel.id, issued=self.grants.clock()
            )
        )
        payload = {
            "token": self.config.verification_token,
            "team_id": self.config.team_id,
            "team_domain": self.config.team_domain,
            "channel_id": channel.id,
            "channel_name": "directmessage" if channel.is_im else channel.name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": self.config.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self.grants.issue_trigger(user.id),
        }
        return Interaction(kind="slash_commands", payload=payload)

    def block_actions(
        self,
        user: UserSpec,
        source: Message | Ephemeral | OpenView,
        action_id: str,
        value: str | None,
    ) -> Interaction:
        blocks = source.view["blocks"] if isinstance(source, OpenView) else source.blocks
        block_id, element = _find_element(blocks, action_id, value)
        action = _action(block_id, element, value)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": self.config.app_id,
            "token": self.config.verification_token,
            "trigger_id": "",
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [action],
        }
        if isinstance(source, OpenView):
            payload["container"] = {"type": "view", "view_id": source.id}
            payload["view"] = source.view
            payload["trigger_id"] = self.grants.issue_trigger(user.id, view_id=source.id)
            return Interaction(kind="interactive", payload=payload)
        is_ephemeral = isinstance(source, Ephemeral)
        channel = self.workspace.channels[source.channel]
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": source.ts,
            "channel_id": channel.id,
            "is_ephemeral": is_ephemeral,
        }
        if source.thread_ts is not None:
            container["thread_ts"] = source.thread_ts
        payload["container"] = container
        payload["channel"] = {"id": channel.id, "name": channel.name}
        if isinstance(source, Message):
            # Slack leaves the message out for ephemeral messages; the app only has the ts.
            payload["message"] = source.to_slack()
        payload["trigger_id"] = self.grants.issue_trigger(user.id)
        payload["response_url"] = self.grants.issue_response_url(
            ResponseTarget(
                kind="action",
                user=user.id,
                channel=channel.id,
                message_ts=source.ts,
                is_ephemeral=is_ephemeral,
                thread_ts=source.thread_ts,
                issued=self.grants.clock(),
            )
        )
        return Interaction(kind="interactive", payload=payload)

    def view_submission(
        self, user: UserSpec, view: OpenView, values: dict[str, ValueInput]
    ) -> Interaction:
        submitted = {**view.view, "state": {"values": view_state(view, values)}}
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": self.config.app_id,
            "token": self.config.verification_token,
            "trigger_id": self.grants.issue_trigger(user.id, view_id=view.id),
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return Interaction(kind="interactive", payload=payload)

    def view_closed(self, user: UserSpec, view: OpenView, *, is_cleared: bool) -> Interaction:
        payload = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": self.config.app_id,
            "token": self.config.verification_token,
            "view": view.view,
            "is_cleared": is_cleared,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return Interaction(kind="interactive", payload=payload)

    def _user(self, user: UserSpec) -> dict[str, str]:
        return {
            "id": user.id,
            "username": user.name,
            "name": user.name,
            "team_id": self.config.team_id,
        }

    def _team(self) -> dict[str, str]:
        return {"id": self.config.team_id, "domain": self.config.team_domain}


def _find_element(
    blocks: list[dict[str, Any]], action_id: str, value: str | None
) -> tuple[str, dict[str, Any]]:
    """The one clickable element with this action id (and, for buttons, this value)."""
    found = [
        (block_id, element)
        for block_id, element in elements_of(blocks)
        if element.get("action_id") == action_id
        and (value is None or element.get("type") != "button" or element.get("value") == value)
    ]
    if len(found) == 1:
        return found[0]
    available = (
        ", ".join(f"{e.get('action_id')}={e.get('value')!r}" for _, e in elements_of(blocks))
        or "none"
    )
    if not found:
        raise ElementNotFound(
            f"No element with action_id {action_id!r}"
            + (f" and value {value!r}" if value is not None else "")
            + f"; the clickable elements are: {available}."
        )
    raise ElementNotFound(
        f"{len(found)} elements have action_id {action_id!r}; pass the value of the one to click "
        f"({available})."
    )


def _action(block_id: str, element: dict[str, Any], value: str | None) -> dict[str, Any]:
    kind = element["type"]
    action: dict[str, Any] = {
        "type": kind,
        "action_id": element["action_id"],
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        action["text"] = element["text"]
        for key in ("value", "style"):
            if key in element:
                action[key] = element[key]
        return action
    if kind in ("static_select", "overflow", "radio_buttons"):
        if value is None:
            raise ElementNotFound(f"Choosing in the {kind} {element['action_id']!r} needs a value.")
        action["selected_option"] = _option(element, value)
        return action
    raise ElementNotFound(f"The emulator cannot click a {kind} ({element['action_id']!r}).")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    return options


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    for option in _options(element):
        if option.get("value") == value:
            return option
    values = ", ".join(repr(o.get("value")) for o in _options(element))
    raise ElementNotFound(f"{element['action_id']!r} has no option {value!r}; it has {values}.")


def view_state(view: OpenView, values: dict[str, ValueInput]) -> dict[str, dict[str, Any]]:
    """The `view.state.values` Slack sends on submit: every input of the modal, filled from
    `values` (keyed by action_id, or "block_id/action_id") or from its initial value."""
    inputs = [
        (block, block["element"]) for block in view.view["blocks"] if block.get("type") == "input"
    ]
    keys = {
        key
        for block, element in inputs
        for key in (element["action_id"], f"{block['block_id']}/{element['action_id']}")
    }
    unknown = sorted(set(values) - keys)
    if unknown:
        raise ElementNotFound(f"The modal has no input {unknown}; its inputs are {sorted(keys)}.")
    state: dict[str, dict[str, Any]] = {}
    for block, element in inputs:
        key = f"{block['block_id']}/{element['action_id']}"
        given = values.get(key, values.get(element["action_id"], _initial(element)))
        if _is_empty(given) and not block.get("optional", False):
            label = block["label"]["text"]
            raise RequiredInputMissing(
                f"Slack will not submit the modal {view.callback_id!r}: the required input "
                f"{label!r} ({key}) is empty."
            )
        state.setdefault(block["block_id"], {})[element["action_id"]] = _input_value(element, given)
    return state


def _is_empty(value: ValueInput) -> bool:
    return value is None or value == "" or value == []


def _initial(element: dict[str, Any]) -> ValueInput:
    kind = element["type"]
    if kind in ("plain_text_input", "number_input"):
        return element.get("initial_value")
    if kind in ("static_select", "radio_buttons"):
        initial = element.get("initial_option")
        return initial["value"] if initial else None
    if kind == "checkboxes":
        return [o["value"] for o in element.get("initial_options", [])]
    if kind == "datepicker":
        return element.get("initial_date")
    if kind == "users_select":
        return element.get("initial_user")
    return element.get("initial_conversation")


def _input_value(element: dict[str, Any], given: ValueInput) -> dict[str, Any]:
    kind = element["type"]
    state: dict[str, Any] = {"type": kind}
    single = given if isinstance(given, str) or given is None else None
    if kind in ("plain_text_input", "number_input"):
        state["value"] = single
    elif kind in ("static_select", "radio_buttons"):
        state["selected_option"] = _option(element, single) if single else None
    elif kind == "checkboxes":
        chosen = [given] if isinstance(given, str) else list(given or [])
        state["selected_options"] = [_option(element, v) for v in chosen]
    elif kind == "datepicker":
        state["selected_date"] = single
    elif kind == "users_select":
        state["selected_user"] = single
    else:
        state["selected_conversation"] = single
    return state
