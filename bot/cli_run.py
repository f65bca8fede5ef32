"""`lkubot run`: the bot itself, over Socket Mode (the default) or HTTP (`--http PORT`).

Settings come from the environment once (`bot.settings`); anything missing or malformed, and
every problem of the inventory, stops start-up with one line each and exit code 2. Then the
bot checks its token with Slack (`auth.test`), reattaches to unfinished runs, and connects.
SIGINT or SIGTERM stops it cleanly: no new work, running listeners' work cancelled, SQLite
closed; live updates on the LPARs go on and are reattached to at the next start.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys

import click
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.eventloop import loop_factory
from bot.service import Bot, BotConfig
from bot.settings import Settings, SettingsError, check_slack, load_settings
from bot.slack_client import build_slack_client, slack_connections
from lpar.inventory import Inventory, InventoryError, load_inventory
from storage.errors import StorageError

EVENTS_PATH = "/slack/events"
"""Where Slack sends slash commands and interactions in HTTP mode (the manifest's URLs)."""
SETTINGS_EXIT = 2
STARTUP_EXIT = 1

log = logging.getLogger("lkubot")


class StartupError(Exception):
    """The bot cannot start; the message says what to fix."""


@click.command("run")
@click.option(
    "--http",
    "http_port",
    type=click.IntRange(1, 65535),
    help="Serve Slack's requests over HTTP on PORT at /slack/events (needs SLACK_SIGNING_SECRET) "
    "instead of Socket Mode (SLACK_APP_TOKEN).",
)
@click.option(
    "--bind",
    default="0.0.0.0",  # noqa: S104 (Slack must reach the endpoint; put TLS in front)
    show_default=True,
    help="Address to listen on with --http.",
)
def run_command(http_port: int | None, bind: str) -> None:
    """Run the Slack bot: Socket Mode by default, or HTTP with --http PORT.

    Reads SLACK_BOT_TOKEN, SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP),
    LKUBOT_INVENTORY, LKUBOT_DB, LKUBOT_SLACK_API_URL, LKUBOT_CHANNELS, LKUBOT_LOG_LEVEL."""
    try:
        settings = load_settings()
        check_slack(settings, http=http_port is not None)
        inventory = load_inventory(settings.inventory)
    except (SettingsError, InventoryError) as error:
        for line in error.lines:
            click.echo(f"lkubot run: {line}", err=True)
        sys.exit(SETTINGS_EXIT)
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(serve(settings, inventory, http_port=http_port, bind=bind))
    # The database in use by another lkubot, or written by a newer one: the message says what
    # to do, a traceback would not.
    except (StartupError, StorageError) as error:
        click.echo(f"lkubot run: {error}", err=True)
        sys.exit(STARTUP_EXIT)


async def serve(
    settings: Settings, inventory: Inventory, *, http_port: int | None, bind: str
) -> None:
    """Run until SIGINT or SIGTERM."""
    assert settings.slack_bot_token is not None  # check_slack made sure
    async with slack_connections() as session:
        client = build_slack_client(
            settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            session=session,
        )
        await _serve(settings, inventory, client, http_port=http_port, bind=bind)


async def _serve(
    settings: Settings,
    inventory: Inventory,
    client: AsyncWebClient,
    *,
    http_port: int | None,
    bind: str,
) -> None:
    identity = await _identify(client)
    secret = settings.slack_signing_secret
    config = BotConfig(
        inventory=inventory,
        db=settings.db,
        signing_secret=secret.get_secret_value() if http_port is not None and secret else None,
        channels=tuple(settings.channels),
        membership_ttl=settings.membership_ttl,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with Bot.running(config, client) as bot:
        if http_port is not None:
            runner = web.AppRunner(bot.app.web_app(path=EVENTS_PATH), shutdown_timeout=5.0)
            await runner.setup()
            try:
                await web.TCPSite(runner, bind, http_port).start()
            except OSError as error:
                await runner.cleanup()
                raise StartupError(f"cannot listen on {bind}:{http_port}: {error}") from None
            _ready(identity, inventory, bot, f"HTTP on {bind}:{http_port}{EVENTS_PATH}")
            try:
                await stop.wait()
            finally:
                await runner.cleanup()
        else:
            assert settings.slack_app_token is not None
            handler = AsyncSocketModeHandler(
                bot.app, settings.slack_app_token.get_secret_value(), web_client=client
            )
            await handler.connect_async()  # type: ignore[no-untyped-call]
            _ready(identity, inventory, bot, "Socket Mode")
            try:
                await stop.wait()
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]
    log.info("stopped")


async def _identify(client: AsyncWebClient) -> str:
    """Who the token says the bot is, or a StartupError that says what Slack answered."""
    try:
        reply = await client.auth_test()
    except SlackApiError as error:
        raise StartupError(
            f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}): copy the Bot User "
            "OAuth Token again from the app's OAuth & Permissions page."
        ) from None
    except (SlackClientError, OSError) as error:
        raise StartupError(
            f"cannot reach Slack's Web API ({error}): check the network, or "
            "LKUBOT_SLACK_API_URL if it is set."
        ) from None
    return f"@{reply.get('user')} in {reply.get('team')}"


def _ready(identity: str, inventory: Inventory, bot: Bot, mode: str) -> None:
    _settle_heap()
    again = f"; reattached to {', '.join(bot.reattached)}" if bot.reattached else ""
    line = (
        f"lkubot run: ready as {identity} over {mode}: {len(inventory.lpars)} LPARs in "
        f"{len(inventory.groups)} groups{again}"
    )
    click.echo(line, err=True)


def _settle_heap() -> None:
    """Keep what start-up made (modules, models, the inventory, the app) out of the cyclic
    garbage collector's sight: a full collection walks every tracked object, and over the
    start-up heap that is a pause of about 80 ms every few seconds under load, which Slack
    waits through for its acks."""
    gc.collect()
    gc.freeze()
