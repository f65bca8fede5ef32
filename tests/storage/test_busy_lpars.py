"""A busy LPAR refuses a launch before anything is decided about the request: a run or a hold
there never makes an approved request void."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liveupdate.requests import Launch, RequestState
from storage.errors import LparLocked
from storage.store import Store
from tests.policy.factory import ADMIN, REQUESTER, make_preview
from tests.storage.conftest import LOG_DIR, NOW, open_approved

LATER = NOW + timedelta(minutes=5)


def test_a_changed_fingerprint_on_a_held_lpar_is_refused_and_leaves_the_request_approved(
    store: Store, policy
) -> None:
    request = open_approved(store, policy)
    store.hold("lpar01", by=ADMIN, reason="storage migration", now=NOW)
    # What a preview of a busy LPAR gives: AIX refused it, so the fingerprint differs.
    busy = make_preview(oslevel="7300-03-01-2520").fingerprint
    event = Launch(user=REQUESTER, fingerprints={"lpar01": busy})
    with pytest.raises(LparLocked, match=r"lpar01 is held by U0ADMIN01 since .* \(storage"):
        store.launch(request.id, event, policy, LATER, {"lpar01": LOG_DIR})
    assert store.get_request(request.id) == request
    assert store.get_request(request.id).state is RequestState.APPROVED


def test_check_free_names_the_hold_and_passes_free_lpars(store: Store, policy) -> None:
    store.check_free(["lpar01", "lpar02"])
    store.hold("lpar02", by=ADMIN, reason="firmware update", now=NOW)
    store.check_free(["lpar01"])
    with pytest.raises(LparLocked, match="lpar02 is held by U0ADMIN01"):
        store.check_free(["lpar01", "lpar02"])


def test_check_free_names_a_run_that_has_not_ended_even_without_its_lock(
    store: Store, policy
) -> None:
    request = open_approved(store, policy)
    event = Launch(user=REQUESTER, fingerprints=request.fingerprints)
    store.launch(request.id, event, policy, LATER, {"lpar01": LOG_DIR})
    # Records that disagree (a lock row lost by hand): the run still counts.
    store.db.execute("DELETE FROM locks")
    with pytest.raises(LparLocked, match="lpar01 has run LU-1-1, which has not ended"):
        store.check_free(["lpar01"])
