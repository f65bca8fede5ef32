"""Clicking as a user would: finding the element, who may click what, selects, and waiting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import EmulatorConfig, EmulatorError, SlackEmulator, WaitTimeout
from sim.slack.errors import ElementNotFound, UnknownChannel, UnknownMessage, UnknownUser

from .conftest import stub_bot


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value.title()}, "value": value}


CARD: list[dict[str, Any]] = [
    {
        "type": "section",
        "block_id": "summary",
        "text": {"type": "mrkdwn", "text": "LU-17 on lpar01"},
        "accessory": {
            "type": "overflow",
            "action_id": "more",
            "options": [_option("status"), _option("history")],
        },
    },
    {
        "type": "actions",
        "block_id": "votes",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Approve"},
                "action_id": "vote",
                "value": "approve",
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Reject"},
                "action_id": "vote_reject",
                "value": "reject",
                "confirm": {
                    "title": {"type": "plain_text", "text": "Reject?"},
                    "text": {"type": "plain_text", "text": "This ends LU-17."},
                    "confirm": {"type": "plain_text", "text": "Reject"},
                    "deny": {"type": "plain_text", "text": "Keep"},
                },
            },
            {
                "type": "static_select",
                "action_id": "wave",
                "option_groups": [
                    {
                        "label": {"type": "plain_text", "text": "Waves"},
                        "options": [_option("canary")],
                    }
                ],
            },
        ],
    },
    {
        "type": "actions",
        "block_id": "again",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Approve too"},
                "action_id": "vote",
                "value": "approve-too",
            }
        ],
    },
]


async def _card(client: AsyncWebClient, channel: str = "C0AIXTEAM") -> str:
    return str((await client.chat_postMessage(channel=channel, text="LU-17", blocks=CARD))["ts"])


async def test_buttons_are_found_by_action_id_and_value(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    ts = await _card(client)
    async with stub_bot(slack) as bot:
        await slack.click("alice", ts, "vote", value="approve-too")
        await slack.click("bob", ts, "vote_reject")  # its confirm dialog is accepted
    approve, reject = (p["actions"][0] for p in bot.payloads)
    assert (approve["block_id"], approve["value"]) == ("again", "approve-too")
    assert approve["text"]["text"] == "Approve too"
    assert (reject["action_id"], reject["value"]) == ("vote_reject", "reject")
    assert [p["user"]["id"] for p in bot.payloads] == ["U0ALICE01", "U0BOB0001"]


async def test_ambiguous_or_missing_elements_are_explained(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    ts = await _card(client)
    with pytest.raises(ElementNotFound, match="2 elements have action_id 'vote'"):
        await slack.click("alice", ts, "vote")
    with pytest.raises(
        ElementNotFound, match="the clickable elements are: more=None, vote='approve'"
    ):
        await slack.click("alice", ts, "launch")
    with pytest.raises(UnknownMessage):
        await slack.click("alice", "1.000001", "vote")


async def test_selects_and_overflows_send_the_chosen_option(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    ts = await _card(client)
    async with stub_bot(slack) as bot:
        await slack.click("dana", ts, "more", value="history")
        await slack.click("dana", ts, "wave", value="canary")
    overflow, select = (p["actions"][0] for p in bot.payloads)
    assert overflow["type"] == "overflow"
    assert overflow["selected_option"] == _option("history")
    assert overflow["block_id"] == "summary"
    assert select["selected_option"]["value"] == "canary"
    with pytest.raises(ElementNotFound, match="needs a value"):
        await slack.click("dana", ts, "wave")
    with pytest.raises(ElementNotFound, match="no option 'tomorrow'"):
        await slack.click("dana", ts, "wave", value="tomorrow")


async def test_users_only_act_where_they_can_see() -> None:
    config = EmulatorConfig.model_validate(
        {
            "channels": [
                {"id": "C0AIXTEAM", "name": "aix-team"},
                {
                    "id": "C0PRIVATE",
                    "name": "aix-core",
                    "is_private": True,
                    "members": ["U0ALICE01"],
                },
            ]
        }
    )
    async with SlackEmulator.start(config) as slack:
        client = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
        hidden = await _card(client, "C0PRIVATE")
        with pytest.raises(EmulatorError, match="bob is not in C0PRIVATE"):
            await slack.click("bob", hidden, "vote_reject")
        with pytest.raises(EmulatorError, match="oscar is not in #aix-core"):
            await slack.slash("oscar", "aix-core", "/lku", "list")
        secret = await client.chat_postEphemeral(
            channel="C0AIXTEAM", user="U0ALICE01", text="x", blocks=CARD
        )
        with pytest.raises(EmulatorError, match="Only U0ALICE01 sees"):
            await slack.click("bob", secret["message_ts"], "vote_reject")
        with pytest.raises(UnknownUser, match="No user 'mallory'"):
            await slack.slash("mallory", "aix-team", "/lku", "list")
        with pytest.raises(UnknownChannel, match="#aix-team"):
            await slack.slash("alice", "general", "/lku", "list")
        with pytest.raises(EmulatorError, match="starts with '/'"):
            await slack.slash("alice", "aix-team", "lku", "list")


async def test_waiting_for_a_thread_reply(slack: SlackEmulator, client: AsyncWebClient) -> None:
    card = await client.chat_postMessage(channel="C0AIXTEAM", text="LU-17")

    async def post_later() -> None:
        await client.chat_postMessage(
            channel="C0AIXTEAM", text="phase 1 of 9", thread_ts=card["ts"]
        )
        await client.chat_postMessage(
            channel="C0AIXTEAM", text="phase 2 of 9", thread_ts=card["ts"]
        )

    waiting = slack.wait_for_message(
        "aix-team", lambda m: "phase 2" in m.text, thread_ts=card["ts"]
    )
    _, reply = await asyncio.gather(post_later(), waiting)
    assert reply.thread_ts == card["ts"]
    assert reply.text == "phase 2 of 9"


async def test_a_wait_that_times_out_says_what_it_saw(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="C0AIXTEAM", text="LU-17 requested")
    with pytest.raises(WaitTimeout, match=r"in #aix-team\. It shows: \[\d+\.\d+\] LU-17 requested"):
        await slack.wait_for_message("aix-team", lambda m: "finished" in m.text, within=0.1)
    with pytest.raises(WaitTimeout, match="carol sees: nothing"):
        await slack.wait_for_ephemeral("carol", within=0.05)


async def test_messages_to_a_user_id_open_a_direct_conversation(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    answer = await client.chat_postMessage(channel="U0ALICE01", text="LU-17 needs your vote")
    assert answer["channel"] == "D0ALICE01"
    info = await client.conversations_info(channel="D0ALICE01")
    assert info["channel"]["is_im"] is True
    assert slack.state.channel_messages("D0ALICE01")[0].text == "LU-17 needs your vote"


@pytest.mark.parametrize(
    ("seed", "complaint"),
    [
        (
            {"users": [{"id": "U0A", "name": "a", "real_name": "A"}] * 2},
            "user id 'U0A' appears twice",
        ),
        (
            {"usergroups": [{"id": "S0X", "handle": "x", "name": "X", "members": ["U0NOBODY"]}]},
            "lists U0NOBODY, not a user",
        ),
        ({"channels": [{"id": "X0BAD", "name": "bad"}]}, "String should match pattern"),
        ({"speed": 0}, "greater than 0"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_config_errors_name_the_problem(seed: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        EmulatorConfig.model_validate(seed)
