"""The `lkubot` command line: a thin client of the packages; each subcommand lives in its own
module and is registered here."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lkubot")
def main() -> None:
    """lkubot: preview, approve and launch AIX live updates from Slack."""


from bot.cli_inspect import check_config_command, inspect_command  # noqa: E402

main.add_command(inspect_command)
main.add_command(check_config_command)
from bot.cli_audit import audit_command, history_command  # noqa: E402

main.add_command(audit_command)
main.add_command(history_command)
from bot.cli_sim import sim_command  # noqa: E402

main.add_command(sim_command)
from bot.cli_inventory import inventory_command  # noqa: E402

main.add_command(inventory_command)
from bot.cli_run import run_command  # noqa: E402

main.add_command(run_command)
from bot.cli_demo import demo_command  # noqa: E402

main.add_command(demo_command)
