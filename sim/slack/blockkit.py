"""Block Kit as Slack checks it: the shapes and limits of blocks, elements and modals.

Written from Slack's reference (https://api.slack.com/reference/block-kit), not from
slack_sdk's models, so that a bot that builds blocks with slack_sdk is checked by an independent
reading of the same rules. It covers the block and element types an operations bot uses; any
other type is refused with a message naming it, so adding one here comes before using it (the
browser page renders what these models accept).

`check_blocks` and `check_view` return Slack's error strings (empty when valid); the walkers
below fill in the block and action ids Slack generates, gather the text of a message, and find
the interactive elements a user can click.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Self, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- composition objects -------------------------------------------------------------------


class PlainText(_Strict):
    type: Literal["plain_text"]
    text: str = Field(min_length=1)
    emoji: bool | None = None


class Mrkdwn(_Strict):
    type: Literal["mrkdwn"]
    text: str = Field(min_length=1)
    verbatim: bool | None = None


_Text = TypeVar("_Text", bound=PlainText | Mrkdwn)


def _at_most(limit: int) -> AfterValidator:
    def check(value: _Text) -> _Text:
        if len(value.text) > limit:
            raise ValueError(f"text must be at most {limit} characters, not {len(value.text)}")
        return value

    return AfterValidator(check)


AnyText = Annotated[PlainText | Mrkdwn, Field(discriminator="type")]
# Each text field has its own length limit in Slack's reference.
Plain24 = Annotated[PlainText, _at_most(24)]
Plain30 = Annotated[PlainText, _at_most(30)]
Plain75 = Annotated[PlainText, _at_most(75)]
Plain100 = Annotated[PlainText, _at_most(100)]
Plain150 = Annotated[PlainText, _at_most(150)]
Plain2000 = Annotated[PlainText, _at_most(2000)]
Text75 = Annotated[AnyText, _at_most(75)]
Text300 = Annotated[AnyText, _at_most(300)]
Text2000 = Annotated[AnyText, _at_most(2000)]
Text3000 = Annotated[AnyText, _at_most(3000)]


ActionId = Annotated[str, Field(min_length=1, max_length=255)]
BlockId = Annotated[str, Field(min_length=1, max_length=255)]
Url = Annotated[str, Field(min_length=1, max_length=3000)]


class Confirm(_Strict):
    title: Plain100
    text: Text300
    confirm: Plain30
    deny: Plain30
    style: Literal["primary", "danger"] | None = None


class Option(_Strict):
    text: Text75
    value: str = Field(min_length=1, max_length=150)
    description: Text75 | None = None
    url: Url | None = None


class OptionGroup(_Strict):
    label: Plain75
    options: list[Option] = Field(min_length=1, max_length=100)


# --- elements ------------------------------------------------------------------------------


class _Element(_Strict):
    action_id: ActionId | None = None


class _Choice(_Element):
    confirm: Confirm | None = None
    focus_on_load: bool | None = None


class _Picker(_Choice):
    placeholder: Plain150 | None = None


class _Input(_Element):
    placeholder: Plain150 | None = None
    initial_value: str | None = None
    dispatch_action_config: dict[str, Any] | None = None
    focus_on_load: bool | None = None


class Button(_Element):
    type: Literal["button"]
    text: Plain75
    url: Url | None = None
    value: str | None = Field(default=None, max_length=2000)
    style: Literal["primary", "danger"] | None = None
    confirm: Confirm | None = None
    accessibility_label: str | None = Field(default=None, max_length=75)


class StaticSelect(_Picker):
    type: Literal["static_select"]
    options: list[Option] | None = Field(default=None, min_length=1, max_length=100)
    option_groups: list[OptionGroup] | None = Field(default=None, min_length=1, max_length=100)
    initial_option: Option | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.options is None) == (self.option_groups is None):
            raise ValueError("a static_select needs exactly one of options and option_groups")
        return self


class Overflow(_Element):
    type: Literal["overflow"]
    options: list[Option] = Field(min_length=1, max_length=5)
    confirm: Confirm | None = None


class PlainTextInput(_Input):
    type: Literal["plain_text_input"]
    multiline: bool | None = None
    min_length: int | None = Field(default=None, ge=0, le=3000)
    max_length: int | None = Field(default=None, ge=1, le=3000)


class NumberInput(_Input):
    type: Literal["number_input"]
    is_decimal_allowed: bool
    min_value: str | None = None
    max_value: str | None = None


class Checkboxes(_Choice):
    type: Literal["checkboxes"]
    options: list[Option] = Field(min_length=1, max_length=10)
    initial_options: list[Option] | None = None


class RadioButtons(_Choice):
    type: Literal["radio_buttons"]
    options: list[Option] = Field(min_length=1, max_length=10)
    initial_option: Option | None = None


class DatePicker(_Picker):
    type: Literal["datepicker"]
    initial_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class UsersSelect(_Picker):
    type: Literal["users_select"]
    initial_user: str | None = None


class ConversationsSelect(_Picker):
    type: Literal["conversations_select"]
    initial_conversation: str | None = None
    default_to_current_conversation: bool | None = None
    response_url_enabled: bool | None = None
    filter: dict[str, Any] | None = None


class ImageElement(_Strict):
    type: Literal["image"]
    image_url: Url
    alt_text: str = Field(min_length=1, max_length=2000)


ActionElement = Annotated[
    Button
    | StaticSelect
    | Overflow
    | Checkboxes
    | RadioButtons
    | DatePicker
    | UsersSelect
    | ConversationsSelect,
    Field(discriminator="type"),
]
AccessoryElement = Annotated[
    Button
    | StaticSelect
    | Overflow
    | Checkboxes
    | RadioButtons
    | DatePicker
    | UsersSelect
    | ConversationsSelect
    | ImageElement,
    Field(discriminator="type"),
]
InputElement = Annotated[
    PlainTextInput
    | NumberInput
    | StaticSelect
    | Checkboxes
    | RadioButtons
    | DatePicker
    | UsersSelect
    | ConversationsSelect,
    Field(discriminator="type"),
]
ContextElement = Annotated[ImageElement | PlainText | Mrkdwn, Field(discriminator="type")]


# --- blocks --------------------------------------------------------------------------------


class Section(_Strict):
    type: Literal["section"]
    block_id: BlockId | None = None
    text: Text3000 | None = None
    fields: list[Text2000] | None = Field(default=None, min_length=1, max_length=10)
    accessory: AccessoryElement | None = None
    expand: bool | None = None

    @model_validator(mode="after")
    def _has_content(self) -> Self:
        if self.text is None and self.fields is None:
            raise ValueError("a section needs text or fields")
        return self


class Header(_Strict):
    type: Literal["header"]
    block_id: BlockId | None = None
    text: Plain150


class Divider(_Strict):
    type: Literal["divider"]
    block_id: BlockId | None = None


class Context(_Strict):
    type: Literal["context"]
    block_id: BlockId | None = None
    elements: list[ContextElement] = Field(min_length=1, max_length=10)


class Actions(_Strict):
    type: Literal["actions"]
    block_id: BlockId | None = None
    elements: list[ActionElement] = Field(min_length=1, max_length=25)

    @model_validator(mode="after")
    def _unique_action_ids(self) -> Self:
        ids = [e.action_id for e in self.elements if e.action_id is not None]
        for action_id in ids:
            if ids.count(action_id) > 1:
                raise ValueError(f"action_id {action_id!r} is used twice in this block")
        return self


class Input(_Strict):
    type: Literal["input"]
    block_id: BlockId | None = None
    label: Plain2000
    element: InputElement
    hint: Plain2000 | None = None
    optional: bool | None = None
    dispatch_action: bool | None = None


class Image(_Strict):
    type: Literal["image"]
    block_id: BlockId | None = None
    image_url: Url
    alt_text: str = Field(min_length=1, max_length=2000)
    title: Plain2000 | None = None


class Markdown(_Strict):
    type: Literal["markdown"]
    block_id: BlockId | None = None
    text: str = Field(min_length=1, max_length=12000)


Block = Annotated[
    Section | Header | Divider | Context | Actions | Input | Image | Markdown,
    Field(discriminator="type"),
]


def _unique_block_ids(blocks: list[Block]) -> list[Block]:
    ids = [b.block_id for b in blocks if b.block_id is not None]
    for block_id in ids:
        if ids.count(block_id) > 1:
            raise ValueError(f"block_id {block_id!r} is used by more than one block")
    return blocks


MessageBlocks = Annotated[
    list[Block], Field(max_length=MAX_MESSAGE_BLOCKS), AfterValidator(_unique_block_ids)
]
ViewBlocks = Annotated[
    list[Block], Field(max_length=MAX_VIEW_BLOCKS), AfterValidator(_unique_block_ids)
]


class Modal(_Strict):
    type: Literal["modal"]
    title: Plain24
    blocks: ViewBlocks
    close: Plain24 | None = None
    submit: Plain24 | None = None
    private_metadata: str | None = Field(default=None, max_length=3000)
    callback_id: str | None = Field(default=None, max_length=255)
    clear_on_close: bool | None = None
    notify_on_close: bool | None = None
    external_id: str | None = Field(default=None, max_length=255)
    submit_disabled: bool | None = None

    @model_validator(mode="after")
    def _submit_with_inputs(self) -> Self:
        if self.submit is None and any(isinstance(b, Input) for b in self.blocks):
            raise ValueError("a modal with input blocks needs a submit button")
        return self


_MESSAGE_BLOCKS: TypeAdapter[list[Block]] = TypeAdapter(MessageBlocks)
_MODAL: TypeAdapter[Modal] = TypeAdapter(Modal)


def _type_tags() -> frozenset[str]:
    models: list[type[BaseModel]] = [
        PlainText,
        Mrkdwn,
        Button,
        StaticSelect,
        Overflow,
        PlainTextInput,
        NumberInput,
        Checkboxes,
        RadioButtons,
        DatePicker,
        UsersSelect,
        ConversationsSelect,
        ImageElement,
        Section,
        Header,
        Divider,
        Context,
        Actions,
        Input,
        Image,
        Markdown,
    ]
    return frozenset(get_args(m.model_fields["type"].annotation)[0] for m in models)


# Discriminated unions put the chosen type's tag in an error's location; Slack's json-pointers
# name only the path through the JSON, so the tags are dropped.
_TAGS = _type_tags()


def _describe(error: ValidationError, root: str) -> list[str]:
    found: list[str] = []
    for item in error.errors(include_url=False):
        path = [str(p) for p in item["loc"] if not (isinstance(p, str) and p in _TAGS)]
        path = [p for p in path if not p.startswith("function-")]
        pointer = "/".join([root, *path]) if root else "/".join(path)
        found.append(f"{_message(item)} [json-pointer:/{pointer}]")
    return found


def _message(item: ErrorDetails) -> str:
    """Slack's wording where it differs from pydantic's."""
    ctx = item.get("ctx", {})
    match item["type"]:
        case "too_long":
            return f"must have at most {ctx['max_length']} items, not {ctx['actual_length']}"
        case "too_short":
            return f"must have at least {ctx['min_length']} items"
        case "string_too_long":
            return f"must be at most {ctx['max_length']} characters, not {len(item['input'])}"
        case "string_too_short":
            return f"must be at least {ctx['min_length']} characters"
        case "extra_forbidden":
            return "is not a property of this object"
        case "union_tag_invalid":
            return f"unsupported type {ctx['tag']!r} (the emulator knows {ctx['expected_tags']})"
    return item["msg"].removeprefix("Value error, ")


def check_blocks(blocks: object) -> list[str]:
    """Slack's complaints about a message's blocks, as `invalid_blocks` lists them."""
    try:
        _MESSAGE_BLOCKS.validate_python(blocks)
    except ValidationError as error:
        return _describe(error, "blocks")
    return []


def check_view(view: object) -> list[str]:
    """Slack's complaints about a modal view."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return ["the emulator supports modal views only [json-pointer:/view/type]"]
    try:
        _MODAL.validate_python(view)
    except ValidationError as error:
        return _describe(error, "view")
    return []


