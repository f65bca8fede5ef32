"""Opening the SQLite file: created private (mode 0600), WAL, busy timeout, migrated in place,
refused when a newer lkubot wrote it.

Threading: a `Database` (one sqlite3 connection) belongs to the thread that opened it. The bot
uses `storage.store.AsyncStore`, which keeps one store on one dedicated thread; the CLI and
tests use a `Store` directly. Several processes may share the file: writers take the write
lock up front (`BEGIN IMMEDIATE`) and wait up to the busy timeout for each other.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from storage.errors import DatabaseMissing, DatabaseTooNew, StorageError
from storage.schema import MIGRATIONS, STEPS

BUSY_TIMEOUT_MS = 10_000
"""How long a writer waits for another one; writes here take milliseconds."""


def open_database(path: str | os.PathLike[str], *, create: bool = True) -> Database:
    """Open (and on first use create) lkubot's database at `path`, migrated to this version."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise DatabaseMissing(
                f"There is no lkubot database at {path}: check --db or LKUBOT_DB."
            )
        _create_private(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        # synchronous stays FULL: a committed launch must survive a power cut, or a restarted
        # bot could launch the same update twice.
        with write_transaction(db):
            _refuse_newer(db, path)
            MIGRATIONS.apply(db)
    except sqlite3.DatabaseError as error:
        raise StorageError(
            f"{path} cannot be used as lkubot's database ({error}): is it an SQLite file "
            "written by lkubot? Point LKUBOT_DB or --db at the right file."
        ) from error
    return db


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One transaction that holds the write lock from its first statement.

    A read-check-write (compare-and-set) in a deferred transaction would fail with
    SQLITE_BUSY when it upgrades to writing in WAL mode; IMMEDIATE waits for the lock instead,
    so concurrent writers queue up and each sees the other's committed result.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def _create_private(path: Path) -> None:
    # Created by us with 0600 before SQLite opens it; SQLite gives -wal and -shm the same mode.
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _refuse_newer(db: Database, path: Path) -> None:
    unknown = [m.name for m in MIGRATIONS.applied(db) if m.name not in STEPS]
    if unknown:
        raise DatabaseTooNew(
            f"{path} was written by a newer lkubot (it has schema step {unknown[0]}, which "
            "this version does not know): upgrade lkubot, or point LKUBOT_DB at another file."
        )
