from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from liveupdate.checks import UpdateKind
from liveupdate.policy import EffectivePolicy
from liveupdate.requests import Approve, Request
from storage.store import Store
from tests.policy.factory import ALICE, BOB, REQUESTER, SATURDAY_NIGHT, make_preview, prod_policy

NOW = SATURDAY_NIGHT
LOG_DIR = "/var/adm/ras/liveupdate/logs"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "lkubot.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as opened:
        yield opened


@pytest.fixture
def policy() -> EffectivePolicy:
    return prod_policy()


def open_pending(store: Store, policy: EffectivePolicy, lpar: str = "lpar01") -> Request:
    return store.open_request(
        kind=UpdateKind.LKU,
        target=lpar,
        group="prod",
        requester=REQUESTER,
        previews=(make_preview(lpar),),
        policy=policy,
        now=NOW,
    )


def open_approved(store: Store, policy: EffectivePolicy, lpar: str = "lpar01") -> Request:
    request = open_pending(store, policy, lpar)
    store.apply(request.id, Approve(user=ALICE, comment="tested on lpar09"), policy, NOW)
    return store.apply(request.id, Approve(user=BOB), policy, NOW + timedelta(minutes=1))
