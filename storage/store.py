"""lkubot's records: requests, votes, runs, run events, locks, the freeze, and their audit rows.

Every change happens in one write transaction (`BEGIN IMMEDIATE`) that re-reads the current
row, decides with the pure rules in `liveupdate`, writes with compare-and-set on `version`
and appends its audit row. So a double click, a Slack retry or two bot tasks racing each see
the other's result: the second vote of a person is refused, a second launch finds the request
already running, and a vote on a finished request is refused.

`Store` is the one object callers use; its calls live with the tables they change:
`storage.requests` (requests and votes), `storage.runs` (launches, runs, their lines and
steps), `storage.locks` (locks and the freeze), with the row layout in `storage.rows` and the
hash chain in `storage.audit`.

Threading: a `Store` holds one SQLite connection and must stay on the thread that opened it.
The asyncio bot uses `AsyncStore`, which owns one `Store` on one dedicated worker thread and
runs every call there, in order; the CLI and tests use `Store` directly. Other processes may
open the same file at the same time (they queue on SQLite's write lock).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Concatenate, ParamSpec, Self, TypeVar

from sqlite_utils import Database

from storage.audit import (
    AuditHead,
    AuditRow,
    ChainReport,
    audit_head,
    audit_rows,
    parse_anchor,
    verify_chain,
)
from storage.database import open_database
from storage.locks import Locks
from storage.requests import Requests
from storage.runs import Runs

P = ParamSpec("P")
T = TypeVar("T")


class Store(Requests, Runs, Locks):
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = True) -> Self:
        return cls(open_database(path, create=create))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Audit ----------------------------------------------------------------------------------

    def verify_audit(self, *, anchor: str | None = None) -> ChainReport:
        """Walk the chain; with `anchor` (a head hash as a notice showed it, `BadAnchor` when
        it is none) also look for that head in it."""
        return verify_chain(self.db, anchor=parse_anchor(anchor) if anchor is not None else None)

    def audit_head(self) -> AuditHead | None:
        """The chain's newest row: what the bot's notices anchor."""
        return audit_head(self.db)

    def audit_trail(self, request_id: str) -> list[AuditRow]:
        return list(audit_rows(self.db, request_id=request_id))

    def audit_since(self, since: datetime | None = None) -> Iterator[AuditRow]:
        return audit_rows(self.db, since=since)


class AsyncStore:
    """The store for asyncio code: one dedicated thread owns the connection and runs every
    call, one at a time, in the order they were made. The event loop never blocks on SQLite.

        store = await AsyncStore.open(settings.db)
        request = await store.call(Store.apply, "LU-17", Approve(user=user), policy, now)
    """

    def __init__(self, executor: ThreadPoolExecutor, store: Store) -> None:
        self._executor = executor
        self._store = store

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> AsyncStore:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lkubot-db")
        loop = asyncio.get_running_loop()
        store = await loop.run_in_executor(executor, Store.open, path)
        return cls(executor, store)

    async def call(
        self, method: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, partial(method, self._store, *args, **kwargs)
        )

    async def close(self) -> None:
        await self.call(Store.close)
        self._executor.shutdown(wait=True)
