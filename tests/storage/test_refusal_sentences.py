"""What storage refuses is said in words a person can act on; SQLite's own text stays in the
log (the exception's cause), never in the sentence shown in Slack."""

from __future__ import annotations

import pytest

from liveupdate.requests import Approve, apply
from storage.database import write_transaction
from storage.errors import ConcurrentChange
from storage.requests import save_request
from storage.store import Store
from tests.policy.factory import ALICE
from tests.storage.conftest import NOW, open_pending


def test_a_vote_already_stored_by_another_writer_is_refused_in_words(store: Store, policy) -> None:
    before = open_pending(store, policy)
    vote = Approve(user=ALICE)
    after = apply(before, vote, policy, NOW)
    # Another writer stored the same person's vote after `before` was read.
    store.db.table("votes").insert(
        {"request_id": before.id, **after.votes[0].model_dump(mode="json")}
    )
    with pytest.raises(ConcurrentChange) as refused, write_transaction(store.db):
        save_request(store.db, before, after, event=vote, actor=ALICE, now=NOW)
    sentence = str(refused.value)
    assert before.id in sentence
    assert "UNIQUE" not in sentence
    assert "constraint" not in sentence
    assert "UNIQUE" in str(refused.value.__cause__), "the cause keeps SQLite's text for the log"
    assert store.get_request(before.id).votes == after.votes, "one vote, stored once"
