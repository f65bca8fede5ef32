"""Opening the database: private file, WAL, busy timeout, migrations, refusing newer ones."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlite_utils import Database

from storage.database import BUSY_TIMEOUT_MS, open_database
from storage.errors import DatabaseMissing, DatabaseTooNew, StorageError
from storage.schema import MIGRATIONS, STEPS
from storage.store import Store


def test_a_new_database_file_is_private_even_with_a_permissive_umask(db_path: Path) -> None:
    old = os.umask(0)
    try:
        open_database(db_path).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_wal_busy_timeout_and_foreign_keys_are_on(db_path: Path) -> None:
    db = open_database(db_path)
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_every_step_is_recorded_once_and_reopening_changes_nothing(db_path: Path) -> None:
    open_database(db_path).close()
    db = open_database(db_path)
    assert [m.name for m in MIGRATIONS.applied(db)] == STEPS
    assert MIGRATIONS.pending(db) == []


def test_an_older_database_is_migrated_in_place(db_path: Path) -> None:
    db = open_database(db_path)
    db.close()
    # Make it look as it did before the first step: only the migrations ledger, empty.
    conn = sqlite3.connect(db_path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    conn.executescript(
        "".join(
            f"DROP TABLE IF EXISTS {t};"
            for t in tables
            if t not in ("_sqlite_migrations", "sqlite_sequence")
        )
        + "DELETE FROM _sqlite_migrations;"
    )
    conn.close()
    db = open_database(db_path)
    assert "requests" in db.table_names()
    assert [m.name for m in MIGRATIONS.applied(db)] == STEPS


def test_a_database_from_a_newer_lkubot_is_refused(db_path: Path) -> None:
    db = open_database(db_path)
    db.table("_sqlite_migrations").insert(
        {"migration_set": "lkubot", "name": "m999_future", "applied_at": "2030-01-01"}
    )
    db.close()
    with pytest.raises(DatabaseTooNew, match=r"newer lkubot .* m999_future.*upgrade lkubot"):
        open_database(db_path)


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    bogus = tmp_path / "lpars.yml"
    bogus.write_text("groups: {}\n" * 200)
    with pytest.raises(StorageError, match=r"lpars\.yml cannot be used as lkubot's database"):
        open_database(bogus)


def test_read_only_commands_never_create_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    with pytest.raises(DatabaseMissing, match=r"no lkubot database at .*typo\.db"):
        open_database(missing, create=False)
    assert not missing.exists()


def test_the_unused_status_ts_column_of_runs_is_dropped_and_every_run_kept(
    db_path: Path,
) -> None:
    # A database as lkubot left it before step m004: a run with events, steps and messages.
    db = Database(sqlite3.connect(db_path))
    db.execute("PRAGMA foreign_keys = ON")
    MIGRATIONS.apply(db, stop_before="m004_runs_without_status_ts")
    db.table("requests").insert(
        {
            "id": "LU-1",
            "number": 1,
            "kind": "lku",
            "target": "lpar01",
            "grp": "prod",
            "requester": "U0CAROL01",
            "created_at": "2026-11-28T22:00:00.000000+00:00",
            "state": "running",
            "version": 4,
        }
    )
    run = {
        "id": "LU-1-1",
        "request_id": "LU-1",
        "number": 1,
        "lpar": "lpar01",
        "state": "running",
        "remote_pid": 4391388,
        "log_path": "/var/adm/ras/liveupdate/logs/lkubot-LU-1-1.log",
        "lines_consumed": 12,
        "point_of_no_return": 0,
        "blackout_seconds": None,
        "started_at": "2026-11-28T22:10:00.000000+00:00",
        "ended_at": None,
        "last_error": None,
        "version": 3,
    }
    db.table("runs").insert({**run, "status_ts": "1764367800.000100"})
    db.table("run_events").insert(
        {"run_id": "LU-1-1", "offset": 3, "type": "phase", "payload": "{}", "at": run["started_at"]}
    )
    db.table("run_steps").insert(
        {"run_id": "LU-1-1", "seq": 1, "type": "stage", "payload": "{}", "at": run["started_at"]}
    )
    db.table("run_messages").insert({"run_id": "LU-1-1", "channel": "C0AIXTEAM"})
    db.close()

    with Store.open(db_path) as store:
        assert "status_ts" not in store.db.table("runs").columns_dict
        assert store.get_run("LU-1-1").model_dump(mode="json") == {
            **run,
            "point_of_no_return": False,
            "started_at": "2026-11-28T22:10:00Z",
        }
        assert [e.offset for e in store.run_events("LU-1-1")] == [3]
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {tuple(i.columns): i.unique for i in store.db.table("runs").indexes}
        assert indexes == {
            ("id",): 1,
            ("request_id", "number"): 1,
            ("request_id", "lpar"): 1,
            ("lpar", "started_at"): 0,
            ("state",): 0,
        }
        assert "STRICT" in store.db.table("runs").schema
