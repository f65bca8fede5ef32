"""An admin closes a run lkubot lost track of: the run ends as they say, the LPAR is free,
and the audit trail holds their name and reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liveupdate.errors import WrongState
from liveupdate.requests import Launch, LoseContact, RequestState
from liveupdate.runs import Run, RunState, advance_run
from storage.resolutions import resolve_run
from storage.store import Store
from tests.policy.factory import ADMIN, REQUESTER
from tests.storage.conftest import LOG_DIR, NOW, open_approved

LATER = NOW + timedelta(minutes=5)
CHECKED = NOW + timedelta(hours=2)
REASON = "checked on the HMC: oslevel is the new one"


def lost_run(store: Store, policy) -> Run:
    request = open_approved(store, policy)
    event = Launch(user=REQUESTER, fingerprints=request.fingerprints)
    [run] = store.launch(request.id, event, policy, LATER, {"lpar01": LOG_DIR}).runs
    running = store.save_run(advance_run(run, RunState.RUNNING, LATER), LATER)
    return store.save_run(
        advance_run(running, RunState.UNKNOWN, LATER, error="no log"),
        LATER,
        request_event=LoseContact(detail="no log"),
    )


def close(store: Store, run: Run, outcome: RunState = RunState.SUCCEEDED) -> Run:
    return resolve_run(
        store,
        run.id,
        outcome=outcome,
        by=ADMIN,
        reason=REASON,
        now=CHECKED,
        step_type="run_ended",
        step_payload='{"outcome": "' + outcome.value + '"}',
    )


def test_a_lost_run_closed_by_an_admin_ends_frees_its_lpar_and_names_them(
    store: Store, policy
) -> None:
    run = lost_run(store, policy)
    assert store.get_request(run.request_id).state is RequestState.UNKNOWN
    closed = close(store, run)

    assert closed.state is RunState.SUCCEEDED
    assert closed.ended_at == CHECKED
    assert closed.last_error == f"Closed as succeeded by <@{ADMIN}>: {REASON}"
    assert store.get_run(run.id) == closed
    assert store.locks() == []
    assert [s.type for s in store.run_steps(run.id)] == ["run_ended"]
    # The request is back to running: its rollout decides how it ends.
    assert store.get_request(run.request_id).state is RequestState.RUNNING
    [row] = [r for r in store.audit_trail(run.request_id) if r.action == "run.resolved"]
    assert row.actor == ADMIN
    assert row.detail == {"run": run.id, "from": "unknown", "to": "succeeded", "reason": REASON}
    assert store.verify_audit().first_bad_id is None


def test_a_run_that_ended_or_an_outcome_that_is_not_one_is_refused(store: Store, policy) -> None:
    run = lost_run(store, policy)
    with pytest.raises(WrongState, match="closed as succeeded or failed, not cancelled"):
        close(store, run, RunState.CANCELLED)
    close(store, run, RunState.FAILED)
    with pytest.raises(WrongState, match="LU-1-1 has already ended \\(failed\\)"):
        close(store, run)
