"""Every CLI command documents itself: `--help` works and says something."""

from __future__ import annotations

import click
from click.testing import CliRunner

from bot.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [prefix]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            found.extend(_commands(cmd, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for path in _commands(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
        if path:
            cmd: click.Command | None = main
            for word in path:
                assert isinstance(cmd, click.Group)
                cmd = cmd.get_command(click.Context(cmd), word)
            assert cmd is not None
            assert (cmd.help or "").strip(), f"{path} has no help text"


def test_each_command_is_registered_under_its_own_name() -> None:
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        assert command.name == name
