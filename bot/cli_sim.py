"""`lkubot sim`: start a fleet of simulated AIX LPARs and serve until interrupted."""

from __future__ import annotations

import asyncio
import re
import resource
import signal
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import click

from sim.aix.fleet import (
    DEFAULT_ADMINS,
    DEFAULT_APPROVERS,
    DEFAULT_CHANNEL,
    Fleet,
    FleetError,
)
from sim.aix.scenario import Scenario, ScenarioError

_SLACK_PRINCIPAL = re.compile(r"^[UWS][A-Z0-9]{2,}$")
_SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")


def _slack_ids(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    ids = tuple(word.strip() for word in value.split(",") if word.strip())
    wrong = [word for word in ids if not _SLACK_PRINCIPAL.match(word)]
    if wrong or not ids:
        raise click.BadParameter(
            f"expected comma-separated Slack user or user group ids (U..., W..., S...), "
            f"not {', '.join(wrong) or 'nothing'}"
        )
    return ids


def _channel(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not _SLACK_CHANNEL.match(value):
        raise click.BadParameter(f"expected a Slack channel id (C... or G...), not {value!r}")
    return value


def _allow_open_files(count: int) -> None:
    """A listener and a few connections per LPAR: lift the soft limit (often 1024) so that
    hundreds of LPARs fit, within the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count * 4 + 64
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def _serve(start: Callable[[], AbstractAsyncContextManager[Fleet]], speed: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with start() as fleet:
        click.echo(
            f"lkubot sim: ready: {len(fleet.names)} simulated LPARs on 127.0.0.1 at {speed:g}x; "
            f"inventory {fleet.inventory_path}"
        )
        await stop.wait()


@click.command("sim")
@click.option("--count", type=click.IntRange(1, 2000), required=True, help="How many LPARs.")
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="How many times faster than real time the LPARs' clocks run.",
)
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A scenario YAML file: LPAR state and faults.",
)
@click.option(
    "--inventory-out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for lpars.yml, known_hosts, keys/ and commands.log.",
)
@click.option(
    "--approvers",
    default=",".join(DEFAULT_APPROVERS),
    show_default=True,
    callback=_slack_ids,
    help="Approvers of both groups (comma-separated Slack ids).",
)
@click.option(
    "--admins",
    default=",".join(DEFAULT_ADMINS),
    show_default=True,
    callback=_slack_ids,
    help="Global admins (comma-separated Slack ids).",
)
@click.option(
    "--channel",
    default=DEFAULT_CHANNEL,
    show_default=True,
    callback=_channel,
    help="Notification channel of both groups.",
)
@click.option(
    "--base-port",
    type=click.IntRange(1024, 65535),
    help="Listen on BASE, BASE+1, ... instead of ports the system picks.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="NAME=YAML",
    help="Faults for one LPAR (or * for all), e.g. 'lpar002={drop: {seconds: 60}}'.",
)
def sim_command(
    count: int,
    speed: float,
    scenario_path: Path | None,
    inventory_out: Path,
    approvers: tuple[str, ...],
    admins: tuple[str, ...],
    channel: str,
    base_port: int | None,
    faults: tuple[str, ...],
) -> None:
    """Serve COUNT simulated AIX LPARs over SSH on 127.0.0.1 until interrupted.

    Writes an inventory, known_hosts and a client key into --inventory-out, prints one line
    when ready, and stops cleanly on SIGINT or SIGTERM.
    """
    try:
        if scenario_path:
            scenario = Scenario.load(scenario_path)
        else:
            scenario = Scenario.parse({}, source="--fault")
        for flag in faults:
            scenario = scenario.with_faults(flag)

        def start() -> AbstractAsyncContextManager[Fleet]:
            return Fleet.start(
                count,
                out_dir=inventory_out,
                speed=speed,
                scenario=scenario,
                approvers=approvers,
                admins=admins,
                channel=channel,
                base_port=base_port,
            )

        _allow_open_files(count)
        asyncio.run(_serve(start, speed))
    except (ScenarioError, FleetError) as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"Cannot start the simulated LPARs: {error}") from error
