"""`lkubot audit verify|export` and `lkubot history LPAR`: the audit trail from a shell.

Thin: open the store, call it, print. Storage errors become one-line messages and exit 1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from bot.settings import Settings
from storage.audit import parse_anchor
from storage.errors import BadAnchor, StorageError
from storage.reports import evidence, evidence_csv, evidence_json, history
from storage.store import Store

DB_HELP = "SQLite file (default: LKUBOT_DB, else lkubot.db). It must exist."


def _db_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), help=DB_HELP
    )(func)


@contextmanager
def _store(db_path: Path | None) -> Iterator[Store]:
    path = db_path or Settings().db
    try:
        store = Store.open(path, create=False)
    except StorageError as error:
        raise click.ClickException(str(error)) from error
    try:
        yield store
    finally:
        store.close()


@click.group("audit")
def audit_command() -> None:
    """Check the audit trail's hash chain, or export the evidence for auditors."""


def _anchor(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_anchor(value)
    except BadAnchor as error:
        raise click.BadParameter(str(error)) from error


@audit_command.command("verify")
@_db_option
@click.option(
    "--head",
    "anchor",
    callback=_anchor,
    metavar="HASH",
    help="An anchored head hash (lkubot's notice of a request's end shows one): also check "
    "that it is still in the chain, which catches rows cut off the end and a chain rewritten "
    "with recomputed hashes.",
)
def verify_command(db_path: Path | None, anchor: str | None) -> None:
    """Walk the hash chain: exit 0 with the row count when intact, exit 1 naming the first
    bad row when not, or when the --head HASH is not in it. The chain alone cannot show rows
    cut off its end, nor a chain rewritten whole: check the newest anchored head for that."""
    with _store(db_path) as store:
        report = store.verify_audit(anchor=anchor)
    if not report.intact:
        click.echo(
            f"Audit chain broken at row {report.first_bad_id}: {report.problem}. "
            f"{report.rows} rows before it are intact.",
            err=True,
        )
        sys.exit(1)
    if not report.anchored:
        click.echo(
            f"The anchored head {anchor} is not in the audit chain ({report.rows} rows): rows "
            "were removed after it, or the chain was rewritten since it was anchored. Compare "
            "with a backup of the database taken before that notice.",
            err=True,
        )
        sys.exit(1)
    click.echo(f"Audit chain intact: {report.rows} rows, head {report.head or '(empty)'}.")
    if anchor is not None:
        click.echo(
            f"The anchored head {anchor} is row {report.anchor_row}: nothing recorded up to it "
            "was changed or removed."
        )


@audit_command.command("export")
@_db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    required=True,
    help="json: one object per request with votes, runs, phases and audit rows; "
    "csv: one row per request.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
    help="Only requests opened at or after this date (UTC), e.g. 2026-01-01.",
)
def export_command(db_path: Path | None, fmt: str, since: datetime | None) -> None:
    """Print the evidence for each request: fingerprint, votes with comments, override, run
    phases, blackout and outcome."""
    with _store(db_path) as store:
        records = evidence(store, since=since.replace(tzinfo=UTC) if since else None)
        chunks = evidence_json(records) if fmt == "json" else evidence_csv(records)
        for chunk in chunks:
            click.echo(chunk, nl=False)


@click.command("history")
@click.argument("lpar")
@_db_option
@click.option("--limit", default=50, show_default=True, help="How many requests to show.")
def history_command(lpar: str, db_path: Path | None, limit: int) -> None:
    """Past requests and runs on one LPAR, newest first."""
    with _store(db_path) as store:
        entries = history(store, lpar, limit=limit)
    if not entries:
        click.echo(f"No requests for {lpar} in this database.")
        return
    table = Table(title=f"History of {lpar}, newest first")
    for column in ("Request", "Kind", "State", "Requested", "Approved by", "Run", "Ended"):
        table.add_column(column)
    for entry in entries:
        run = entry.run
        run_text = ""
        if run is not None:
            run_text = f"{run.id} {run.state.value}"
            if run.blackout_seconds is not None:
                run_text += f", blackout {run.blackout_seconds:g} s"
        decided = ", ".join(entry.approved_by)
        if entry.rejected_by:
            decided += f" (rejected by {entry.rejected_by})"
        if entry.override:
            decided += f" (override by {entry.override.by}: {entry.override.reason})"
        table.add_row(
            entry.request_id,
            entry.kind.value,
            entry.state.value,
            f"{entry.requester} {entry.created_at:%Y-%m-%d %H:%M}",
            decided,
            run_text,
            f"{entry.ended_at:%Y-%m-%d %H:%M}" if entry.ended_at else "",
        )
    Console(width=200).print(table)
