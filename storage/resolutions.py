"""An admin closes a run that lkubot has lost track of (`/lku resolve`), after checking the
LPAR: the run ends as they say, its LPAR is free again, and the audit trail names them and
their reason.

A run can stay unfinished for good when lkubot cannot tell how it ended: its log vanished,
the operation is gone without an exit line, the LPAR is out of reach. The run holds its LPAR
until then, and nothing but an admin's word may end it. Call through `AsyncStore.call`.
"""

from __future__ import annotations

from datetime import datetime

from liveupdate.errors import WrongState
from liveupdate.requests import RequestState, Resume, observe
from liveupdate.runs import Run, RunState, advance_run
from storage.audit import append_audit
from storage.database import write_transaction
from storage.locks import release_lock
from storage.requests import load_request, save_request
from storage.runs import append_step, load_run, write_run
from storage.store import Store


def resolve_run(
    store: Store,
    run_id: str,
    *,
    outcome: RunState,
    by: str,
    reason: str,
    now: datetime,
    step_type: str,
    step_payload: str,
) -> Run:
    """End the unfinished `run_id` as `outcome` (succeeded or failed) on `by`'s word, with its
    last journal step (the run engine's `RunEnded`), the LPAR's lock released, and its
    request back to running when it was out of contact only because of this run. Raises
    `WrongState` for a run that has ended, or for an outcome it cannot take."""
    if outcome not in (RunState.SUCCEEDED, RunState.FAILED):
        raise WrongState(f"A run is closed as succeeded or failed, not {outcome.value}.")
    db = store.db
    with write_transaction(db):
        before = load_run(db, run_id)
        if before.state.terminal:
            raise WrongState(
                f"{run_id} has already ended ({before.state.value}): there is nothing to close."
            )
        run = advance_run(
            before, outcome, now, error=f"Closed as {outcome.value} by <@{by}>: {reason}"
        )
        write_run(db, run, expected_version=before.version)
        append_step(db, run_id, step_type, step_payload, now)
        append_audit(
            db,
            at=now,
            actor=by,
            action="run.resolved",
            request_id=run.request_id,
            lpar=run.lpar,
            detail={
                "run": run.id,
                "from": before.state.value,
                "to": outcome.value,
                "reason": reason,
            },
        )
        release_lock(db, run.lpar, owner=run.id, actor=by, now=now)
        request = load_request(db, run.request_id)
        still_unknown = db.execute(
            "SELECT 1 FROM runs WHERE request_id = ? AND id != ? AND state = ?",
            [run.request_id, run.id, RunState.UNKNOWN.value],
        ).fetchone()
        if request.state is RequestState.UNKNOWN and still_unknown is None:
            after = observe(request, Resume(), now)
            save_request(db, request, after, event=Resume(), actor=by, now=now)
    return run
