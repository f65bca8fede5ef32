"""Socket Mode, Slack's side (https://api.slack.com/apis/socket-mode).

`apps.connections.open` (with the app-level `xapp-` token) hands out a single-use WebSocket URL.
On connect the emulator sends `hello`; each delivery is an envelope (`envelope_id`, `type`,
`payload`, `accepts_response_payload`) that the app must ack with `{"envelope_id": ...}`, plus a
`payload` when the envelope accepts one, within Slack's 3 s. Deliveries go round-robin over the
open connections, as Slack spreads them over an app's connections.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from sim.slack.errors import NoBotConnected
from sim.slack.payloads import Interaction


class SocketModeServer:
    def __init__(self, app_id: str, base_url: Callable[[], str]) -> None:
        self.app_id = app_id
        self.base_url = base_url
        self.connections: list[web.WebSocketResponse] = []
        self._tickets: set[str] = set()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._turn = itertools.count()
        self._changed = asyncio.Event()

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/link/", self.handle)]

    def new_url(self) -> str:
        """A fresh single-use WebSocket URL, what apps.connections.open answers."""
        ticket = secrets.token_urlsafe(16)
        self._tickets.add(ticket)
        ws_base = self.base_url().replace("http://", "ws://", 1)
        return f"{ws_base}/link/?ticket={ticket}&app_id={self.app_id}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections.append(ws)
        self._notify()
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self.connections),
                    "debug_info": {
                        "host": "applink-emulator",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive(message.data)
        finally:
            self.connections.remove(ws)
            self._notify()
        return ws

    def _receive(self, text: str) -> None:
        try:
            ack = json.loads(text)
        except ValueError:
            return
        if not isinstance(ack, dict):
            return
        waiting = self._acks.get(str(ack.get("envelope_id")))
        if waiting is not None and not waiting.done():
            payload = ack.get("payload")
            waiting.set_result(payload if isinstance(payload, dict) else {})

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_connected(self, within: float) -> None:
        """Until at least one app connection is open."""
        try:
            async with asyncio.timeout(within):
                while not self.connections:
                    await self._changed.wait()
        except TimeoutError:
            raise NoBotConnected(
                f"No app connected over Socket Mode within {within:g} s and no events URL is set: "
                "start the bot (Socket Mode) against this emulator, or set events_url (HTTP mode)."
            ) from None

    async def send(
        self,
        interaction: Interaction,
        *,
        within: float,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> dict[str, Any] | None:
        """Deliver one envelope; the ack's payload ({} when it has none), or None on no ack."""
        if not self.connections:
            raise NoBotConnected("No Socket Mode connection is open.")
        ws = self.connections[next(self._turn) % len(self.connections)]
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": interaction.kind,
            "payload": interaction.payload,
            "accepts_response_payload": interaction.accepts_response_payload,
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason or ""
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiting
        try:
            await ws.send_json(envelope)
            async with asyncio.timeout(within):
                return await waiting
        except TimeoutError:
            return None
        finally:
            del self._acks[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected app to reconnect, as Slack does before it recycles a server."""
        for ws in list(self.connections):
            await ws.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-emulator"}}
            )

    async def close(self) -> None:
        for ws in list(self.connections):
            await ws.close()
