"""The page's routes on the emulator's own aiohttp app: the page at `/`, its two static files,
uploaded files, a JSON API, and a stream of changes (Server-Sent Events).

    GET  /                                            the page (index.html)
    GET  /page/static/page.js | page.css
    GET  /page/files/{file_id}                        an uploaded file's content
    GET  /page/api/workspace                          WorkspaceSnapshot
    GET  /page/api/channels?user=U                    Sidebar
    GET  /page/api/channels/{channel}?user=U          ChannelSnapshot
    GET  /page/api/channels/{channel}/threads/{ts}?user=U   ThreadSnapshot
    GET  /page/api/views?user=U                       ViewsSnapshot
    GET  /page/api/events?user=U                      text/event-stream of Change
    POST /page/api/slash     SlashRequest    -> Outcome
    POST /page/api/messages  MessageRequest  -> Outcome
    POST /page/api/clicks    ClickRequest    -> Outcome
    POST /page/api/views/{view_id}/submit  SubmitRequest -> Outcome
    POST /page/api/views/{view_id}/close   CloseRequest  -> Outcome

POSTs take JSON only, so a page on another origin cannot send them without a CORS preflight
that this server never grants. Errors answer `{"ok": false, "message": ...}` with 400 (a
request the emulator refuses) or 404 (nothing by that name).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from importlib.resources import files
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from sim.slack.driver import Delivery
from sim.slack.errors import (
    EmulatorError,
    UnknownChannel,
    UnknownMessage,
    UnknownUser,
    UnknownView,
)
from sim.slack.web.actions import (
    ClickRequest,
    CloseRequest,
    MessageRequest,
    Outcome,
    SlashRequest,
    SubmitRequest,
    outcome_of,
)
from sim.slack.web.options import PageOptions
from sim.slack.web.snapshots import FILES_PATH, Snapshots
from sim.slack.workspace import Change

if TYPE_CHECKING:
    from sim.slack.emulator import SlackEmulator

R = TypeVar("R", bound=BaseModel)

HEARTBEAT_SECONDS = 15.0
"""How often an idle event stream sends a comment, so a closed tab is noticed and dropped."""

_STATIC = {
    "page.js": "text/javascript",
    "page.css": "text/css",
}
_NOT_FOUND = (UnknownUser, UnknownChannel, UnknownMessage, UnknownView)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PageServer:
    """Serves the page for one emulator; mounted by `SlackEmulator.start(page=...)`."""

    def __init__(self, emulator: SlackEmulator, options: PageOptions) -> None:
        self.emulator = emulator
        self.options = options
        self.workspace = emulator.state
        self.snapshots = Snapshots(emulator.state)
        static = files("sim.slack.web") / "static"
        self._index = (static / "index.html").read_bytes()
        self._assets = {name: (static / name).read_bytes() for name in _STATIC}
        self._streams: set[asyncio.Task[object]] = set()
        # Refuse a misnamed default now rather than on the first page load.
        self.workspace.channel(options.default_channel)
        self.workspace.user(options.default_user)

    def routes(self) -> list[web.RouteDef]:
        api = "/page/api"
        return [
            web.get("/", self.index),
            web.get("/page/static/{name}", self.asset),
            web.get(FILES_PATH + "/{file_id}", self.file),
            web.get(f"{api}/workspace", _guarded(self.workspace_state)),
            web.get(f"{api}/channels", _guarded(self.sidebar)),
            web.get(f"{api}/channels/{{channel}}", _guarded(self.channel)),
            web.get(f"{api}/channels/{{channel}}/threads/{{ts}}", _guarded(self.thread)),
            web.get(f"{api}/views", _guarded(self.views)),
            web.get(f"{api}/events", _guarded(self.events)),
            web.post(f"{api}/slash", _guarded(self.slash)),
            web.post(f"{api}/messages", _guarded(self.message)),
            web.post(f"{api}/clicks", _guarded(self.click)),
            web.post(f"{api}/views/{{view_id}}/submit", _guarded(self.submit)),
            web.post(f"{api}/views/{{view_id}}/close", _guarded(self.close_view)),
        ]

    async def close(self, app: web.Application) -> None:
        """Ends the event streams so the server can stop (an `on_shutdown` hook)."""
        for task in list(self._streams):
            task.cancel()
        if self._streams:
            await asyncio.wait(list(self._streams), timeout=2.0)

    # --- the page and its files --------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(body=self._index, content_type="text/html", charset="utf-8")

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self._assets:
            raise web.HTTPNotFound(text=f"The page has no file {name!r}.")
        return web.Response(body=self._assets[name], content_type=_STATIC[name], charset="utf-8")

    async def file(self, request: web.Request) -> web.Response:
        shared = self.workspace.files.get(request.match_info["file_id"])
        if shared is None or shared.content is None:
            raise web.HTTPNotFound(text="No uploaded file by that id.")
        # Served as text so that a browser shows it and never runs it, whatever its name.
        return web.Response(
            body=shared.content,
            content_type="text/plain",
            charset="utf-8",
            headers={
                "Content-Disposition": f'inline; filename="{_ascii_name(shared.name)}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    # --- reading -------------------------------------------------------------------------

    async def workspace_state(self, request: web.Request) -> web.Response:
        return _json(
            self.snapshots.workspace_snapshot(
                self.options.completions, self.options.default_channel, self.options.default_user
            )
        )

    async def sidebar(self, request: web.Request) -> web.Response:
        return _json(self.snapshots.sidebar(self._user(request)))

    async def channel(self, request: web.Request) -> web.Response:
        return _json(
            self.snapshots.channel(
                request.match_info["channel"],
                self._user(request),
                limit=self.options.history_limit,
            )
        )

    async def thread(self, request: web.Request) -> web.Response:
        return _json(
            self.snapshots.thread(
                request.match_info["channel"], request.match_info["ts"], self._user(request)
            )
        )

    async def views(self, request: web.Request) -> web.Response:
        return _json(self.snapshots.views(self._user(request)))

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Every change the user may see, as it happens; `hello` first, so that a page that
        reconnects knows to read everything again."""
        user = self.workspace.user(self._user(request)).id
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        task = asyncio.current_task()
        assert task is not None
        self._streams.add(task)
        try:
            with self.workspace.feed.subscribe() as changes:
                await response.write(b"event: hello\ndata: {}\n\n")
                while True:
                    try:
                        async with asyncio.timeout(HEARTBEAT_SECONDS):
                            change = await changes.get()
                    except TimeoutError:
                        await response.write(b": still here\n\n")
                        continue
                    if _visible_to(change, user):
                        data = change.model_dump_json(exclude_none=True)
                        await response.write(f"event: change\ndata: {data}\n\n".encode())
        except ConnectionResetError:
            return response  # the tab went away
        finally:
            self._streams.discard(task)

    # --- acting as the user ----------------------------------------------------------------

    async def slash(self, request: web.Request) -> web.Response:
        asked = await _read(request, SlashRequest)
        known = self.options.completions.commands
        if asked.command not in known:
            commands = ", ".join(sorted(known))
            raise EmulatorError(
                f"{asked.command} is not a valid command: the app registered {commands}."
            )
        delivery = await self.emulator.slash(asked.user, asked.channel, asked.command, asked.text)
        return _json(self._outcome(delivery))

    async def message(self, request: web.Request) -> web.Response:
        asked = await _read(request, MessageRequest)
        person = self.workspace.user(asked.user)
        place = self.workspace.channel(asked.channel)
        if person.id not in place.members:
            raise EmulatorError(f"{person.name} is not in #{place.name}, so cannot write there.")
        if asked.thread_ts is not None:
            parent = self.workspace.message(place.id, asked.thread_ts)
            if parent is None or parent.deleted or parent.is_reply:
                raise EmulatorError(f"No message {asked.thread_ts} in #{place.name} to reply to.")
        self.workspace.post(
            place.id, user=person.id, text=asked.text, blocks=[], thread_ts=asked.thread_ts
        )
        return _json(Outcome(ok=True))

    async def click(self, request: web.Request) -> web.Response:
        asked = await _read(request, ClickRequest)
        delivery = await self.emulator.click(asked.user, asked.source, asked.action_id, asked.value)
        return _json(self._outcome(delivery))

    async def submit(self, request: web.Request) -> web.Response:
        asked = await _read(request, SubmitRequest)
        delivery = await self.emulator.submit_view(
            asked.user, request.match_info["view_id"], asked.values
        )
        return _json(self._outcome(delivery))

    async def close_view(self, request: web.Request) -> web.Response:
        asked = await _read(request, CloseRequest)
        delivery = await self.emulator.close_view(asked.user, request.match_info["view_id"])
        if delivery is None:
            return _json(Outcome(ok=True))
        return _json(self._outcome(delivery))

    def _outcome(self, delivery: Delivery) -> Outcome:
        config = self.emulator.config
        return outcome_of(delivery, config.bot_name, config.ack_timeout)

    def _user(self, request: web.Request) -> str:
        return request.query.get("user") or self.options.default_user


def _guarded(handler: Handler) -> Handler:
    """The emulator's refusals as answers the page shows: 404 for what does not exist, 400
    for anything else it will not do."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except _NOT_FOUND as error:
            return _error(404, str(error))
        except EmulatorError as error:
            return _error(400, str(error))

    return guarded


async def _read(request: web.Request, model: type[R]) -> R:
    if request.content_type != "application/json":
        raise EmulatorError("The page's API takes JSON (Content-Type: application/json).")
    try:
        return model.model_validate_json(await request.read())
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
            for e in error.errors(include_url=False)
        )
        raise EmulatorError(
            f"The request is not what the page's API expects: {problems}."
        ) from None


def _json(model: BaseModel) -> web.Response:
    return web.Response(text=model.model_dump_json(), content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"ok": False, "message": message}),
        content_type="application/json",
    )


def _visible_to(change: Change, user: str) -> bool:
    # Web API calls are the bot's business, and other users' ephemerals and modals are theirs.
    return change.kind != "call_recorded" and change.user in (None, user)


def _ascii_name(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
