"""Requests, runs, locks and the freeze as stored: each change is compare-and-set together
with its audit row."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from liveupdate.errors import AlreadyVoted, LaunchBlocked, WrongState
from liveupdate.policy import Freeze
from liveupdate.requests import (
    Approve,
    Finish,
    Launch,
    RequestState,
    SlackLocation,
)
from liveupdate.runs import RunEvent, RunState, advance_run
from storage.errors import ConcurrentChange, LparLocked, NotFound
from storage.store import AsyncStore, Store
from tests.policy.factory import ADMIN, ALICE, CAROL, REQUESTER, make_preview
from tests.storage.conftest import LOG_DIR, NOW, open_approved, open_pending

LATER = NOW + timedelta(minutes=5)


def launch(store: Store, policy, request_id: str = "LU-1", **kwargs):
    request = store.get_request(request_id)
    event = Launch(user=REQUESTER, fingerprints=request.fingerprints, **kwargs)
    lpar = request.lpars[0]
    return store.launch(request_id, event, policy, LATER, {lpar: LOG_DIR})


def test_requests_get_short_sequential_ids_and_read_back_equal(store: Store, policy) -> None:
    first = open_pending(store, policy)
    second = open_pending(store, policy, "lpar02")
    assert (first.id, second.id) == ("LU-1", "LU-2")
    assert store.get_request("LU-2") == second
    assert [r.id for r in store.list_requests()] == ["LU-2", "LU-1"]
    with pytest.raises(NotFound, match="There is no request LU-9"):
        store.get_request("LU-9")


def test_votes_are_stored_and_a_second_click_changes_nothing(store: Store, policy) -> None:
    request = open_pending(store, policy)
    after = store.apply(request.id, Approve(user=ALICE), policy, NOW)
    with pytest.raises(AlreadyVoted):
        store.apply(request.id, Approve(user=ALICE), policy, NOW)
    assert store.get_request(request.id) == after
    assert after.version == 2


def test_a_launch_starts_a_run_with_its_lock_and_log_path(store: Store, policy) -> None:
    open_approved(store, policy)
    launched = launch(store, policy)
    assert launched.request.state is RequestState.RUNNING
    (run,) = launched.runs
    assert run.id == "LU-1-1"
    assert run.log_path == "/var/adm/ras/liveupdate/logs/lkubot-LU-1-1.log"
    assert [(lock.lpar, lock.owner) for lock in store.locks()] == [("lpar01", "LU-1-1")]
    assert store.runs_of("LU-1") == [run]


def test_a_request_launches_once(store: Store, policy) -> None:
    open_approved(store, policy)
    launch(store, policy)
    with pytest.raises(WrongState, match="cannot launch LU-1 while it is running"):
        launch(store, policy)
    assert len(store.runs_of("LU-1")) == 1


def test_a_second_launch_on_a_locked_lpar_names_the_holder_and_changes_nothing(
    store: Store, policy
) -> None:
    open_approved(store, policy)
    second = open_approved(store, policy)
    launch(store, policy)
    with pytest.raises(LparLocked, match=r"lpar01 is held by LU-1-1 since .* \(lku LU-1\)"):
        launch(store, policy, second.id)
    assert store.get_request(second.id) == second
    assert store.runs_of(second.id) == []


def test_a_changed_fingerprint_at_launch_is_stored_as_void_and_starts_nothing(
    store: Store, policy
) -> None:
    open_approved(store, policy)
    changed = make_preview(oslevel="7300-03-01-2520").fingerprint
    event = Launch(user=REQUESTER, fingerprints={"lpar01": changed})
    launched = store.launch("LU-1", event, policy, LATER, {"lpar01": LOG_DIR})
    assert launched.request.state is RequestState.VOID
    assert launched.runs == ()
    assert store.get_request("LU-1").state is RequestState.VOID
    assert store.locks() == []


def test_the_stored_freeze_applies_whatever_the_caller_believed(store: Store, policy) -> None:
    open_approved(store, policy)
    assert policy.freeze == Freeze()
    store.set_freeze(active=True, by=ADMIN, reason="year-end close", now=NOW)
    with pytest.raises(LaunchBlocked, match="frozen"):
        launch(store, policy)
    store.set_freeze(active=False, by=ADMIN, reason=None, now=NOW)
    assert launch(store, policy).request.state is RequestState.RUNNING
    actions = [r.action for r in store.audit_since()]
    assert actions.count("freeze.on") == actions.count("freeze.off") == 1


def test_log_lines_and_their_offset_are_saved_together_and_never_replayed(
    store: Store, policy
) -> None:
    open_approved(store, policy)
    (run,) = launch(store, policy).runs

    def line(offset: int) -> RunEvent:
        return RunEvent(offset=offset, type="phase", payload=f'{{"line": {offset}}}', at=LATER)

    run = store.record_run_lines(run.id, [line(1), line(3)], lines_consumed=3)
    # After a reattach the follower re-reads from line 2: line 3 must not be stored twice.
    run = store.record_run_lines(run.id, [line(3), line(5)], lines_consumed=5)
    assert [e.offset for e in store.run_events(run.id)] == [1, 3, 5]
    assert [e.offset for e in store.run_events(run.id, after_offset=3)] == [5]
    assert store.get_run(run.id).lines_consumed == 5
    with pytest.raises(ConcurrentChange, match="would go back"):
        store.record_run_lines(run.id, [], lines_consumed=4)


def test_a_stale_run_update_is_refused(store: Store, policy) -> None:
    open_approved(store, policy)
    (run,) = launch(store, policy).runs
    store.save_run(advance_run(run, RunState.RUNNING, LATER, remote_pid=4242), LATER)
    with pytest.raises(ConcurrentChange, match="changed meanwhile"):
        store.save_run(advance_run(run, RunState.FAILED, LATER, error="lost"), LATER)


def test_a_finished_run_releases_its_lpar_and_finishes_the_request(store: Store, policy) -> None:
    open_approved(store, policy)
    (run,) = launch(store, policy).runs
    run = store.save_run(advance_run(run, RunState.RUNNING, LATER, remote_pid=4242), LATER)
    done = advance_run(run, RunState.SUCCEEDED, LATER, blackout_seconds=14.2)
    store.save_run(done, LATER, request_event=Finish(outcome="succeeded"))
    assert store.locks() == []
    assert store.get_run(run.id).ended_at == LATER
    assert store.get_request("LU-1").state is RequestState.SUCCEEDED
    assert store.get_run(run.id).state is RunState.SUCCEEDED
    details = [r.detail for r in store.audit_trail("LU-1") if r.action == "run.updated"]
    assert details[-1]["blackout_seconds"] == 14.2


def test_an_admin_hold_blocks_launches_until_released(store: Store, policy) -> None:
    open_approved(store, policy)
    store.hold("lpar01", by=ADMIN, reason="HMC firmware upgrade", now=NOW)
    with pytest.raises(LparLocked, match="held by U0ADMIN01"):
        launch(store, policy)
    store.release("lpar01", by=ADMIN, now=NOW)
    assert launch(store, policy).request.state is RequestState.RUNNING
    with pytest.raises(WrongState, match="releases it when it ends"):
        store.release("lpar01", by=ADMIN, now=NOW)


def test_due_requests_expire_and_fresh_ones_stay(store: Store, policy) -> None:
    stale = open_pending(store, policy)
    fresh = open_approved(store, policy)  # Alice at NOW, Bob at NOW + 1 minute
    store.apply(fresh.id, Approve(user=CAROL), policy, NOW + timedelta(hours=1))
    assert store.expire_due(NOW + timedelta(hours=3, minutes=59)) == []
    expired = store.expire_due(NOW + timedelta(hours=4))
    assert [r.id for r in expired] == [stale.id]
    assert store.get_request(fresh.id).state is RequestState.APPROVED
    assert store.expire_due(NOW + timedelta(hours=4)) == []


def test_the_card_location_is_kept_for_later_edits(store: Store, policy) -> None:
    request = open_pending(store, policy)
    store.set_card(request.id, SlackLocation(channel="C0PRODOPS", ts="1732831200.000100"))
    card = store.get_request(request.id).card
    assert card == SlackLocation(channel="C0PRODOPS", ts="1732831200.000100")


async def test_the_async_store_runs_calls_on_its_own_thread(db_path: Path, policy) -> None:
    store = await AsyncStore.open(db_path)
    try:
        request = await store.call(open_pending, policy)
        votes = await asyncio.wait_for(
            asyncio.gather(
                store.call(Store.apply, request.id, Approve(user=ALICE), policy, NOW),
                store.call(Store.apply, request.id, Approve(user=ALICE), policy, NOW),
                return_exceptions=True,
            ),
            timeout=10,
        )
        assert sum(isinstance(v, AlreadyVoted) for v in votes) == 1
        stored = await store.call(Store.get_request, request.id)
        assert len(stored.approvals) == 1
    finally:
        await store.close()
