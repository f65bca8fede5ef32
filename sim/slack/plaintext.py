"""Messages as a person reads them, in plain text: for transcripts and terminal output.

The browser page draws Block Kit as HTML (`sim.slack.web.markup`); this draws the same blocks
as lines of text, the way the README's sample transcript writes a channel:

- mentions by name (`@carol`, `#prod-ops`, `@aix-approvers`), dates by their fallback text,
  links by their label, emoji shortcodes as the pictures the page shows, Slack's three
  entities decoded, and the bold, italic and strike markers dropped; `code` keeps its
  backticks, a code block its lines;
- a header or a section's text line by line, a section's fields two to a line, a context on
  one line, buttons as `[Approve] [Reject]` and a select or menu as `[Evidence… ▾]`.

Nothing is summarised away: every text object of the message appears, in order.
"""

from __future__ import annotations

import re
from typing import Any

from sim.slack.web.emoji import EMOJI
from sim.slack.web.mrkdwn import _EMOJI, _STYLES, _TOKEN, Names, _decode

Json = dict[str, Any]

FIELD_WIDTH = 44
"""Characters of the left field before the right one starts, like Slack's two columns."""

# The page's own patterns for mentions, emoji, entities and styles, so the page and the text
# cannot read one message two ways; code spans and blocks are split off first, as there.
_CODE = re.compile(r"(```[\s\S]*?```|`[^`\n]+`)")
_MARKERS = [pattern for pattern, _ in _STYLES]


def plain_mrkdwn(text: str, names: Names) -> str:
    """A mrkdwn text as the words a reader sees."""
    pieces = _CODE.split(text)
    shown = []
    for index, piece in enumerate(pieces):
        if index % 2:
            # Code keeps its characters; a code block loses only its fences.
            body = piece.strip("`").strip("\n") if piece.startswith("```") else piece
            shown.append(_decode(body))
        else:
            shown.append(_prose(piece, names))
    return "".join(shown)


def plain_text(text: Json | None, names: Names) -> str:
    """A text object (plain_text or mrkdwn); empty for None."""
    if not text:
        return ""
    words = str(text.get("text", ""))
    if text.get("type") == "mrkdwn":
        return plain_mrkdwn(words, names)
    return _emoji(words) if text.get("emoji", True) is not False else words


def plain_message(text: str, blocks: list[Json], names: Names) -> list[str]:
    """A message's lines: its blocks, or its text when it has none (as Slack shows it)."""
    if not blocks:
        return plain_mrkdwn(text, names).split("\n")
    lines: list[str] = []
    for block in blocks:
        lines.extend(plain_block(block, names))
    return lines


def plain_block(block: Json, names: Names) -> list[str]:
    """One block's lines; a divider has none."""
    kind = block.get("type")
    if kind in ("header", "markdown"):
        return plain_text(block.get("text"), names).split("\n")
    if kind == "section":
        return _section(block, names)
    if kind == "context":
        parts = [_context_part(element, names) for element in block.get("elements", [])]
        return [" ".join(part for part in parts if part)]
    if kind == "actions":
        return [" ".join(plain_element(e, names) for e in block.get("elements", []))]
    if kind == "input":
        label = plain_text(block.get("label"), names)
        return [f"{label}: {plain_element(block.get('element') or {}, names)}"]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "divider":
        return []
    return [f"[a {kind} block]"]


def plain_element(element: Json, names: Names) -> str:
    """An interactive element as its label in brackets."""
    kind = element.get("type")
    if kind == "button":
        return f"[{plain_text(element.get('text'), names)}]"
    if kind == "overflow":
        return "[\u22ef]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    placeholder = plain_text(element.get("placeholder"), names) or str(kind)
    return f"[{placeholder} \u25be]"


def plain_confirm(confirm: Json, names: Names) -> str:
    """A confirmation dialog: its title, its question and its two buttons."""
    title = plain_text(confirm.get("title"), names)
    question = plain_text(confirm.get("text"), names)
    yes = plain_text(confirm.get("confirm"), names) or "Yes"
    no = plain_text(confirm.get("deny"), names) or "Cancel"
    return f'"{title} {question}"  [{yes}] [{no}]'


def _section(block: Json, names: Names) -> list[str]:
    lines = plain_text(block.get("text"), names).split("\n") if block.get("text") else []
    fields = [" ".join(plain_text(f, names).split("\n")) for f in block.get("fields") or []]
    for index in range(0, len(fields), 2):
        left, right = fields[index], fields[index + 1] if index + 1 < len(fields) else ""
        lines.append(f"{left:<{FIELD_WIDTH}}   {right}" if right else left)
    accessory = block.get("accessory")
    if accessory:
        shown = plain_element(accessory, names)
        lines = [f"{lines[0]}   {shown}", *lines[1:]] if lines else [shown]
    return lines


def _context_part(element: Json, names: Names) -> str:
    if element.get("type") == "image":
        return f"[image: {element.get('alt_text', '')}]"
    return " ".join(plain_text(element, names).split("\n"))


def _prose(text: str, names: Names) -> str:
    text = _emoji(_TOKEN.sub(lambda m: _token(m.group(1), names), text))
    for marker in _MARKERS:
        text = marker.sub(r"\1", text)
    return _decode(text)


def _token(body: str, names: Names) -> str:
    """One `<...>` sequence: a mention, a date or a link, as its words."""
    target, _, label = body.partition("|")
    if target.startswith("@"):
        return "@" + (names.users.get(target[1:]) or label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + (names.channels.get(target[1:]) or label.lstrip("#") or target[1:])
    if target.startswith("!subteam^"):
        group = target.removeprefix("!subteam^")
        return "@" + (names.usergroups.get(group) or label.lstrip("@") or group)
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return label or f"@{target[1:]}"
    return label or target


def _emoji(text: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
