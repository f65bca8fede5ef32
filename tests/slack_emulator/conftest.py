"""Fixtures: a running emulator, a Web API client pointed at it, and a way to serve a tiny
slack_bolt app over HTTP on 127.0.0.1 so the driver has a real bot to talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import EmulatorConfig, SlackEmulator


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    # Slack's clock at 60x: a minute of rate limiting lasts a second.
    async with SlackEmulator.start(EmulatorConfig(speed=60)) as emulator:
        yield emulator


@pytest.fixture
def client(slack: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)


def bolt_app(slack: SlackEmulator) -> AsyncApp:
    """A bolt app wired to the emulator the way lkubot's factory wires it to Slack."""
    return AsyncApp(
        client=AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url),
        signing_secret=slack.credentials.signing_secret,
    )


@asynccontextmanager
async def served(app: AsyncApp) -> AsyncIterator[str]:
    """Serve the app's /slack/events on an ephemeral port; yields the events URL."""
    runner = web.AppRunner(app.web_app(path="/slack/events"), shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/slack/events"
    finally:
        await runner.cleanup()
