"""The demo world: simulated LPARs, the Slack emulator with its browser page, and lkubot wired
between them exactly as `lkubot run --http` is wired to Slack, all on 127.0.0.1.

    async with demo_world(directory, speed=20.0) as world:
        world.page_url        # open it in a browser: #aix-team, acting as carol
        world.slack           # the emulator's handle (its driver plays users in --scripted)
        world.bot, world.db   # lkubot itself and its SQLite file
    # on leaving: the bot stops (HTTP endpoint, listeners' work, SQLite), then the emulator,
    # then the LPARs

The fleet (`DEMO_LPARS`): lpar001 and lpar003 in group test (1 approval), lpar002 and lpar004
in prod (2 approvals from @aix-approvers). lpar002 is the clean one the story uses; lpar003 has
no HMC token, so its preview fails with AIX's 1430-246; lpar004 drops every SSH connection for
a minute of its time when its blackout starts, and the run carries on. Policy comes from the
emulator's seed workspace: approvers the `aix-approvers` user group, admin dana, notices in
#prod-ops.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.cli_run import EVENTS_PATH
from bot.service import Bot, BotConfig
from bot.slack_client import build_slack_client
from lpar.follow import Backoff
from lpar.inventory import GROUP_PREFIX, load_inventory
from lpar.options import EngineOptions
from sim.aix import Fleet, Scenario
from sim.slack import EmulatorConfig, SlackEmulator
from sim.slack.web.options import Completions, PageOptions

HOST = "127.0.0.1"
"""Everything listens here only: the demo's signing secret and tokens are no secret to anyone
on this machine, but nothing outside it can reach them."""
DEFAULT_SPEED = 20.0
"""The LPARs' clocks run this many times faster than the wall: the 11-minute live kernel
update of the captured transcript takes about 35 s, its 40 s preview 2 s."""
CHANNEL = "aix-team"
"""Where the people of the demo type their commands."""
NOTICES = "prod-ops"
APPROVERS = "aix-approvers"
ADMIN = "dana"

STORY_LPAR = "lpar002"
FAILS_PREVIEW = "lpar003"
DROPS_SSH = "lpar004"
DEMO_LPARS = 4

# The follower's reconnect pace, shortened like the LPARs' time: lpar004's one-minute drop
# lasts 3 s at 20x, and the production pace (up to a minute between tries) would leave the
# status message silent long after the LPAR is back.
DEMO_ENGINE = EngineOptions(backoff=Backoff(first=0.5, factor=2.0, slowest=4.0))


class DemoError(Exception):
    """The demo cannot start as asked; the message says what to change."""


def demo_scenario() -> Scenario:
    """The LPARs' state and faults (the format of `lkubot sim --scenario`)."""
    return Scenario.parse(
        {
            "defaults": {
                # Prep stops what a live update cannot carry, post starts it again, as the
                # README's inventory example does.
                "placement": {
                    "stages": {"prep": ["stopsrc -s pfcdaemon"], "post": ["startsrc -s pfcdaemon"]}
                }
            },
            "lpars": {
                FAILS_PREVIEW: {"hmc_token": None},
                DROPS_SSH: {"faults": {"drop": {"phase": "blackout", "seconds": 60}}},
            },
        },
        source="the demo's scenario",
    )


@dataclass(frozen=True)
class DemoWorld:
    """The running demo, for the command line to print and the scripted story to drive."""

    directory: Path
    fleet: Fleet
    slack: SlackEmulator
    bot: Bot
    db: Path
    speed: float

    @property
    def page_url(self) -> str:
        url = self.slack.page_url
        assert url is not None  # demo_world always serves the page
        return url

    @property
    def lpars(self) -> list[str]:
        return self.fleet.names


def completion_words(lpars: list[str], groups: list[str]) -> list[str]:
    """What the page's composer offers after a verb: LPAR names, then `group:NAME` targets."""
    return [*lpars, *(f"{GROUP_PREFIX}{group}" for group in groups)]


@asynccontextmanager
async def demo_world(
    directory: Path, *, speed: float = DEFAULT_SPEED, port: int = 0
) -> AsyncIterator[DemoWorld]:
    """Start the LPARs, the emulator (its page on `port`, 0 picks one) and the bot, with
    every file (inventory, keys, known_hosts, commands.log, lkubot.db) under `directory`."""
    seed = EmulatorConfig(host=HOST, port=port)
    approvers = [g.id for g in seed.usergroups if g.handle == APPROVERS]
    admins = [u.id for u in seed.users if u.name == ADMIN]
    notices = next(c.id for c in seed.channels if c.name == NOTICES)
    # Fresh credentials for every demo, so no other program on this machine can pose as
    # Slack to this bot, or as this bot to the emulator.
    signing_secret = secrets.token_hex(16)
    bot_token = f"xoxb-demo-{secrets.token_hex(12)}"
    async with AsyncExitStack() as stack:
        fleet = await stack.enter_async_context(
            Fleet.start(
                DEMO_LPARS,
                out_dir=directory / "fleet",
                speed=speed,
                scenario=demo_scenario(),
                approvers=approvers,
                admins=admins,
                channel=notices,
            )
        )
        inventory = load_inventory(fleet.inventory_path)
        page = PageOptions(
            completions=Completions(words=completion_words(fleet.names, list(inventory.groups))),
            default_channel=CHANNEL,
            default_user="carol",
        )
        try:
            slack = await stack.enter_async_context(
                SlackEmulator.start(
                    seed, signing_secret=signing_secret, bot_token=bot_token, page=page
                )
            )
        except OSError as error:
            raise DemoError(
                f"cannot serve the page on {HOST}:{port} ({error.strerror or error}): pick another "
                "--port, or leave it out to use any free one"
            ) from None
        db = directory / "lkubot.db"
        config = BotConfig(
            inventory=inventory, db=db, signing_secret=signing_secret, engine=DEMO_ENGINE
        )
        client = build_slack_client(bot_token, base_url=slack.api_url)
        bot = await stack.enter_async_context(Bot.running(config, client))
        slack.events_url = await stack.enter_async_context(_events_endpoint(bot))
        yield DemoWorld(directory, fleet, slack, bot, db, speed)


@asynccontextmanager
async def _events_endpoint(bot: Bot) -> AsyncIterator[str]:
    """The bot's `/slack/events` on an ephemeral port of 127.0.0.1, as `lkubot run --http`."""
    runner = web.AppRunner(bot.app.web_app(path=EVENTS_PATH), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, HOST, 0).start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}{EVENTS_PATH}"
    finally:
        await runner.cleanup()
