"""A run's journal: steps numbered per run, read back in order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liveupdate.policy import EffectivePolicy
from liveupdate.requests import Launch
from storage.errors import NotFound
from storage.store import Store
from tests.policy.factory import REQUESTER
from tests.storage.conftest import LOG_DIR, NOW, open_approved


def test_steps_are_numbered_per_run_and_read_back_in_order(
    store: Store, policy: EffectivePolicy
) -> None:
    request = open_approved(store, policy)
    launch = Launch(user=REQUESTER, fingerprints=request.fingerprints)
    [run] = store.launch(request.id, launch, policy, NOW, {"lpar01": LOG_DIR}).runs

    first = store.record_run_step(run.id, "stage_started", '{"stage":"prep"}', NOW)
    second = store.record_run_step(
        run.id, "stage_finished", '{"ok":true}', NOW + timedelta(seconds=3)
    )

    assert (first.seq, second.seq) == (1, 2)
    assert store.run_steps(run.id) == [first, second]
    assert store.run_steps(run.id, after_seq=1) == [second]
    with pytest.raises(NotFound):
        store.record_run_step("LU-999-1", "stage_started", "{}", NOW)
