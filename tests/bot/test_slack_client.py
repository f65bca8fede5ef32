"""The bot's Web API client against the Slack emulator over real HTTP: 429s wait for
Retry-After, server errors back off, everything else fails at once; long texts are shared as
files in a thread."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.asker import Asker
from bot.slack_client import build_slack_client, upload_text
from bot.views.replies import render_notice
from sim.slack import EmulatorConfig, SlackEmulator

WITHIN = 20.0


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    # Slack's clock at 60x: a minute of rate limiting lasts a second.
    async with SlackEmulator.start(EmulatorConfig(speed=60)) as emulator:
        yield emulator


def statuses(slack: SlackEmulator, method: str) -> list[int]:
    return [call.status for call in slack.calls_to(method)]


async def test_a_rate_limited_call_waits_for_retry_after_and_then_goes_through(
    slack: SlackEmulator,
) -> None:
    client = build_slack_client(slack.credentials.bot_token, base_url=slack.api_url)
    slack.inject_rate_limit("chat.postMessage", seconds=60)  # one real second
    started = time.monotonic()
    posted = await asyncio.wait_for(
        client.chat_postMessage(channel="C0AIXTEAM", **render_notice("hello").as_kwargs()),
        timeout=WITHIN,
    )
    assert posted["ok"]
    waited = time.monotonic() - started
    codes = statuses(slack, "chat.postMessage")
    assert codes[0] == 429
    assert codes[-1] == 200
    assert waited >= 1.0  # Retry-After was honoured, not hammered
    assert len(codes) <= 4


async def test_a_storm_of_a_minute_of_slack_time_still_ends_with_the_message_posted(
    slack: SlackEmulator,
) -> None:
    client = build_slack_client(slack.credentials.bot_token, base_url=slack.api_url)
    slack.inject_rate_limit("*", seconds=150)  # 2.5 real seconds of 429s on every method
    posted = await asyncio.wait_for(
        client.chat_postMessage(channel="C0AIXTEAM", **render_notice("summary").as_kwargs()),
        timeout=WITHIN,
    )
    message = await slack.wait_for_message("aix-team", lambda m: m.ts == posted["ts"])
    assert "summary" in message.content


async def test_server_errors_are_retried_with_backoff(slack: SlackEmulator) -> None:
    client = build_slack_client(slack.credentials.bot_token, base_url=slack.api_url)
    slack.inject_error("chat.update", "internal_error", count=2, status=500)
    posted = await client.chat_postMessage(channel="C0AIXTEAM", text="x")
    updated = await asyncio.wait_for(
        client.chat_update(channel="C0AIXTEAM", ts=posted["ts"], text="y"), timeout=WITHIN
    )
    assert updated["ok"]
    assert statuses(slack, "chat.update") == [500, 500, 200]


async def test_other_errors_fail_at_once_without_retrying(slack: SlackEmulator) -> None:
    client = build_slack_client(slack.credentials.bot_token, base_url=slack.api_url)
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.chat_postMessage(channel="C0NOWHERE", text="x")
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_a_long_text_is_shared_as_a_file_in_the_thread(slack: SlackEmulator) -> None:
    client = build_slack_client(slack.credentials.bot_token, base_url=slack.api_url.rstrip("/"))
    parent = await client.chat_postMessage(channel="C0AIXTEAM", text="LU-17 summary")
    diff = "--- /etc/inittab.orig\n+++ /etc/inittab\n@@ -1 +1 @@\n-a\n+b\n" * 500
    uploaded = await asyncio.wait_for(
        upload_text(
            client,
            channel="C0AIXTEAM",
            thread_ts=parent["ts"],
            filename="LU-17-1-lpar01-config.diff",
            title="config.diff of lpar01 after LU-17",
            content=diff,
        ),
        timeout=WITHIN,
    )
    stored = slack.state.files[uploaded.id]
    assert stored.content == diff.encode()
    assert stored.title == "config.diff of lpar01 after LU-17"
    assert "C0AIXTEAM" in stored.channels
    shared = slack.state.thread("C0AIXTEAM", parent["ts"])
    assert any(m.ts == stored.message_ts for m in shared)


async def a_response_url(slack: SlackEmulator) -> str:
    """The response URL of a slash command delivered to an endpoint that only acks."""

    async def ack(_: web.Request) -> web.Response:
        return web.Response()

    runner = web.AppRunner(web.Application())
    runner.app.router.add_post("/slack/events", ack)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        slack.events_url = f"http://{host}:{port}/slack/events"
        delivery = await slack.slash("carol", "aix-team", "/lku", "help")
    finally:
        await runner.cleanup()
    return str(delivery.interaction.payload["response_url"])


async def test_private_answers_reuse_the_web_api_clients_connections(
    slack: SlackEmulator,
) -> None:
    response_url = await a_response_url(slack)
    opened: list[object] = []
    reused: list[object] = []

    async def on_open(_: object, __: object, params: object) -> None:
        opened.append(params)

    async def on_reuse(_: object, __: object, params: object) -> None:
        reused.append(params)

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_open)
    trace.on_connection_reuseconn.append(on_reuse)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        client = build_slack_client(
            slack.credentials.bot_token, base_url=slack.api_url, session=session
        )
        asker = Asker(
            user="U0CAROL01",
            channel="C0AIXTEAM",
            client=client,
            respond=AsyncRespond(response_url=response_url),
        )
        await client.chat_postMessage(channel="C0AIXTEAM", text="LU-17 card")
        await asker.tell("You approved LU-17.")
        await asker.tell("LU-17 is running.")
    assert len(opened) == 1  # one connection to Slack, kept open
    assert len(reused) == 2  # both answers went through it
    answers = [e.content for e in slack.state.ephemerals_for("carol")]
    assert answers[-2:] == ["You approved LU-17.", "LU-17 is running."]
