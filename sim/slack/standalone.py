"""`python -m sim.slack`: the emulator on its own, until Ctrl-C, for a bot started separately."""

from __future__ import annotations

import asyncio
import signal

import click

from sim.slack.config import Credentials, EmulatorConfig
from sim.slack.emulator import SlackEmulator
from sim.slack.web.options import Completions, PageOptions

_DEFAULTS = Credentials()


@click.command(name="slack-emulator", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port; 0 picks a free one.")
@click.option(
    "--events-url",
    default=None,
    help="The bot's /slack/events URL (HTTP mode). Without it, deliveries use Socket Mode.",
)
@click.option(
    "--speed",
    default=1.0,
    type=click.FloatRange(min=0, min_open=True),
    show_default=True,
    help="How many times faster than real time Slack's rate-limit clock runs.",
)
@click.option(
    "--page/--no-page",
    default=True,
    show_default=True,
    help="Serve the browser page at / (channels, threads, Block Kit, a user switcher).",
)
@click.option(
    "--words",
    default="",
    metavar="W1,W2",
    help="Words the page's composer completes after a command's verb, e.g. LPAR names.",
)
@click.option(
    "--signing-secret",
    envvar="SLACK_SIGNING_SECRET",
    default=_DEFAULTS.signing_secret,
    help="Secret deliveries are signed with (HTTP mode).",
)
@click.option(
    "--bot-token",
    envvar="SLACK_BOT_TOKEN",
    default=_DEFAULTS.bot_token,
    help="The bot's xoxb- token.",
)
@click.option(
    "--app-token",
    envvar="SLACK_APP_TOKEN",
    default=_DEFAULTS.app_token,
    help="The app-level xapp- token (Socket Mode).",
)
def serve(
    host: str,
    port: int,
    events_url: str | None,
    speed: float,
    page: bool,
    words: str,
    signing_secret: str,
    bot_token: str,
    app_token: str,
) -> None:
    """Serve a local Slack (Web API, Socket Mode, response URLs, a browser page) until Ctrl-C.

    Point the bot at it with LKUBOT_SLACK_API_URL and the same tokens (SLACK_BOT_TOKEN,
    SLACK_APP_TOKEN, SLACK_SIGNING_SECRET, read from the environment here too).
    """
    config = EmulatorConfig(host=host, port=port, speed=speed)
    credentials = Credentials(
        signing_secret=signing_secret, bot_token=bot_token, app_token=app_token
    )
    completions = Completions(words=[w for w in words.split(",") if w])
    options = PageOptions(completions=completions) if page else None
    asyncio.run(_serve(config, credentials, events_url, options))


async def _serve(
    config: EmulatorConfig,
    credentials: Credentials,
    events_url: str | None,
    page: PageOptions | None,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with SlackEmulator.start(
        config,
        signing_secret=credentials.signing_secret,
        bot_token=credentials.bot_token,
        app_token=credentials.app_token,
        events_url=events_url,
        page=page,
    ) as slack:
        click.echo(f"Slack emulator: {slack.base_url}")
        click.echo(f"  LKUBOT_SLACK_API_URL={slack.api_url}")
        click.echo(f"  deliveries: {events_url or 'Socket Mode (apps.connections.open)'}")
        click.echo("  users: " + ", ".join(f"{u.name} ({u.id})" for u in config.users))
        if slack.page_url is not None:
            click.echo(f"  page: {slack.page_url}")
        await stop.wait()
    click.echo("Slack emulator stopped.")
