"""Small builders of the blocks every view uses, on top of `slack_sdk.models.blocks`, that keep
text within Slack's limits."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.views.text import clip

MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_TEXT = 2000
MAX_HEADER_TEXT = 150


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=clip(text, MAX_HEADER_TEXT))


def section(text: str, *, block_id: str | None = None) -> SectionBlock:
    """A mrkdwn section; text beyond Slack's 3000 characters is cut with an ellipsis."""
    return SectionBlock(
        text=MarkdownTextObject(text=clip(text, MAX_SECTION_TEXT)), block_id=block_id
    )


def fields(pairs: Sequence[tuple[str, str]]) -> SectionBlock:
    """A section of up to 10 labelled fields (`*label*` over its value)."""
    return SectionBlock(
        fields=[
            MarkdownTextObject(text=clip(f"*{label}*\n{value}", MAX_FIELD_TEXT))
            for label, value in pairs[:10]
        ]
    )


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, MAX_CONTEXT_TEXT))])


def confirmation(
    title: str, text: str, yes: str, no: str, style: str | None = None
) -> ConfirmObject:
    """Slack's confirm dialog on a button: `text` is mrkdwn, everything is cut to its limit."""
    return ConfirmObject(
        title=clip(title, 100),
        text=MarkdownTextObject(text=clip(text, 300)),
        confirm=clip(yes, 30),
        deny=clip(no, 30),
        style=style,
    )


def divider() -> DividerBlock:
    return DividerBlock()


def line_sections(lines: Sequence[str], max_blocks: int, more: str = "more") -> list[SectionBlock]:
    """`lines` packed into as few sections as fit Slack's text limit, at most `max_blocks`;
    when they do not all fit, the last section ends with "… and N more"."""
    if max_blocks < 1 or not lines:
        return []
    chunks: list[list[str]] = [[]]
    sizes = [0]
    for position, line in enumerate(lines):
        line = clip(line, MAX_SECTION_TEXT - 100)
        if sizes[-1] + len(line) + 1 > MAX_SECTION_TEXT - 100:
            if len(chunks) == max_blocks:
                chunks[-1].append(f"… and {len(lines) - position} {more}")
                break
            chunks.append([])
            sizes.append(0)
        chunks[-1].append(line)
        sizes[-1] += len(line) + 1
    return [section("\n".join(chunk)) for chunk in chunks]
