"""The schema, one migration per step, through sqlite-utils' `Migrations`.

Never edit an applied step: add a new one. The names of the applied steps are how lkubot
recognises a database written by a newer version (a step it does not know).

Times are TEXT in ISO 8601 UTC with microseconds (`2026-11-28T22:00:00.000000+00:00`), so
their text order is their time order.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("lkubot")
STEPS: list[str] = []
"""The names of the steps this version knows, in order."""


def step(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    STEPS.append(fn.__name__)
    return MIGRATIONS()(fn)


@step
def m001_initial(db: Database) -> None:
    db.table("requests").create(
        {
            "id": str,
            "number": int,
            "kind": str,
            "target": str,
            "grp": str,
            "requester": str,
            "created_at": str,
            "state": str,
            "fingerprint": str,
            "expires_at": str,
            "card_channel": str,
            "card_ts": str,
            "override": str,
            "launched_by": str,
            "launched_at": str,
            "ended_at": str,
            "note": str,
            "version": int,
        },
        pk="id",
        not_null=["number", "kind", "target", "grp", "requester", "created_at", "state"],
        strict=True,
    )
    db.table("requests").create_index(["number"], unique=True)
    db.table("requests").create_index(["state", "expires_at"])

    # One row per previewed LPAR: the evidence an approval was given for, and the index
    # `history LPAR` starts from.
    db.table("previews").create(
        {"request_id": str, "lpar": str, "fingerprint": str, "outcome": str, "body": str},
        pk=("request_id", "lpar"),
        foreign_keys=[("request_id", "requests", "id")],
        not_null=["fingerprint", "outcome", "body"],
        strict=True,
    )
    db.table("previews").create_index(["lpar", "request_id"])

    db.table("votes").create(
        {
            "id": int,
            "request_id": str,
            "user": str,
            "decision": str,
            "comment": str,
            "at": str,
            "fingerprint": str,
        },
        pk="id",
        foreign_keys=[("request_id", "requests", "id")],
        not_null=["request_id", "user", "decision", "at", "fingerprint"],
        strict=True,
    )
    # The idempotency key of a vote: a double click or a Slack retry cannot add a second one.
    db.table("votes").create_index(["request_id", "user"], unique=True)

    db.table("runs").create(
        {
            "id": str,
            "request_id": str,
            "number": int,
            "lpar": str,
            "state": str,
            "remote_pid": int,
            "log_path": str,
            "lines_consumed": int,
            "point_of_no_return": int,
            "blackout_seconds": float,
            "started_at": str,
            "ended_at": str,
            "status_ts": str,
            "last_error": str,
            "version": int,
        },
        pk="id",
        foreign_keys=[("request_id", "requests", "id")],
        not_null=["request_id", "number", "lpar", "state", "log_path", "started_at", "version"],
        strict=True,
    )
    db.table("runs").create_index(["request_id", "number"], unique=True)
    # A request launches each of its LPARs at most once, whatever retries or restarts happen.
    db.table("runs").create_index(["request_id", "lpar"], unique=True)
    db.table("runs").create_index(["lpar", "started_at"])
    db.table("runs").create_index(["state"])

    db.table("run_events").create(
        {"id": int, "run_id": str, "offset": int, "type": str, "payload": str, "at": str},
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        not_null=["run_id", "offset", "type", "payload", "at"],
        strict=True,
    )
    db.table("run_events").create_index(["run_id", "offset"])

    db.table("locks").create(
        {"lpar": str, "owner": str, "reason": str, "since": str},
        pk="lpar",
        not_null=["owner", "reason", "since"],
        strict=True,
    )

    db.execute(
        """CREATE TABLE freeze (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            active INTEGER NOT NULL,
            reason TEXT,
            by TEXT,
            since TEXT
        ) STRICT"""
    )
    db.execute("INSERT INTO freeze (id, active) VALUES (1, 0)")

    db.execute(
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            request_id TEXT,
            lpar TEXT,
            detail TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        ) STRICT"""
    )
    db.table("audit").create_index(["request_id"])
    db.table("audit").create_index(["lpar", "id"])
    # The chain makes edits evident; these make them impossible through SQLite itself.
    db.execute(
        """CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
           BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: they cannot be changed'); END"""
    )
    db.execute(
        """CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
           BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: they cannot be deleted'); END"""
    )


@step
def m002_run_steps(db: Database) -> None:
    # What a run did outside its log (stage commands, captures, lost links, cancels, the
    # outcome), so that a run's whole story can be told again after a restart.
    db.table("run_steps").create(
        {"run_id": str, "seq": int, "type": str, "payload": str, "at": str},
        pk=("run_id", "seq"),
        foreign_keys=[("run_id", "runs", "id")],
        not_null=["type", "payload", "at"],
        strict=True,
    )


@step
def m003_run_messages(db: Database) -> None:
    # Where a run's messages are in Slack: a restarted bot edits the status message it posted
    # before instead of posting another, and posts the final summary exactly once. Kept apart
    # from `runs`, whose rows the run engine rewrites whole.
    db.table("run_messages").create(
        {"run_id": str, "channel": str, "status_ts": str, "summary_ts": str},
        pk="run_id",
        foreign_keys=[("run_id", "runs", "id")],
        not_null=["channel"],
        strict=True,
    )


@step
def m004_runs_without_status_ts(db: Database) -> None:
    # Where a run's status message is lives in `run_messages` (m003); `runs.status_ts` was
    # never read. transform() rebuilds the table with its indexes, keeps it STRICT, and the
    # tables that refer to `runs` find the new one under the same name.
    db.table("runs").transform(drop={"status_ts"})


@step
def m005_slack_shown(db: Database) -> None:
    # What Slack was shown besides a run's own messages (`storage.shown`): a restarted bot
    # edits the cards behind their request and posts the notices it owes.
    db.table("card_versions").create(
        {"request_id": str, "version": int},
        pk="request_id",
        foreign_keys=[("request_id", "requests", "id")],
        not_null=["version"],
        strict=True,
    )
    db.table("notices").create(
        {"subject": str, "kind": str, "done_at": str},
        pk=("subject", "kind"),
        not_null=["done_at"],
        strict=True,
    )
    # What an older lkubot showed is taken as shown: the first start after the upgrade must
    # not announce the past again.
    db.execute(
        "INSERT INTO notices (subject, kind, done_at) "
        "SELECT id, 'launched', launched_at FROM requests WHERE launched_at IS NOT NULL"
    )
    db.execute(
        "INSERT INTO notices (subject, kind, done_at) "
        "SELECT id, 'blackout', COALESCE(ended_at, started_at) FROM runs "
        "WHERE blackout_seconds IS NOT NULL"
    )
    db.execute(
        "INSERT INTO notices (subject, kind, done_at) "
        "SELECT id, 'ended', COALESCE(ended_at, started_at) FROM runs "
        "WHERE state IN ('succeeded', 'failed', 'cancelled')"
    )


@step
def m006_notice_ts(db: Database) -> None:
    # Where each notice is in Slack, so that a notice posted twice (lkubot died between the
    # post and this record) can be told from one posted twice by mistake.
    db.table("notices").add_column("ts", str)
