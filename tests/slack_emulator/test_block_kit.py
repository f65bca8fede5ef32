"""Block Kit as Slack checks it: limits answered with invalid_blocks and a json-pointer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack.blockkit import check_blocks, check_view


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(
    text: str = "Approve", action_id: str = "approve", value: str = "LU-17"
) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def _request_card() -> list[dict[str, Any]]:
    """A request card built the way the bot builds it: slack_sdk's typed blocks."""
    blocks = [
        HeaderBlock(text="LU-17: live kernel update on lpar01"),
        SectionBlock(
            text=MarkdownTextObject(text="*Requested by* <@U0CAROL01>"),
            fields=[
                MarkdownTextObject(text="*oslevel*\n7300-02-01"),
                MarkdownTextObject(text="*media*\n/mnt"),
            ],
        ),
        DividerBlock(),
        ContextBlock(
            elements=[MarkdownTextObject(text="2 approvals from @aix-approvers within 4 h")]
        ),
        ActionsBlock(
            elements=[
                ButtonElement(text="Approve", action_id="approve", value="LU-17", style="primary"),
                ButtonElement(
                    text="Reject",
                    action_id="reject",
                    value="LU-17",
                    style="danger",
                    confirm=ConfirmObject(title="Reject LU-17?", text="This ends the request."),
                ),
            ]
        ),
    ]
    return [b.to_dict() for b in blocks]


def test_a_realistic_request_card_is_accepted() -> None:
    assert check_blocks(_request_card()) == []


@pytest.mark.parametrize(
    ("blocks", "complaint"),
    [
        ([_section("x")] * 51, "must have at most 50 items, not 51 [json-pointer:/blocks]"),
        ([_section("x" * 3001)], "at most 3000 characters, not 3001 [json-pointer:/blocks/0/text]"),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "at most 150 characters, not 151 [json-pointer:/blocks/0/text]",
        ),
        (
            [{"type": "actions", "elements": [_button(text="b" * 76)]}],
            "at most 75 characters, not 76 [json-pointer:/blocks/0/elements/0/text]",
        ),
        (
            [{"type": "actions", "elements": [_button(action_id="a" * 256)]}],
            "must be at most 255 characters, not 256 [json-pointer:/blocks/0/elements/0/action_id]",
        ),
        (
            [{"type": "actions", "elements": [_button(value="1"), _button(value="2")]}],
            "action_id 'approve' is used twice in this block [json-pointer:/blocks/0]",
        ),
        (
            [{**_section("a"), "block_id": "card"}, {"type": "divider", "block_id": "card"}],
            "block_id 'card' is used by more than one block [json-pointer:/blocks]",
        ),
        (
            [{"type": "header", "text": {"type": "mrkdwn", "text": "*bold*"}}],
            "[json-pointer:/blocks/0/text/type]",
        ),
        ([{"type": "section"}], "a section needs text or fields [json-pointer:/blocks/0]"),
        ([{"type": "carousel"}], "unsupported type 'carousel'"),
        (
            [{**_section("a"), "colour": "red"}],
            "is not a property of this object [json-pointer:/blocks/0/colour]",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "must have at most 10 items, not 11 [json-pointer:/blocks/0/fields]",
        ),
    ],
)
def test_limits_are_refused_with_a_pointer(blocks: list[dict[str, Any]], complaint: str) -> None:
    problems = check_blocks(blocks)
    assert any(complaint in p for p in problems), problems


@given(st.integers(min_value=1, max_value=3100))
def test_section_text_limit_is_exactly_3000(length: int) -> None:
    assert (check_blocks([_section("x" * length)]) == []) == (length <= 3000)


@given(st.integers(min_value=0, max_value=60))
def test_block_count_limit_is_exactly_50(count: int) -> None:
    assert (check_blocks([{"type": "divider"}] * count) == []) == (count <= 50)


def test_modal_checks() -> None:
    modal = {
        "type": "modal",
        "callback_id": "reject",
        "title": {"type": "plain_text", "text": "Reject LU-17"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why?"},
                "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True},
            }
        ],
    }
    assert check_view(modal) == []
    assert any(
        "needs a submit button" in p
        for p in check_view({k: v for k, v in modal.items() if k != "submit"})
    )
    long_title = {**modal, "title": {"type": "plain_text", "text": "t" * 25}}
    assert any("[json-pointer:/view/title]" in p for p in check_view(long_title))
    assert check_view({**modal, "type": "home"}) != []


async def test_invalid_blocks_answer_carries_slack_error_shape(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0AIXTEAM", text="x", blocks=[_section("x" * 3001)])
    answer = raised.value.response.data
    assert answer["error"] == "invalid_blocks"
    assert answer["errors"] == [
        "text must be at most 3000 characters, not 3001 [json-pointer:/blocks/0/text]"
    ]
    assert answer["response_metadata"]["messages"][0].startswith("[ERROR] ")


async def test_blocks_that_are_not_a_list_are_a_format_error(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.api_call(
            "chat.postMessage", json={"channel": "C0AIXTEAM", "text": "x", "blocks": {"a": 1}}
        )
    assert raised.value.response["error"] == "invalid_blocks_format"
    with pytest.raises(SlackApiError) as raised:
        await client.api_call(
            "chat.postMessage", data={"channel": "C0AIXTEAM", "text": "x", "blocks": "[oops"}
        )
    assert raised.value.response["error"] == "invalid_blocks_format"


async def test_chat_update_is_checked_too(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C0AIXTEAM", text="card", blocks=_request_card())
    with pytest.raises(SlackApiError) as raised:
        await client.chat_update(
            channel="C0AIXTEAM", ts=posted["ts"], text="card", blocks=[{"type": "divider"}] * 51
        )
    assert raised.value.response["error"] == "invalid_blocks"
