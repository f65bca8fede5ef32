"""A clean-up after a failed run holds the LPAR while it runs and leaves an audit row naming
who ran it and what it gave."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liveupdate.errors import WrongState
from liveupdate.requests import Launch
from liveupdate.runs import Run, RunState, advance_run
from storage.cleanups import begin_cleanup, end_cleanup, end_stale_cleanups
from storage.errors import CleanupRefused, LparLocked
from storage.store import Store
from tests.policy.factory import ADMIN, REQUESTER
from tests.storage.conftest import LOG_DIR, NOW, open_approved

LATER = NOW + timedelta(minutes=5)
ENDED = NOW + timedelta(minutes=20)


def ended_run(store: Store, policy, state: RunState = RunState.FAILED) -> Run:
    request = open_approved(store, policy)
    event = Launch(user=REQUESTER, fingerprints=request.fingerprints)
    [run] = store.launch(request.id, event, policy, LATER, {"lpar01": LOG_DIR}).runs
    running = store.save_run(advance_run(run, RunState.RUNNING, LATER), LATER)
    return store.save_run(advance_run(running, state, ENDED), ENDED)


def test_a_clean_up_holds_the_lpar_and_its_audit_row_names_who_and_the_outcome(
    store: Store, policy
) -> None:
    run = ended_run(store, policy)
    lock = begin_cleanup(store, run.id, by=ADMIN, command="clvupdate", now=ENDED)
    assert (lock.lpar, lock.owner) == ("lpar01", "cleanup of LU-1-1")
    with pytest.raises(LparLocked, match="lpar01 is held by cleanup of LU-1-1"):
        begin_cleanup(store, run.id, by=ADMIN, command="clvupdate", now=ENDED)
    with pytest.raises(WrongState, match="lpar01 is being cleaned up"):
        store.release("lpar01", by=ADMIN, now=ENDED)

    end_cleanup(store, run.id, by=ADMIN, command="clvupdate", exit_status=0, error=None, now=ENDED)
    assert store.locks() == []
    [row] = [r for r in store.audit_trail(run.request_id) if r.action == "lpar.cleanup"]
    assert (row.actor, row.lpar) == (ADMIN, "lpar01")
    assert row.detail == {"run": "LU-1-1", "command": "clvupdate", "exit_status": 0}
    assert store.verify_audit().first_bad_id is None


@pytest.mark.parametrize("state", [RunState.SUCCEEDED, RunState.UNKNOWN])
def test_only_a_run_that_failed_or_was_cancelled_is_cleaned_up(
    store: Store, policy, state: RunState
) -> None:
    run = ended_run(store, policy, state)
    with pytest.raises(CleanupRefused, match=f"LU-1-1 on lpar01 is {state.value}: only a run"):
        begin_cleanup(store, run.id, by=ADMIN, command="clvupdate", now=ENDED)
    assert [lock.owner for lock in store.locks()] == ([] if state.terminal else ["LU-1-1"])


def test_an_admin_hold_refuses_the_clean_up(store: Store, policy) -> None:
    run = ended_run(store, policy, RunState.CANCELLED)
    store.hold("lpar01", by=ADMIN, reason="firmware update", now=ENDED)
    with pytest.raises(LparLocked, match=r"lpar01 is held by U0ADMIN01 .* \(firmware update\)"):
        begin_cleanup(store, run.id, by=ADMIN, command="clvupdate", now=ENDED)


def test_the_offer_under_an_older_run_is_out_of_date(store: Store, policy) -> None:
    first = ended_run(store, policy)
    second = ended_run(store, policy)
    with pytest.raises(CleanupRefused, match=f"lpar01 has had run {second.id} since {first.id}"):
        begin_cleanup(store, first.id, by=ADMIN, command="clvupdate", now=ENDED)


def test_a_clean_up_left_running_by_a_stopped_lkubot_is_closed_as_unknown(
    store: Store, policy
) -> None:
    run = ended_run(store, policy)
    begin_cleanup(store, run.id, by=ADMIN, command="cllvupdate -u", now=ENDED)
    assert end_stale_cleanups(store, ENDED) == ["lpar01"]
    assert store.locks() == []
    [row] = [r for r in store.audit_trail(run.request_id) if r.action == "lpar.cleanup"]
    assert row.detail["exit_status"] is None
    assert "lkubot stopped while the clean-up ran" in row.detail["error"]
    assert end_stale_cleanups(store, ENDED) == []
