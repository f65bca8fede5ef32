"""The `lkubot` command line: a thin client of the packages; each subcommand lives in its own
module and is registered here by name and module path.

A command's module is imported only when that command runs (or when help lists them all), so
`lkubot run` never loads the simulators behind `lkubot sim` and `lkubot demo`, nor anything
else it does not use (tests/test_import_rules.py checks this).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

COMMANDS: dict[str, str] = {
    "audit": "bot.cli_audit:audit_command",
    "check-config": "bot.cli_inspect:check_config_command",
    "demo": "bot.cli_demo:demo_command",
    "history": "bot.cli_audit:history_command",
    "inspect": "bot.cli_inspect:inspect_command",
    "inventory": "bot.cli_inventory:inventory_command",
    "run": "bot.cli_run:run_command",
    "sim": "bot.cli_sim:sim_command",
}
"""Each subcommand: its name, and `module:attribute` of its click command."""


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when they are asked for (click's own
    "lazily loading subcommands" pattern)."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, attribute = self.lazy[cmd_name].split(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
        return command


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lkubot")
def main() -> None:
    """lkubot: preview, approve and launch AIX live updates from Slack."""
