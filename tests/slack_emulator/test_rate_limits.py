"""Slack's rate limits and injected failures: tiers as token buckets on a scalable clock, 429
with Retry-After, and slack_sdk's retry handler riding out a storm."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import EmulatorConfig, RateLimit, SlackEmulator
from sim.slack.clock import SlackClock
from sim.slack.faults import Faults, InjectedError
from sim.slack.ratelimits import RateLimiter


def test_chat_update_allows_a_burst_of_50_then_about_one_per_1_2_seconds() -> None:
    limiter = RateLimiter(EmulatorConfig())
    assert all(limiter.admit("chat.update", None, now=100.0) is None for _ in range(50))
    wait = limiter.admit("chat.update", None, now=100.0)
    assert wait == pytest.approx(1.2)
    assert limiter.admit("chat.update", None, now=101.0) is not None
    assert limiter.admit("chat.update", None, now=101.2) is None


def test_post_message_is_limited_per_channel() -> None:
    limiter = RateLimiter(EmulatorConfig())
    for _ in range(5):
        assert limiter.admit("chat.postMessage", "C0AIXTEAM", now=0.0) is None
    assert limiter.admit("chat.postMessage", "C0AIXTEAM", now=0.0) == pytest.approx(1.0)
    assert limiter.admit("chat.postMessage", "C0PRODOPS", now=0.0) is None
    assert limiter.admit("chat.postMessage", "C0AIXTEAM", now=1.0) is None


def test_overrides_and_unlimited_methods() -> None:
    limiter = RateLimiter(
        EmulatorConfig(rate_limits={"users.info": RateLimit(per_minute=1, burst=1)})
    )
    assert limiter.admit("users.info", None, now=0.0) is None
    assert limiter.admit("users.info", None, now=0.0) == pytest.approx(60.0)
    assert all(limiter.admit("upload", None, now=0.0) is None for _ in range(1000))


def test_retry_after_is_in_whole_real_seconds() -> None:
    assert SlackClock(speed=1).retry_after(1.2) == 2
    assert SlackClock(speed=60).retry_after(60.0) == 1
    assert SlackClock(speed=60).retry_after(0.01) == 1  # Slack never says 0
    assert SlackClock(speed=10).retry_after(45.0) == 5


def test_storms_cover_one_method_or_all() -> None:
    faults = Faults()
    faults.start_storm("chat.update", 30.0, now=10.0)
    assert faults.storm_left("chat.update", now=20.0) == pytest.approx(20.0)
    assert faults.storm_left("chat.postMessage", now=20.0) is None
    assert faults.storm_left("chat.update", now=40.0) is None
    faults.start_storm("*", 5.0, now=50.0)
    assert faults.storm_left("users.info", now=51.0) == pytest.approx(4.0)


def test_injected_errors_are_used_up_in_order() -> None:
    faults = Faults()
    faults.add_errors("chat.update", InjectedError("internal_error", 500), 2)
    assert faults.take_error("chat.update") == InjectedError("internal_error", 500)
    assert faults.take_error("chat.postMessage") is None
    assert faults.take_error("chat.update") is not None
    assert faults.take_error("chat.update") is None


async def test_over_the_limit_is_a_429_with_retry_after() -> None:
    config = EmulatorConfig(rate_limits={"chat.update": RateLimit(per_minute=60, burst=2)})
    async with SlackEmulator.start(config) as slack:
        client = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
        posted = await client.chat_postMessage(channel="C0AIXTEAM", text="status")
        for n in range(2):
            await client.chat_update(channel="C0AIXTEAM", ts=posted["ts"], text=f"phase {n}")
        with pytest.raises(SlackApiError) as raised:
            await client.chat_update(channel="C0AIXTEAM", ts=posted["ts"], text="phase 3")
        assert raised.value.response.status_code == 429
        assert raised.value.response["error"] == "ratelimited"
        assert raised.value.response.headers["Retry-After"] == "1"
        assert slack.calls[-1].status == 429
        assert slack.state.find_message(posted["ts"]).text == "phase 1"


async def test_retry_handler_rides_out_a_429_storm() -> None:
    # A one-minute storm on Slack's clock at 30x lasts 2 real seconds.
    async with SlackEmulator.start(EmulatorConfig(speed=30)) as slack:
        client = AsyncWebClient(
            token=slack.credentials.bot_token,
            base_url=slack.api_url,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
        )
        posted = await client.chat_postMessage(channel="C0AIXTEAM", text="phase 1 of 9")
        slack.inject_rate_limit("chat.update", seconds=60)
        started = time.monotonic()
        await client.chat_update(channel="C0AIXTEAM", ts=posted["ts"], text="finished")
        elapsed = time.monotonic() - started
        statuses = [c.status for c in slack.calls_to("chat.update")]
        assert statuses[-1] == 200
        assert 429 in statuses
        assert elapsed >= 2.0
        assert slack.state.find_message(posted["ts"]).text == "finished"


async def test_post_message_limit_counts_a_channel_however_it_is_named() -> None:
    config = EmulatorConfig(
        rate_limits={"chat.postMessage": RateLimit(per_minute=1, burst=2, per_channel=True)}
    )
    async with SlackEmulator.start(config) as slack:
        client = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
        await client.chat_postMessage(channel="C0AIXTEAM", text="1")
        await client.chat_postMessage(channel="#aix-team", text="2")
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="aix-team", text="3")
        assert raised.value.response.status_code == 429
        await client.chat_postMessage(channel="C0PRODOPS", text="elsewhere")


async def test_a_storm_on_every_method(slack: SlackEmulator, client: AsyncWebClient) -> None:
    slack.inject_rate_limit("*", seconds=60)
    with pytest.raises(SlackApiError) as raised:
        await client.users_info(user="U0ALICE01")
    assert raised.value.response.status_code == 429


async def test_injected_errors_answer_the_next_calls(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    slack.inject_error("chat.postMessage", "fatal_error", count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C0AIXTEAM", text="x")
        assert raised.value.response["error"] == "fatal_error"
    await client.chat_postMessage(channel="C0AIXTEAM", text="x")
    assert [c.ok for c in slack.calls_to("chat.postMessage")] == [False, False, True]


async def test_injected_server_errors_carry_their_status(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    slack.inject_error("chat.update", "internal_error", status=503)
    posted = await client.chat_postMessage(channel="C0AIXTEAM", text="x")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_update(channel="C0AIXTEAM", ts=posted["ts"], text="y")
    assert raised.value.response.status_code == 503