# --- walkers over valid blocks (plain JSON, as stored and sent back to the bot) ----------------

_INTERACTIVE = {
    "button",
    "static_select",
    "overflow",
    "plain_text_input",
    "number_input",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "users_select",
    "conversations_select",
}


def _generated_id() -> str:
    return secrets.token_urlsafe(4)


def fill_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the blocks with the block_id and action_id Slack generates when they are absent."""
    filled: list[dict[str, Any]] = []
    for block in blocks:
        copy = dict(block)
        copy.setdefault("block_id", _generated_id())
        for key in ("elements", "accessory", "element"):
            if key not in copy:
                continue
            if isinstance(copy[key], list):
                copy[key] = [_fill_action_id(e) for e in copy[key]]
            else:
                copy[key] = _fill_action_id(copy[key])
        filled.append(copy)
    return filled


def _fill_action_id(element: dict[str, Any]) -> dict[str, Any]:
    if element.get("type") in _INTERACTIVE and "action_id" not in element:
        return {**element, "action_id": _generated_id()}
    return element


def elements_of(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every interactive element with the block_id that holds it, in reading order."""
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        candidates: list[Any] = []
        if block.get("type") == "actions":
            candidates = list(block.get("elements", []))
        elif block.get("type") == "section" and "accessory" in block:
            candidates = [block["accessory"]]
        elif block.get("type") == "input":
            candidates = [block["element"]]
        for element in candidates:
            if isinstance(element, dict) and element.get("type") in _INTERACTIVE:
                yield block_id, element


def text_of(blocks: list[dict[str, Any]]) -> str:
    """All the words of the blocks, one line per text object, to assert on in tests."""
    return "\n".join(_texts(blocks))


def _texts(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn", "markdown") and "text" in node:
            yield str(node["text"])
            return
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)
