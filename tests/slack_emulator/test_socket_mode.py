"""Socket Mode: slack_sdk's SocketModeClient and bolt's AsyncSocketModeHandler connect through
apps.connections.open, get hello, receive envelopes and ack them."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import EmulatorConfig, SlackEmulator
from sim.slack.errors import NoBotConnected

from .conftest import bolt_app


async def test_hello_then_envelopes_acked_by_the_sdk_client(slack: SlackEmulator) -> None:
    raw: list[dict[str, Any]] = []
    requests: list[SocketModeRequest] = []

    async def keep_raw(
        client: AsyncBaseSocketModeClient, message: dict[str, Any], raw_message: str | None
    ) -> None:
        raw.append(message)

    async def answer(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        requests.append(request)
        response = SocketModeResponse(
            envelope_id=request.envelope_id, payload={"text": "Working on it."}
        )
        await client.send_socket_mode_response(response)

    client = SocketModeClient(
        app_token=slack.credentials.app_token,
        web_client=AsyncWebClient(base_url=slack.api_url),
    )
    client.message_listeners.append(keep_raw)
    client.socket_mode_request_listeners.append(answer)
    await client.connect()  # type: ignore[no-untyped-call]
    try:
        await slack.wait_for_socket()
        delivery = await slack.slash("dana", "aix-team", "/lku", "freeze on month end")
    finally:
        await client.close()  # type: ignore[no-untyped-call]
    assert raw[0]["type"] == "hello"
    assert raw[0]["connection_info"]["app_id"] == slack.config.app_id
    [request] = requests
    assert request.type == "slash_commands"
    assert request.accepts_response_payload is True
    assert request.payload["text"] == "freeze on month end"
    assert request.payload["user_id"] == "U0ADMIN01"
    assert delivery.via == "socket"
    assert delivery.acked
    [reply] = slack.state.ephemerals_for("dana")
    assert reply.content == "Working on it."
    assert [c.method for c in slack.calls] == ["apps.connections.open"]


async def test_bolt_socket_mode_round_trip(slack: SlackEmulator) -> None:
    app = bolt_app(slack)
    clicks: list[dict[str, Any]] = []

    @app.command("/lku")
    async def lku(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack("Previewing...")
        await client.chat_postMessage(
            channel=command["channel_id"],
            text="LU-18 requested",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Approve"},
                            "action_id": "approve",
                            "value": "LU-18",
                        }
                    ],
                }
            ],
        )

    @app.action("approve")
    async def approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        clicks.append(body)

    handler = AsyncSocketModeHandler(app, slack.credentials.app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        await slack.wait_for_socket()
        await slack.slash("carol", "aix-team", "/lku", "preview lpar02")
        card = await slack.wait_for_message("aix-team", lambda m: "LU-18" in m.text)
        click = await slack.click("alice", card, "approve")
        await slack.wait_for(lambda: clicks)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    assert click.acked
    assert click.via == "socket"
    assert clicks[0]["actions"][0]["value"] == "LU-18"
    assert slack.state.ephemerals_for("carol")[0].content == "Previewing..."


async def test_disconnect_makes_the_client_reconnect(slack: SlackEmulator) -> None:
    client = SocketModeClient(
        app_token=slack.credentials.app_token, web_client=AsyncWebClient(base_url=slack.api_url)
    )
    await client.connect()  # type: ignore[no-untyped-call]
    try:
        await slack.wait_for_socket()
        await slack.disconnect_socket()
        await slack.wait_for(lambda: len(slack.calls_to("apps.connections.open")) == 2)
        await slack.wait_for_socket()
    finally:
        await client.close()  # type: ignore[no-untyped-call]
    assert all(c.ok for c in slack.calls_to("apps.connections.open"))


async def test_a_websocket_url_works_once(slack: SlackEmulator) -> None:
    client = AsyncWebClient(base_url=slack.api_url)
    url = (await client.apps_connections_open(app_token=slack.credentials.app_token))["url"]
    assert url.startswith("ws://127.0.0.1:")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json(timeout=2)
            assert hello["type"] == "hello"
        async with session.get(url.replace("ws://", "http://")) as again:
            assert again.status == 401


async def test_nowhere_to_deliver_is_a_clear_error() -> None:
    async with SlackEmulator.start(EmulatorConfig(ack_timeout=0.2)) as slack:
        with pytest.raises(NoBotConnected, match="set events_url"):
            await slack.slash("carol", "aix-team", "/lku", "list")
