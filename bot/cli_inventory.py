"""`lkubot inventory check`: validate the inventory, then log in to every LPAR and report its
AIX level and HMC token.

Thin: load the inventory, call `lpar.health`, print. Exit 1 when the file is invalid or any
LPAR fails; warnings (no HMC token) are printed but do not fail the check.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.settings import Settings
from lpar.health import LparHealth, check_lpars
from lpar.inventory import Inventory, InventoryError, load_inventory
from lpar.ssh import Connections


@click.group("inventory")
def inventory_command() -> None:
    """Check the inventory of LPARs lkubot may touch."""


@inventory_command.command("check")
@click.option(
    "--inventory",
    "inventory_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Inventory file (default: LKUBOT_INVENTORY, else lpars.yml).",
)
@click.option(
    "--no-connect",
    is_flag=True,
    help="Only validate the file; do not log in to the LPARs.",
)
def check_command(inventory_path: Path | None, no_connect: bool) -> None:
    """Validate the inventory, log in to every LPAR concurrently (verifying its host key), and
    print its AIX level and HMC token. Exit 1 if the file is invalid or any LPAR fails."""
    path = inventory_path or Settings().inventory
    try:
        inventory = load_inventory(path)
    except InventoryError as error:
        for line in error.lines:
            click.echo(line, err=True)
        click.echo(
            f"{path}: {_plural(len(error.lines), 'problem')}; lkubot will not start.", err=True
        )
        sys.exit(1)
    click.echo(
        f"{path}: valid, {_plural(len(inventory.lpars), 'LPAR')} in "
        f"{_plural(len(inventory.groups), 'group')}."
    )
    if no_connect:
        return
    results = asyncio.run(_check_all(inventory))
    _report(results)
    if not all(health.ok for health in results):
        sys.exit(1)


async def _check_all(inventory: Inventory) -> list[LparHealth]:
    lpars = list(inventory.lpars.values())
    # The bar goes to stderr so that the table on stdout stays clean for a pipe or a file,
    # and only to a terminal, where it can redraw itself in place.
    bar = Console(stderr=True)
    with Progress(
        TextColumn("Checking LPARs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=bar,
        transient=True,
        disable=not bar.is_terminal,
    ) as progress:
        task = progress.add_task("check", total=len(lpars))
        async with Connections() as ssh:
            return await check_lpars(ssh, lpars, on_checked=lambda _health: progress.advance(task))


def _report(results: list[LparHealth]) -> None:
    console = Console(soft_wrap=True)
    table = Table(box=None, pad_edge=False)
    for column in ("LPAR", "address", "oslevel", "HMC token", "result"):
        table.add_column(column, no_wrap=True)
    for health in results:
        token = health.hmc_token
        table.add_row(
            health.lpar,
            health.address,
            health.oslevel or "-",
            f"{token.user}@{token.address}" if token is not None else "none",
            "FAILED" if not health.ok else ("warning" if health.warnings else "ok"),
        )
    console.print(table)
    for health in results:
        for sentence in (health.failure, *health.warnings):
            if sentence:
                console.print(sentence, markup=False, highlight=False)
    failed = sum(1 for health in results if not health.ok)
    warned = sum(1 for health in results if health.ok and health.warnings)
    console.print(
        f"{len(results) - failed} of {_plural(len(results), 'LPAR')} reachable; "
        f"{failed} failed, {_plural(warned, 'warning')}.",
        highlight=False,
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
