"""Where a run's Slack messages are: recorded once, read back after a reopen, and not
overwritten when the run engine saves the run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from liveupdate.requests import Launch
from liveupdate.runs import RunState, advance_run
from storage.errors import NotFound, StorageError
from storage.run_messages import (
    record_status_message,
    record_summary_message,
    run_messages,
    runs_awaiting_summary,
)
from storage.store import Store
from tests.policy.factory import REQUESTER
from tests.storage.conftest import LOG_DIR, NOW, open_approved


def launched_run(store: Store, policy) -> str:
    request = open_approved(store, policy)
    event = Launch(user=REQUESTER, fingerprints=request.fingerprints)
    later = NOW + timedelta(minutes=5)
    (run,) = store.launch(request.id, event, policy, later, {"lpar01": LOG_DIR}).runs
    return run.id


def test_nothing_is_recorded_before_anything_was_posted(store: Store, policy) -> None:
    run_id = launched_run(store, policy)
    assert run_messages(store, run_id) is None


def test_status_and_summary_are_read_back_after_a_reopen(db_path: Path, policy) -> None:
    with Store.open(db_path) as store:
        run_id = launched_run(store, policy)
        record_status_message(store, run_id, "C0AIXTEAM", "1700000000.000100")
        record_summary_message(store, run_id, "C0AIXTEAM", "1700000600.000200")
    with Store.open(db_path) as reopened:
        places = run_messages(reopened, run_id)
    assert places is not None
    assert (places.channel, places.status_ts, places.summary_ts) == (
        "C0AIXTEAM",
        "1700000000.000100",
        "1700000600.000200",
    )


def test_recording_the_same_message_again_is_harmless(store: Store, policy) -> None:
    run_id = launched_run(store, policy)
    record_status_message(store, run_id, "C0AIXTEAM", "1.000100")
    again = record_status_message(store, run_id, "C0AIXTEAM", "1.000100")
    assert again.status_ts == "1.000100"


def test_a_second_status_message_or_summary_is_refused(store: Store, policy) -> None:
    run_id = launched_run(store, policy)
    record_status_message(store, run_id, "C0AIXTEAM", "1.000100")
    record_summary_message(store, run_id, "C0AIXTEAM", "2.000100")
    with pytest.raises(StorageError, match="already has its status message"):
        record_status_message(store, run_id, "C0AIXTEAM", "3.000100")
    with pytest.raises(StorageError, match="already has its summary"):
        record_summary_message(store, run_id, "C0AIXTEAM", "4.000100")


def test_the_engine_saving_its_run_keeps_the_messages(store: Store, policy) -> None:
    run_id = launched_run(store, policy)
    record_status_message(store, run_id, "C0AIXTEAM", "1.000100")
    run = store.get_run(run_id)
    store.save_run(advance_run(run, RunState.RUNNING, NOW, remote_pid=4242), NOW)
    places = run_messages(store, run_id)
    assert places is not None
    assert places.status_ts == "1.000100"


def test_an_unknown_run_is_refused(store: Store) -> None:
    with pytest.raises(NotFound, match="no run LU-9-1"):
        record_status_message(store, "LU-9-1", "C0AIXTEAM", "1.000100")


def test_an_ended_run_shown_in_slack_without_its_summary_is_found(store: Store, policy) -> None:
    run_id = launched_run(store, policy)
    record_status_message(store, run_id, "C0AIXTEAM", "1.000100")
    assert runs_awaiting_summary(store) == []  # still running
    run = store.get_run(run_id)
    running = store.save_run(advance_run(run, RunState.RUNNING, NOW), NOW)
    store.save_run(advance_run(running, RunState.SUCCEEDED, NOW), NOW)
    assert runs_awaiting_summary(store) == [run_id]
    record_summary_message(store, run_id, "C0AIXTEAM", "2.000100")
    assert runs_awaiting_summary(store) == []
