"""The Web API over HTTP: `POST|GET /api/<method>` like https://slack.com/api/<method>.

Arguments come from the query string and a form or JSON body, the token from the
`Authorization: Bearer` header or a `token` argument. Then, in Slack's order: authentication,
injected faults, the method's rate limit (HTTP 429 with Retry-After), scopes, the method.
Every call is recorded with what it was answered, failures included.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import BodyPartReader, web
from pydantic import BaseModel

from sim.slack.clock import SlackClock
from sim.slack.config import Credentials
from sim.slack.errors import SlackApiError
from sim.slack.faults import Faults
from sim.slack.methods import METHODS, Args, Methods
from sim.slack.ratelimits import RateLimiter
from sim.slack.workspace import Change, Workspace


class Call(BaseModel):
    """One HTTP call the bot made to Slack, and Slack's answer."""

    method: str
    args: dict[str, Any]
    at: datetime
    status: int
    response: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return str(error) if error is not None else None


class WebApi:
    def __init__(
        self,
        *,
        methods: Methods,
        workspace: Workspace,
        credentials: Credentials,
        faults: Faults,
        limiter: RateLimiter,
        clock: SlackClock,
        calls: list[Call],
        wall_clock: Callable[[], datetime],
    ) -> None:
        self.methods = methods
        self.workspace = workspace
        self.credentials = credentials
        self.faults = faults
        self.limiter = limiter
        self.clock = clock
        self.calls = calls
        self.wall_clock = wall_clock
        self.watchers: list[Callable[[Call], None]] = []

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/api/{method}", self.handle_method),
            web.post("/upload/v1/{file_id}", self.handle_upload),
        ]

    async def handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            values, header_token = await _read_arguments(request)
        except SlackApiError as error:
            return self._answer(method, {}, 200, error.body())
        token = header_token or values.pop("token", None)
        values.pop("token", None)
        status, body, headers = self._dispatch(method, token, values)
        return self._answer(method, values, status, body, headers)

    def _dispatch(
        self, method: str, token: str | None, values: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if token is None:
            return 200, SlackApiError("not_authed").body(), {}
        token_kind = self._token_kind(token)
        if token_kind is None:
            return 200, SlackApiError("invalid_auth").body(), {}
        now = self.clock.now()
        storm = self.faults.storm_left(method, now)
        if storm is not None:
            return self._rate_limited(storm)
        injected = self.faults.take_error(method)
        if injected is not None:
            return injected.status, SlackApiError(injected.error).body(), {}
        if method in METHODS:
            wait = self.limiter.admit(method, self._channel_key(values.get("channel")), now)
            if wait is not None:
                return self._rate_limited(wait)
        try:
            return 200, self.methods.call(method, Args(values), token_kind), {}
        except SlackApiError as error:
            return (404 if error.error == "unknown_method" else 200), error.body(), {}

    def _channel_key(self, ref: object) -> str | None:
        """The channel a per-channel limit counts against, however the call named it."""
        if not isinstance(ref, str):
            return None
        found = self.workspace.find_channel(ref)
        return found.id if found is not None else ref

    def _token_kind(self, token: str) -> str | None:
        if token == self.credentials.bot_token:
            return "bot"
        if token == self.credentials.app_token:
            return "app"
        return None

    def _rate_limited(self, slack_seconds: float) -> tuple[int, dict[str, Any], dict[str, str]]:
        retry_after = self.clock.retry_after(slack_seconds)
        return 429, SlackApiError("ratelimited").body(), {"Retry-After": str(retry_after)}

    def _answer(
        self,
        method: str,
        values: dict[str, Any],
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self.record(method, values, status, body)
        return web.json_response(body, status=status, headers=headers)

    def record(self, method: str, args: dict[str, Any], status: int, body: dict[str, Any]) -> None:
        call = Call(method=method, args=args, at=self.wall_clock(), status=status, response=body)
        self.calls.append(call)
        for watcher in list(self.watchers):
            watcher(call)
        self.workspace.feed.publish(Change(kind="call_recorded"))

    async def handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL files.getUploadURLExternal hands out: the file's bytes, raw or as
        multipart form data, as Slack's upload endpoint accepts them."""
        file_id = request.match_info["file_id"]
        stored = self.workspace.files.get(file_id)
        if stored is None:
            self.record("upload", {"file_id": file_id}, 404, {"ok": False})
            return web.Response(status=404, text="file_not_found")
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            part = await reader.next()
            content = await part.read() if isinstance(part, BodyPartReader) else b""
        else:
            content = await request.read()
        stored.content = bytes(content)
        self.record("upload", {"file_id": file_id, "length": len(content)}, 200, {"ok": True})
        return web.Response(text=f"OK - {len(content)}")


async def _read_arguments(request: web.Request) -> tuple[dict[str, Any], str | None]:
    values: dict[str, Any] = dict(request.query)
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise SlackApiError("invalid_json") from None
            if not isinstance(body, dict):
                raise SlackApiError("invalid_json")
            values.update(body)
        else:
            form = await request.post()
            values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return values, token
