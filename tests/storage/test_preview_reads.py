"""A request's previews are parsed once per connection: they never change once written, and
parsing them (the checklist with its evidence) was most of the cost of reading a request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from liveupdate.checks import PreviewResult
from liveupdate.policy import EffectivePolicy
from storage.database import write_transaction
from storage.store import Store
from tests.policy.factory import make_preview
from tests.storage.conftest import NOW, open_approved, open_pending


def test_reading_a_request_again_parses_its_previews_once(
    store: Store, policy: EffectivePolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = open_approved(store, policy)
    parsed: list[str] = []
    parse = PreviewResult.model_validate_json

    def counting(body: str | bytes, **options: Any) -> PreviewResult:
        parsed.append(str(body))
        return parse(body, **options)

    monkeypatch.setattr(PreviewResult, "model_validate_json", counting)
    reads = [store.get_request(opened.id) for _ in range(3)]
    reads += store.list_requests()
    assert reads == [opened] * 4
    assert len(parsed) == 1


class Abandoned(Exception):
    pass


def open_and_abandon(store: Store, preview: PreviewResult) -> None:
    """LU-2 written, read back, then rolled back: an open_request that failed part way."""
    row = dict(next(store.db.query("SELECT * FROM requests WHERE id = 'LU-1'")))
    with write_transaction(store.db):
        store.db.execute(
            f"INSERT INTO requests ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list({**row, "id": "LU-2", "number": 2}.values()),
        )
        store.db.execute(
            "INSERT INTO previews (request_id, lpar, fingerprint, outcome, body) "
            "VALUES (?, ?, ?, ?, ?)",
            ["LU-2", preview.lpar, preview.fingerprint, "passed", preview.model_dump_json()],
        )
        assert store.get_request("LU-2").previews == (preview,)
        raise Abandoned


def test_previews_read_in_a_transaction_that_is_rolled_back_are_not_kept(
    store: Store, policy: EffectivePolicy
) -> None:
    open_pending(store, policy)
    with pytest.raises(Abandoned):
        open_and_abandon(store, make_preview("lpar01", at=NOW - timedelta(days=1)))
    reopened = open_pending(store, policy)
    assert reopened.id == "LU-2"  # the number is free again
    assert store.get_request("LU-2").previews == reopened.previews
    assert reopened.previews[0].previewed_at == NOW
