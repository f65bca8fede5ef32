"""Opening the database: private file, WAL, busy timeout, migrations, refusing newer ones."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from storage.database import BUSY_TIMEOUT_MS, open_database
from storage.errors import DatabaseMissing, DatabaseTooNew, StorageError
from storage.schema import MIGRATIONS, STEPS


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
