"""Fixtures: a running emulator, a Web API client pointed at it, and a way to serve a tiny
slack_bolt app over HTTP on 127.0.0.1 so the driver has a real bot to talk to."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

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


class BotStub:
    """A stand-in bot endpoint: keeps every raw request and answers with `reply(payload)`."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str]]] = []
        self.payloads: list[dict[str, Any]] = []
        self.reply: Callable[[dict[str, Any]], web.Response] = lambda _: web.Response()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.received.append((body, dict(request.headers)))
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        payload = json.loads(form["payload"]) if "payload" in form else form
        self.payloads.append(payload)
        return self.reply(payload)


@asynccontextmanager
async def stub_bot(slack: SlackEmulator) -> AsyncIterator[BotStub]:
    """Serve a BotStub and point the emulator's deliveries at it."""
    stub = BotStub()
    app = web.Application()
    app.router.add_post("/slack/events", stub.handle)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    slack.events_url = f"http://{host}:{port}/slack/events"
    try:
        yield stub
    finally:
        await runner.cleanup()
