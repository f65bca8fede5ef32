"""`lkubot inspect` and `lkubot check-config`: what lkubot understands of an AIX output or an
lvupdate.data file, without Slack or an LPAR.

Exit codes: inspect 0 when the text was read, 2 when it cannot be read or recognised;
check-config 0 without errors, 1 with errors, 2 when the file cannot be read.
"""

from __future__ import annotations

from typing import BinaryIO, NoReturn

import click
from rich.console import Console

from bot.inspect_tables import render
from bot.inspect_views import check_config_view, to_view
from liveupdate.detect import KINDS, Kind, detect, fits, parse_as
from liveupdate.lvcheck import check_lvupdate_text, has_errors

EXIT_UNREADABLE = 2
EXIT_CONFIG_ERRORS = 1


def _read(source: BinaryIO) -> str:
    # AIX files are not always UTF-8 (ISO-8859-1 comments happen); a wrong byte must not stop
    # the reading of everything else.
    return source.read().decode("utf-8", errors="replace")


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(EXIT_UNREADABLE)


@click.command("inspect")
@click.argument("source", type=click.File("rb"), metavar="FILE|-")
@click.option(
    "--as",
    "kind",
    type=click.Choice(KINDS),
    help="Read the text as this kind instead of detecting it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def inspect_command(source: BinaryIO, kind: Kind | None, as_json: bool) -> None:
    """Show what lkubot understands of an AIX output (FILE, or - for standard input).

    Recognises live update logs, lvupdate.data, config.diff, llvupdate previews and reports,
    genld -u, lparstat -i, oslevel -s, emgr -l and hmcauth -l, also pasted with the shell
    prompt around them. Exits 2 when the text is not one of these.
    """
    text = _read(source)
    if kind is None:
        found = detect(text)
        if found is None:
            _fail(
                "lkubot does not recognise this text as any AIX output it reads "
                f"({', '.join(KINDS)}). If you know what it is, say so with --as KIND."
            )
        kind, parsed = found
    else:
        parsed = parse_as(kind, text)
        if not fits(kind, text, parsed):
            _fail(
                f"This text does not read as {kind} output: nothing in it is what {kind} "
                "prints. Check that the paste is complete, or leave out --as to detect the kind."
            )
    if as_json:
        click.echo(to_view(parsed).model_dump_json())
        return
    console = Console(highlight=False)
    console.print(f"kind: {kind}")
    for part in render(parsed):
        console.print()
        console.print(part)


@click.command("check-config")
@click.argument("source", type=click.File("rb"), metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def check_config_command(source: BinaryIO, as_json: bool) -> None:
    """Check an lvupdate.data file; exits 1 when it has errors, 2 when it cannot be read.

    Flags what AIX would silently ignore or refuse (keys not indented, unknown stanzas and
    keys, bad yes/no values, cpu_reduction with clone_from_hmc_profile, duplicate keys,
    missing or shared disks, a non-numeric lpar_id, an incomplete hmc stanza), each with its
    line number and what to do.
    """
    name = getattr(source, "name", "-")
    findings = check_lvupdate_text(_read(source))
    if as_json:
        click.echo(check_config_view(name, findings).model_dump_json())
    else:
        for finding in findings:
            where = f"{name}:{finding.line}" if finding.line is not None else name
            click.echo(f"{where}: {finding.severity}: {finding.message}")
        errors = sum(f.severity == "error" for f in findings)
        warnings = sum(f.severity == "warning" for f in findings)
        click.echo(f"{name}: {errors} error(s), {warnings} warning(s)")
    if has_errors(findings):
        raise SystemExit(EXIT_CONFIG_ERRORS)
