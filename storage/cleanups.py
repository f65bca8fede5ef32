"""An admin's clean-up after a failed run (`clvupdate`, `cllvupdate -u`), held and audited.

A clean-up changes a production LPAR, so it is treated like a run: it takes the LPAR's lock
for as long as it runs (refused, naming the holder, while an admin's hold, a run, or another
clean-up has it), only follows a run that did end failed or cancelled and is the LPAR's
latest, and leaves an `lpar.cleanup` audit row naming who ran it, the command and what it
gave. A clean-up that was running when lkubot stopped cannot be told apart from one that
ended; at the next start it is closed with an unknown outcome (`end_stale_cleanups`).

Call these through `AsyncStore.call` like `Store` methods.
"""

from __future__ import annotations

from datetime import datetime

from liveupdate.runs import Lock, RunState
from storage.audit import SYSTEM_ACTOR, append_audit
from storage.database import write_transaction
from storage.errors import CleanupRefused
from storage.locks import CLEANUP_OWNER, release_lock, take_lock
from storage.runs import load_run
from storage.store import Store

CLEANABLE = (RunState.FAILED, RunState.CANCELLED, RunState.UNVERIFIED)
"""Run outcomes that may leave something to clean up on the LPAR."""


def begin_cleanup(store: Store, run_id: str, *, by: str, command: str, now: datetime) -> Lock:
    """Take the LPAR of `run_id` for its clean-up by `by`, or refuse (`CleanupRefused`,
    `LparLocked`) and change nothing."""
    db = store.db
    with write_transaction(db):
        run = load_run(db, run_id)
        if run.state not in CLEANABLE:
            raise CleanupRefused(
                f"{run.id} on {run.lpar} is {run.state.value}: only a run that failed, was "
                "cancelled or is unverified is cleaned up."
            )
        # Runs are inserted in the order they start: a later rowid is a later run.
        newer = db.execute(
            "SELECT id FROM runs WHERE lpar = ? AND rowid > (SELECT rowid FROM runs WHERE id = ?) "
            "ORDER BY rowid DESC",
            [run.lpar, run.id],
        ).fetchone()
        if newer is not None:
            raise CleanupRefused(
                f"{run.lpar} has had run {newer[0]} since {run.id}, so this clean-up offer is "
                f"out of date: look at {newer[0]} instead."
            )
        return take_lock(
            db,
            run.lpar,
            owner=CLEANUP_OWNER + run.id,
            reason=f"clean-up `{command}` by <@{by}>",
            actor=by,
            now=now,
            request_id=run.request_id,
        )


def end_cleanup(
    store: Store,
    run_id: str,
    *,
    by: str,
    command: str,
    exit_status: int | None,
    error: str | None,
    now: datetime,
) -> None:
    """Record how the clean-up of `run_id` ended and free its LPAR, in one transaction."""
    db = store.db
    with write_transaction(db):
        run = load_run(db, run_id)
        append_audit(
            db,
            at=now,
            actor=by,
            action="lpar.cleanup",
            request_id=run.request_id,
            lpar=run.lpar,
            detail={
                "run": run.id,
                "command": command,
                "exit_status": exit_status,
                **({"error": error} if error else {}),
            },
        )
        release_lock(db, run.lpar, owner=CLEANUP_OWNER + run.id, actor=by, now=now)


def end_stale_cleanups(store: Store, now: datetime) -> list[str]:
    """At start-up (one lkubot per database: `storage.instance_lock`), close the clean-ups an
    earlier lkubot left running, their outcome unknown; returns their LPARs."""
    db = store.db
    with write_transaction(db):
        stale = [
            (row["lpar"], row["owner"])
            for row in db.query(
                "SELECT lpar, owner FROM locks WHERE owner LIKE ? ORDER BY lpar",
                [CLEANUP_OWNER + "%"],
            )
        ]
        for lpar, owner in stale:
            run = load_run(db, owner.removeprefix(CLEANUP_OWNER))
            append_audit(
                db,
                at=now,
                actor=SYSTEM_ACTOR,
                action="lpar.cleanup",
                request_id=run.request_id,
                lpar=lpar,
                detail={
                    "run": run.id,
                    "exit_status": None,
                    "error": "lkubot stopped while the clean-up ran: check the LPAR.",
                },
            )
            release_lock(db, lpar, owner=owner, actor=SYSTEM_ACTOR, now=now)
    return [lpar for lpar, _ in stale]
