"""`lkubot demo [--scripted]`: the whole workflow offline, without a Slack workspace or an AIX
system (`bot.demo` builds the world, `bot.demo_story` plays it).

Without `--scripted` it prints the page's address and what to try, and runs until Ctrl-C
(SIGINT or SIGTERM), which stops the bot, the emulator and the LPARs in that order. With
`--scripted` it plays the story, writes its transcript, checks the audit trail of the database
it produced with `lkubot audit verify`, and exits 0; or 1 naming the step that failed.
Its files live in a temporary directory, removed at the end unless `--keep DIR`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from bot.demo import (
    CHANNEL,
    DEFAULT_SPEED,
    DROPS_SSH,
    FAILS_PREVIEW,
    NOTICES,
    STORY_LPAR,
    DemoError,
    DemoWorld,
    demo_world,
)
from bot.demo_story import STEP_WITHIN, StoryError, play_story
from bot.demo_transcript import Transcript

FAILED_EXIT = 1
_ANCHOR = re.compile(r"audit head `([0-9a-f]{16})`")


@click.command("demo")
@click.option(
    "--scripted",
    is_flag=True,
    help="Play the whole story without a browser and print its transcript; exit 0 when every "
    "step happened, 1 naming the one that did not.",
)
@click.option(
    "--speed",
    type=click.FloatRange(1, 1000),
    default=DEFAULT_SPEED,
    show_default=True,
    help="How many times faster than the wall the LPARs' clocks run (at 20 a live kernel "
    "update takes about 35 s).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="The page's port on 127.0.0.1 (default: any free one).",
)
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's files (inventory, keys, lkubot.db, the LPARs' commands.log) in DIR, "
    "new or empty, instead of a temporary directory removed at the end.",
    metavar="DIR",
)
def demo_command(scripted: bool, speed: float, port: int, keep: Path | None) -> None:
    """Run lkubot against simulated LPARs and a local Slack with a browser page.

    Everything listens on 127.0.0.1 only. Open the address it prints, act as carol (the
    requester), alice or bob (approvers), dana (admin) or oscar (outsider), and stop with
    Ctrl-C. With --scripted the story plays by itself and its transcript is printed."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with _directory(keep) as directory:
        try:
            if scripted:
                asyncio.run(_scripted(directory, speed, port))
            else:
                asyncio.run(_interactive(directory, speed, port))
        except (DemoError, StoryError) as error:
            click.echo(f"lkubot demo: {error}", err=True)
            sys.exit(FAILED_EXIT)


@contextmanager
def _directory(keep: Path | None) -> Iterator[Path]:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="lkubot-demo-") as name:
            yield Path(name)
        return
    if keep.exists() and any(keep.iterdir()):
        raise click.UsageError(
            f"--keep {keep}: the directory is not empty; name a new or empty one, so this "
            "demo's files do not mix with another's."
        )
    keep.mkdir(parents=True, exist_ok=True)
    yield keep


async def _interactive(directory: Path, speed: float, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with demo_world(directory, speed=speed, port=port) as world:
        click.echo(_welcome(world))
        await stop.wait()
        click.echo("lkubot demo: stopping the bot, the Slack emulator and the LPARs.")
    click.echo("lkubot demo: stopped.")


def _welcome(world: DemoWorld) -> str:
    lpars = ", ".join(world.lpars)
    return f"""\
lkubot demo: {len(world.lpars)} simulated LPARs ({lpars}) at {world.speed:g}x, a local Slack \
and lkubot, all on 127.0.0.1.

Open {world.page_url} in a browser. You are carol in #{CHANNEL}; the switcher at the top
right makes you alice or bob (approvers), dana (admin) or oscar (outsider).

Try:
  /lku preview {STORY_LPAR}   as carol: a request card; [Approve] as alice, then as bob;
                          back to carol: [Launch] and watch the run in the card's thread
  [Approve] as carol or oscar: refused, and told why
  /lku preview {FAILS_PREVIEW}   fails: no HMC token on the LPAR (1430-246)
  /lku preview {DROPS_SSH}   its SSH drops during the blackout; the run carries on
  [LLU preview] under a final summary, /lku list, /lku help

Files: {world.directory}. Ctrl-C stops everything."""


async def _scripted(directory: Path, speed: float, port: int) -> None:
    started = time.monotonic()
    async with demo_world(directory, speed=speed, port=port) as world:
        click.echo(
            f"lkubot demo --scripted: {len(world.lpars)} simulated LPARs at {speed:g}x, "
            f"the Slack emulator at {world.page_url}, lkubot in HTTP mode."
        )
        with Transcript(world.slack, sys.stdout) as transcript:
            await play_story(world, transcript)
            anchor = await transcript.until(
                lambda: _newest_anchor(world),
                within=STEP_WITHIN,
                what=f"the audit head in #{NOTICES}",
            )
        db = world.db
    # The bot has stopped and closed the database: check the audit trail it left against the
    # head its last notice anchored in Slack.
    click.echo(f"\n$ lkubot audit verify --db {db} --head {anchor}")
    _verify_audit(db, anchor)
    click.echo(f"\nlkubot demo --scripted: the story played in {time.monotonic() - started:.0f} s.")


def _newest_anchor(world: DemoWorld) -> str | None:
    """The audit head the newest notice of a request's end carries."""
    notices = (m.content for m in reversed(world.slack.state.channel_messages(NOTICES)))
    return next((match[1] for text in notices if (match := _ANCHOR.search(text))), None)


def _verify_audit(db: Path, anchor: str) -> None:
    """`lkubot audit verify` itself, so the check is the one an admin would run."""
    from bot.cli import main

    try:
        main.main(
            ["audit", "verify", "--db", str(db), "--head", anchor],
            prog_name="lkubot",
            standalone_mode=False,
        )
    except click.ClickException as error:
        raise StoryError(f"lkubot audit verify: {error.format_message()}") from None
    except SystemExit as exit_:
        if exit_.code:
            raise StoryError(
                "lkubot audit verify found the audit chain broken, or without the head that "
                f"#{NOTICES} anchored"
            ) from None
