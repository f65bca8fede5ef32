"""The Slack emulator: one local server playing Slack for a bot, and the handle tests hold.

See the package docstring (`sim.slack`) for the tour.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypeVar

import aiohttp
from aiohttp import web

from sim.slack.clock import SlackClock, utc_now
from sim.slack.config import Credentials, EmulatorConfig
from sim.slack.driver import Delivery, DeliveryOptions, Driver
from sim.slack.errors import EmulatorError, UnknownMessage, WaitTimeout
from sim.slack.faults import Faults, InjectedError
from sim.slack.grants import Grants
from sim.slack.methods import Methods
from sim.slack.payloads import Interaction, Payloads, ValueInput
from sim.slack.ratelimits import RateLimiter
from sim.slack.responseurls import ResponsePost, ResponseUrlSink
from sim.slack.socketmode import SocketModeServer
from sim.slack.web.options import PageOptions
from sim.slack.web.server import PageServer
from sim.slack.webapi import Call, WebApi
from sim.slack.workspace import Ephemeral, Message, OpenView, Workspace

T = TypeVar("T")

DEFAULT_WAIT = 5.0


class SlackEmulator:
    """Slack for one app in one workspace. Build it with `SlackEmulator.start(...)`."""

    def __init__(self, config: EmulatorConfig, credentials: Credentials) -> None:
        self.config = config
        self.credentials = credentials
        self.state = Workspace(config, clock=utc_now)
        self.calls: list[Call] = []
        self.responses: list[ResponsePost] = []
        self.deliveries: list[Delivery] = []
        self.clock = SlackClock(config.speed)
        self.base_url = ""
        self._faults = Faults()
        loop = asyncio.get_running_loop()
        self._grants = Grants(
            base_url=lambda: self.base_url,
            team_id=config.team_id,
            trigger_ttl=config.trigger_ttl,
            clock=loop.time,
        )
        self._sockets = SocketModeServer(config.app_id, lambda: self.base_url)
        self._payloads = Payloads(config, self.state, self._grants)
        methods = Methods(
            config, self.state, self._grants, lambda: self.base_url, self._sockets.new_url
        )
        self._web_api = WebApi(
            methods=methods,
            workspace=self.state,
            credentials=credentials,
            faults=self._faults,
            limiter=RateLimiter(config),
            clock=self.clock,
            calls=self.calls,
            wall_clock=utc_now,
        )
        self._sink = ResponseUrlSink(config, self.state, self._grants, self.responses, utc_now)
        self._driver: Driver | None = None
        self._page: PageServer | None = None

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        config: EmulatorConfig | None = None,
        *,
        signing_secret: str | None = None,
        bot_token: str | None = None,
        app_token: str | None = None,
        events_url: str | None = None,
        page: PageOptions | None = None,
    ) -> AsyncIterator[SlackEmulator]:
        """Serve Slack on 127.0.0.1 (an ephemeral port unless the config names one) until the
        block ends. Credentials left out get the `Credentials` defaults. With `page`, the
        browser page is served too, at `page_url`."""
        given = {"signing_secret": signing_secret, "bot_token": bot_token, "app_token": app_token}
        credentials = Credentials(**{k: v for k, v in given.items() if v is not None})
        emulator = cls(config or EmulatorConfig(), credentials)
        app = web.Application()
        app.add_routes(
            emulator._web_api.routes() + emulator._sink.routes() + emulator._sockets.routes()
        )
        if page is not None:
            emulator._page = PageServer(emulator, page)
            app.add_routes(emulator._page.routes())
            app.on_shutdown.append(emulator._page.close)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, emulator.config.host, emulator.config.port)
            await site.start()
            host, port = runner.addresses[0][:2]
            emulator.base_url = f"http://{host}:{port}"
            async with aiohttp.ClientSession() as session:
                emulator._driver = Driver(
                    emulator.config,
                    credentials,
                    emulator.state,
                    emulator._sockets,
                    session,
                    emulator.deliveries,
                )
                emulator.events_url = events_url
                try:
                    yield emulator
                finally:
                    await emulator._sockets.close()
        finally:
            await runner.cleanup()

    # --- where the bot finds Slack ---------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The Web API base URL, for `AsyncWebClient(base_url=...)` (ends with a slash)."""
        return f"{self.base_url}/api/"

    @property
    def page_url(self) -> str | None:
        """The browser page (`start(page=...)`), or None when it is not served."""
        return f"{self.base_url}/" if self._page is not None else None

    @property
    def events_url(self) -> str | None:
        """The bot's `/slack/events` URL (HTTP mode); None delivers over Socket Mode."""
        return self.driver.events_url

    @events_url.setter
    def events_url(self, url: str | None) -> None:
        self.driver.events_url = url

    @property
    def driver(self) -> Driver:
        if self._driver is None:
            raise EmulatorError(
                "The emulator is not running: use `async with SlackEmulator.start()`."
            )
        return self._driver

    # --- users acting ------------------------------------------------------------------------

    async def slash(
        self,
        user: str,
        channel: str,
        command: str,
        text: str = "",
        options: DeliveryOptions | None = None,
    ) -> Delivery:
        """`user` types `command text` in `channel`; user and channel by id or name."""
        if not command.startswith("/"):
            raise EmulatorError(f"A slash command starts with '/', not {command!r}.")
        person = self.state.user(user)
        place = self.state.channel(channel)
        if person.id not in place.members:
            raise EmulatorError(f"{person.name} is not in #{place.name}, so cannot type there.")
        return await self.deliver(self._payloads.slash(person, place, command, text), options)

    async def click(
        self,
        user: str,
        target: Message | Ephemeral | OpenView | str,
        action_id: str,
        value: str | None = None,
        options: DeliveryOptions | None = None,
    ) -> Delivery:
        """`user` clicks the element `action_id` (the button with `value`, or the option
        `value` of a select) in a message, ephemeral message or open modal, given as the record
        or its ts. A confirmation dialog, if the element has one, is accepted."""
        person = self.state.user(user)
        source = self._clickable(target)
        if isinstance(source, OpenView):
            if source.user != person.id or not source.is_open:
                raise EmulatorError(f"The view {source.id} is not open in front of {person.name}.")
        elif isinstance(source, Ephemeral):
            if source.user != person.id:
                raise EmulatorError(f"Only {source.user} sees the ephemeral message {source.ts}.")
        elif person.id not in self.state.channels[source.channel].members:
            raise EmulatorError(f"{person.name} is not in {source.channel}, so cannot click there.")
        return await self.deliver(
            self._payloads.block_actions(person, source, action_id, value), options
        )

    async def submit_view(
        self,
        user: str,
        view_id: str,
        values: dict[str, ValueInput] | None = None,
        options: DeliveryOptions | None = None,
    ) -> Delivery:
        """`user` fills the modal's inputs (by action_id, or "block_id/action_id") and presses
        its submit button. The modal then closes, updates or shows errors as the bot answers."""
        person = self.state.user(user)
        view = self._view_of(person.id, view_id)
        return await self.deliver(
            self._payloads.view_submission(person, view, values or {}), options
        )

    async def close_view(
        self, user: str, view_id: str, options: DeliveryOptions | None = None
    ) -> Delivery | None:
        """`user` dismisses the modal; the bot hears of it only if the view asked
        (`notify_on_close`), and then gets the delivery returned."""
        person = self.state.user(user)
        view = self._view_of(person.id, view_id)
        self.state.close_view(view)
        if not view.view.get("notify_on_close"):
            return None
        return await self.deliver(
            self._payloads.view_closed(person, view, is_cleared=False), options
        )

    async def deliver(
        self, interaction: Interaction, options: DeliveryOptions | None = None
    ) -> Delivery:
        """Send an interaction (again, e.g. as a Slack retry) with the given delivery options."""
        return await self.driver.deliver(interaction, options or DeliveryOptions())

    def _clickable(
        self, target: Message | Ephemeral | OpenView | str
    ) -> Message | Ephemeral | OpenView:
        if not isinstance(target, str):
            return target
        ephemeral = self.state.find_ephemeral(target)
        if ephemeral is not None:
            return ephemeral
        if target in self.state.views:
            return self.state.views[target]
        try:
            return self.state.find_message(target)
        except UnknownMessage:
            raise UnknownMessage(
                f"No message, ephemeral message or view {target!r} to click in."
            ) from None

    def _view_of(self, user_id: str, view_id: str) -> OpenView:
        view = self.state.view(view_id)
        if view.user != user_id:
            raise EmulatorError(
                f"The view {view_id} is open in front of {view.user}, not {user_id}."
            )
        return view

    # --- faults --------------------------------------------------------------------------

    def inject_rate_limit(self, method: str, seconds: float) -> None:
        """Answer every call of `method` ("*" for all) with 429 for `seconds` of Slack time."""
        self._faults.start_storm(method, seconds, self.clock.now())

    def inject_error(self, method: str, error: str, count: int = 1, *, status: int = 200) -> None:
        """Answer the next `count` calls of `method` ("*": any) with Slack error `error`."""
        self._faults.add_errors(method, InjectedError(error=error, status=status), count)

    async def disconnect_socket(self, reason: str = "refresh_requested") -> None:
        """Ask the bot's Socket Mode connections to reconnect, as Slack does now and then."""
        await self._sockets.disconnect(reason)

    @property
    def socket_connections(self) -> int:
        return len(self._sockets.connections)

    # --- reading and waiting -------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @contextmanager
    def watching_calls(self, callback: Callable[[Call], None]) -> Iterator[None]:
        """Call `callback` with each Web API call once Slack has acted on it and before the
        answer leaves: a test can act in that exact window (e.g. kill the bot after a message
        was posted and before the bot learns its ts)."""
        self._web_api.watchers.append(callback)
        try:
            yield
        finally:
            self._web_api.watchers.remove(callback)

    async def wait_for(
        self,
        probe: Callable[[], T | None],
        *,
        within: float = DEFAULT_WAIT,
        what: str = "the state",
    ) -> T:
        """The first truthy value `probe()` returns, re-checked after every change in the
        workspace (a message, an edit, a call...), or WaitTimeout after `within` seconds."""
        with self.state.feed.subscribe() as changes:
            try:
                async with asyncio.timeout(within):
                    while True:
                        found = probe()
                        if found:
                            return found
                        await changes.get()
            except TimeoutError:
                raise WaitTimeout(f"Waited {within:g} s for {what}.") from None

    async def wait_for_message(
        self,
        channel: str,
        predicate: Callable[[Message], bool] | None = None,
        *,
        thread_ts: str | None = None,
        within: float = DEFAULT_WAIT,
    ) -> Message:
        """The newest live message in the channel (or in the thread of `thread_ts`) that
        matches `predicate`, as soon as there is one."""
        check = predicate or (lambda _: True)

        def probe() -> Message | None:
            shown = self._shown(channel, thread_ts)
            return next((m for m in reversed(shown) if check(m)), None)

        place = self.state.channel(channel)
        where = f"#{place.name}" + (f" thread {thread_ts}" if thread_ts else "")
        try:
            return await self.wait_for(probe, within=within, what=f"a matching message in {where}")
        except WaitTimeout as error:
            shown = self._summary(self._shown(channel, thread_ts))
            raise WaitTimeout(f"{error} It shows: {shown}") from None

    async def wait_for_ephemeral(
        self,
        user: str,
        predicate: Callable[[Ephemeral], bool] | None = None,
        *,
        channel: str | None = None,
        within: float = DEFAULT_WAIT,
    ) -> Ephemeral:
        """The newest ephemeral message `user` sees (in `channel`, if given) that matches."""
        check = predicate or (lambda _: True)

        def probe() -> Ephemeral | None:
            shown = self.state.ephemerals_for(user, channel)
            return next((e for e in reversed(shown) if check(e)), None)

        try:
            return await self.wait_for(
                probe, within=within, what=f"an ephemeral message for {user}"
            )
        except WaitTimeout as error:
            shown = self._summary(self.state.ephemerals_for(user, channel))
            raise WaitTimeout(f"{error} {user} sees: {shown}") from None

    async def wait_for_view(
        self,
        user: str,
        predicate: Callable[[OpenView], bool] | None = None,
        *,
        within: float = DEFAULT_WAIT,
    ) -> OpenView:
        """The newest open modal in front of `user` matching `predicate`."""
        check = predicate or (lambda _: True)

        def probe() -> OpenView | None:
            shown = list(self.state.open_views(user).values())
            return next((v for v in reversed(shown) if check(v)), None)

        return await self.wait_for(probe, within=within, what=f"a modal in front of {user}")

    async def wait_for_socket(self, within: float = DEFAULT_WAIT) -> None:
        """Until the bot has a Socket Mode connection open."""
        await self._sockets.wait_connected(within)

    def _shown(self, channel: str, thread_ts: str | None) -> list[Message]:
        if thread_ts is None:
            return self.state.channel_messages(channel)
        return self.state.thread(channel, thread_ts)

    @staticmethod
    def _summary(shown: list[Message] | list[Ephemeral]) -> str:
        if not shown:
            return "nothing."
        lines = [
            f"[{m.ts}] {m.content.splitlines()[0] if m.content else '(empty)'}" for m in shown[-5:]
        ]
        return " | ".join(lines)
