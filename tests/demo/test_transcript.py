"""The scripted demo's transcript: each place named once, a new message whole, an edit by its
new lines only, an ephemeral message with who alone sees it, people's actions in order, and a
wait that gives up in time saying what it waited for."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo_transcript import StepTimeout, Transcript
from sim.slack import EmulatorConfig, SlackEmulator


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator.start(EmulatorConfig(speed=60)) as emulator:
        yield emulator


def _section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def test_a_conversation_reads_like_the_readme_transcript(slack: SlackEmulator) -> None:
    bot = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
    out = io.StringIO()
    with Transcript(slack, out) as transcript:
        transcript.act("carol", "/lku preview lpar002", channel="aix-team")
        await bot.chat_postEphemeral(
            channel="C0AIXTEAM", user="U0CAROL01", text="Previewing lpar002\u2026"
        )
        card = await bot.chat_postMessage(
            channel="C0AIXTEAM",
            text="LU-1",
            blocks=[
                {"type": "header", "text": {"type": "plain_text", "text": "LU-1: lpar002"}},
                _section("*0 of 2* approvals"),
            ],
        )
        await bot.chat_postMessage(channel="C0PRODOPS", text=":memo: *LU-1* requested")
        message = await transcript.until(
            lambda: slack.state.message("C0AIXTEAM", card["ts"]), within=5, what="the card"
        )
        transcript.name(message, "the request card of LU-1")
        transcript.act("alice", "clicks [Approve]", channel="aix-team")
        await bot.chat_update(
            channel="C0AIXTEAM",
            ts=card["ts"],
            text="LU-1",
            blocks=[
                {"type": "header", "text": {"type": "plain_text", "text": "LU-1: lpar002"}},
                _section("*1 of 2* approvals\n:+1: <@U0ALICE01> approved"),
            ],
        )
        await bot.chat_postMessage(channel="C0AIXTEAM", thread_ts=card["ts"], text="phase 1")
        await transcript.until(
            lambda: slack.state.thread("aix-team", card["ts"]), within=5, what="a reply"
        )

    assert out.getvalue().split("\n") == [
        "",
        "#aix-team",
        "carol   /lku preview lpar002",
        "lkubot  (only carol sees this) Previewing lpar002\u2026",
        "lkubot  LU-1: lpar002",
        "        0 of 2 approvals",
        "",
        "#prod-ops",
        "lkubot  \U0001f4dd LU-1 requested",
        "",
        "#aix-team",
        "alice   clicks [Approve]",
        "lkubot  edits the request card of LU-1:",
        "          1 of 2 approvals",
        "          \U0001f44d @alice approved",
        "",
        "#aix-team, thread of LU-1: lpar002",
        "lkubot  phase 1",
        "",
    ]


async def test_an_edit_that_adds_nothing_new_is_not_written(slack: SlackEmulator) -> None:
    bot = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
    out = io.StringIO()
    with Transcript(slack, out) as transcript:
        posted = await bot.chat_postMessage(channel="C0AIXTEAM", text="a\nb\nc")
        transcript.catch_up()
        await bot.chat_update(channel="C0AIXTEAM", ts=posted["ts"], text="a\nc")
        transcript.catch_up()
        await bot.chat_update(channel="C0AIXTEAM", ts=posted["ts"], text="a\nc\nd")
    assert out.getvalue().split("\n")[2:] == [
        "lkubot  a",
        "        b",
        "        c",
        'lkubot  edits "a":',
        "          d",
        "",
    ]


async def test_a_wait_gives_up_in_time_naming_what_it_waited_for(slack: SlackEmulator) -> None:
    out = io.StringIO()
    with Transcript(slack, out) as transcript:
        started = time.monotonic()
        with pytest.raises(StepTimeout, match=r"^the card of LU-9 did not happen within 0.3 s$"):
            # Generous on purpose: a wait that ignored its bound would run into this one.
            async with asyncio.timeout(10):
                await transcript.until(lambda: None, within=0.3, what="the card of LU-9")
        assert time.monotonic() - started >= 0.3
