"""The per-LPAR locks (a run's, or an admin's hold) and the global freeze.

`Locks` holds the public calls (part of `storage.store.Store`); the functions below work
inside the caller's write transaction, so a launch takes its locks together with the request
change, and a run that ends releases its lock together with its last state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlite_utils import Database

from liveupdate.errors import WrongState
from liveupdate.policy import Freeze
from liveupdate.runs import Lock, RunState
from storage.audit import SYSTEM_ACTOR, append_audit, to_text
from storage.database import write_transaction
from storage.errors import LparLocked, NotFound

CLEANUP_OWNER = "cleanup of "
"""A clean-up's lock is owned by `cleanup of LU-17-1` (`storage.cleanups`)."""
UNFINISHED = (RunState.STARTING.value, RunState.RUNNING.value, RunState.UNKNOWN.value)
"""Run states that hold their LPAR."""


class Locks:
    db: Database

    def locks(self) -> list[Lock]:
        return [
            Lock.model_validate(row)
            for row in self.db.query("SELECT * FROM locks ORDER BY since, lpar")
        ]

    def hold(self, lpar: str, *, by: str, reason: str, now: datetime) -> Lock:
        """An admin's hold on an LPAR: no launches there until `release`."""
        with write_transaction(self.db):
            return take_lock(self.db, lpar, owner=by, reason=reason, actor=by, now=now)

    def release(self, lpar: str, *, by: str, now: datetime) -> None:
        """Lift an admin's hold. A run's lock is released by the run ending, never by hand."""
        with write_transaction(self.db):
            lock = lock_of(self.db, lpar)
            if lock is None:
                raise NotFound(f"{lpar} is not held.")
            if self.db.execute("SELECT 1 FROM runs WHERE id = ?", [lock.owner]).fetchone():
                raise WrongState(
                    f"{lpar} is held by run {lock.owner}, which releases it when it ends: "
                    "cancel the run instead, or close it with /lku resolve when lkubot has "
                    "lost track of it."
                )
            if lock.owner.startswith(CLEANUP_OWNER):
                raise WrongState(
                    f"{lpar} is being cleaned up ({lock.reason}): it is free again when the "
                    "clean-up ends."
                )
            release_lock(self.db, lpar, owner=lock.owner, actor=by, now=now)

    def check_free(self, lpars: Sequence[str]) -> None:
        """Refuse (`LparLocked`, naming the holder) unless every LPAR of `lpars` is free."""
        require_free(self.db, lpars)

    def freeze(self) -> Freeze:
        return current_freeze(self.db)

    def set_freeze(self, *, active: bool, by: str, reason: str | None, now: datetime) -> Freeze:
        """Switch the global freeze (the caller checks that `by` is an admin)."""
        freeze = Freeze(active=active, reason=reason, by=by, since=now)
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE freeze SET active = ?, reason = ?, by = ?, since = ? WHERE id = 1",
                [int(active), reason, by, to_text(now)],
            )
            append_audit(
                self.db,
                at=now,
                actor=by,
                action="freeze.on" if active else "freeze.off",
                detail={"reason": reason},
            )
        return freeze


def current_freeze(db: Database) -> Freeze:
    row = next(db.query("SELECT active, reason, by, since FROM freeze WHERE id = 1"))
    return Freeze.model_validate({**row, "active": bool(row["active"])})


def lock_of(db: Database, lpar: str) -> Lock | None:
    row = next(db.query("SELECT * FROM locks WHERE lpar = ?", [lpar]), None)
    return Lock.model_validate(row) if row else None


def require_free(db: Database, lpars: Iterable[str]) -> None:
    """`LparLocked` when any of `lpars` is held (by a run, an admin or a clean-up) or has a
    run that has not ended; a run keeps its lock until it ends, so the second look only
    catches records that disagree with each other."""
    for lpar in lpars:
        held = lock_of(db, lpar)
        if held is not None:
            raise LparLocked(held_sentence(held))
        row = next(
            db.query(
                "SELECT id, state FROM runs WHERE lpar = ? AND state IN (?, ?, ?) "
                "ORDER BY started_at LIMIT 1",
                [lpar, *UNFINISHED],
            ),
            None,
        )
        if row is not None:
            raise LparLocked(
                f"{lpar} has run {row['id']}, which has not ended ({row['state']}): wait until "
                "it ends, or have an admin close it with /lku resolve."
            )


def held_sentence(lock: Lock) -> str:
    return (
        f"{lock.lpar} is held by {lock.owner} since {lock.since:%Y-%m-%d %H:%M %Z} "
        f"({lock.reason}): wait until it is released."
    )


def take_lock(
    db: Database,
    lpar: str,
    *,
    owner: str,
    reason: str,
    now: datetime,
    actor: str = SYSTEM_ACTOR,
    request_id: str | None = None,
) -> Lock:
    """Lock `lpar` for `owner`, or `LparLocked` naming who holds it already."""
    held = lock_of(db, lpar)
    if held is not None:
        raise LparLocked(held_sentence(held))
    lock = Lock(lpar=lpar, owner=owner, reason=reason, since=now)
    db.table("locks").insert({**lock.model_dump(), "since": to_text(now)})
    append_audit(
        db,
        at=now,
        actor=actor,
        action="lock.taken",
        request_id=request_id,
        lpar=lpar,
        detail={"owner": owner, "reason": reason},
    )
    return lock


def release_lock(db: Database, lpar: str, *, owner: str, actor: str, now: datetime) -> None:
    """Release `owner`'s lock on `lpar`; nothing happens when `owner` does not hold it."""
    cursor = db.execute("DELETE FROM locks WHERE lpar = ? AND owner = ?", [lpar, owner])
    if cursor.rowcount:
        append_audit(
            db,
            at=now,
            actor=actor,
            action="lock.released",
            lpar=lpar,
            detail={"owner": owner},
        )
