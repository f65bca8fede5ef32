"""What Slack was shown: cards behind their request, and notices owed, are found until they
are recorded; a database from before these records owes nothing for its past."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from liveupdate.requests import Launch, SlackLocation
from liveupdate.runs import RunState, advance_run
from storage.shown import (
    notice_done,
    notice_ts,
    record_card_version,
    record_notice,
    runs_owing_notices,
    stale_cards,
    unannounced_launches,
)
from storage.store import Store
from tests.policy.factory import REQUESTER
from tests.storage.conftest import LOG_DIR, NOW, open_approved

CARD = SlackLocation(channel="C0AIXTEAM", ts="1700000000.000100")
LATER = NOW + timedelta(minutes=5)


def launched(store: Store, policy) -> tuple[str, str]:
    """A request with its card, launched: (request id, run id)."""
    request = open_approved(store, policy)
    store.set_card(request.id, CARD)
    record_card_version(store, request.id, request.version)
    event = Launch(user=REQUESTER, fingerprints=request.fingerprints)
    (run,) = store.launch(request.id, event, policy, LATER, {"lpar01": LOG_DIR}).runs
    return request.id, run.id


def test_a_card_is_stale_from_the_change_it_does_not_show_until_it_is_edited(
    store: Store, policy
) -> None:
    request_id, _ = launched(store, policy)
    assert stale_cards(store) == [request_id]  # the card still shows the approved request
    record_card_version(store, request_id, store.get_request(request_id).version)
    assert stale_cards(store) == []


def test_a_card_never_recorded_is_taken_as_up_to_date(store: Store, policy) -> None:
    request = open_approved(store, policy)
    store.set_card(request.id, CARD)
    assert stale_cards(store) == []


STARTED = LATER + timedelta(seconds=1)
"""When the restarted bot that looks for notices owed started, after the launch."""


def test_a_launch_owes_its_notice_until_it_is_done_once(store: Store, policy) -> None:
    request_id, _ = launched(store, policy)
    assert unannounced_launches(store, before=STARTED) == [request_id]
    assert not notice_done(store, request_id, "launched")
    record_notice(store, request_id, "launched", LATER, "1700000300.000100")
    record_notice(store, request_id, "launched", LATER, "1700000301.000100")  # again: harmless
    assert notice_done(store, request_id, "launched")
    assert notice_ts(store, request_id, "launched") == "1700000300.000100"
    assert unannounced_launches(store, before=STARTED) == []


def test_a_bot_owes_no_notice_for_a_launch_it_made_itself(store: Store, policy) -> None:
    # Launched at LATER by the bot that started then: that bot announces it itself, so its
    # own catch-up must not post it as well while Slack holds the first post back.
    launched(store, policy)
    assert unannounced_launches(store, before=LATER) == []


def test_a_run_owes_its_blackout_notice_then_its_end_notice(store: Store, policy) -> None:
    _, run_id = launched(store, policy)
    assert runs_owing_notices(store) == []
    run = store.save_run(advance_run(store.get_run(run_id), RunState.RUNNING, LATER), LATER)
    run = store.save_run(advance_run(run, RunState.RUNNING, LATER, blackout_seconds=21.0), LATER)
    assert runs_owing_notices(store) == [run_id]
    record_notice(store, run_id, "blackout", LATER, None)  # refused by Slack: done too
    assert runs_owing_notices(store) == []
    store.save_run(advance_run(run, RunState.SUCCEEDED, LATER), LATER)
    assert runs_owing_notices(store) == [run_id]
    record_notice(store, run_id, "ended", LATER, "1700000900.000100")
    assert runs_owing_notices(store) == []


def test_a_database_from_before_these_records_owes_nothing_for_its_past(
    db_path: Path, policy
) -> None:
    with Store.open(db_path) as store:
        request_id, run_id = launched(store, policy)
        run = store.save_run(advance_run(store.get_run(run_id), RunState.RUNNING, LATER), LATER)
        store.save_run(advance_run(run, RunState.FAILED, LATER, blackout_seconds=21.0), LATER)
        # As an lkubot before schema step m005 left it.
        store.db.execute("DROP TABLE card_versions")
        store.db.execute("DROP TABLE notices")
        store.db.execute(
            "DELETE FROM _sqlite_migrations WHERE name IN ('m005_slack_shown', 'm006_notice_ts')"
        )
        store.db.conn.commit()
    with Store.open(db_path) as upgraded:
        assert unannounced_launches(upgraded, before=STARTED) == []
        assert runs_owing_notices(upgraded) == []
        assert stale_cards(upgraded) == []
        assert notice_done(upgraded, request_id, "launched")
