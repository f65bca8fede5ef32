"""Racing clicks and racing bot tasks: separate connections to one file, like separate
processes, all at once. Exactly the right votes and exactly one launch come out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from liveupdate.errors import AlreadyVoted, Refused
from liveupdate.policy import GroupPolicy
from liveupdate.requests import Approve, Launch, RequestState
from storage.store import Store
from tests.policy.factory import APPROVER_GROUP, REQUESTER, Directory, prod_policy
from tests.storage.conftest import LOG_DIR, NOW, open_approved, open_pending

VOTERS = [f"U0VOTER{i:03d}" for i in range(40)]
QUORUM_POLICY = prod_policy(
    directory=Directory({APPROVER_GROUP: set(VOTERS)}),
    group=GroupPolicy(
        channel="C0PRODOPS",
        approvals_required=20,
        approvers=[APPROVER_GROUP],
        approval_ttl="4h",
    ),
)


def run_concurrently(db_path: Path, jobs, workers: int = 16):
    """Each job opens its own connection, as another process or bot instance would."""

    def on_own_connection(job):
        with Store.open(db_path) as store:
            try:
                return job(store)
            except Refused as refused:
                return refused

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(on_own_connection, jobs, timeout=60))


def test_many_concurrent_votes_give_exactly_the_right_count(store: Store, db_path: Path) -> None:
    request = open_pending(store, QUORUM_POLICY)

    def vote(user: str):
        return lambda s: s.apply(request.id, Approve(user=user), QUORUM_POLICY, NOW)

    # Every voter clicks twice (a double click, or Slack retrying), all interleaved.
    jobs = [vote(user) for user in VOTERS for _ in range(2)]
    results = run_concurrently(db_path, jobs)

    assert sum(isinstance(r, AlreadyVoted) for r in results) == len(VOTERS)
    assert all(not isinstance(r, Exception) or isinstance(r, AlreadyVoted) for r in results)
    stored = store.get_request(request.id)
    assert sorted(v.user for v in stored.approvals) == VOTERS
    assert stored.state is RequestState.APPROVED
    assert stored.version == 1 + len(VOTERS)
    report = store.verify_audit()
    assert report.intact
    assert report.rows == 1 + len(VOTERS)


def test_racing_launches_start_exactly_one_run(store: Store, db_path: Path, policy) -> None:
    request = open_approved(store, policy)
    event = Launch(user=REQUESTER, fingerprints=request.fingerprints)

    def launch(s: Store):
        return s.launch(request.id, event, policy, NOW, {"lpar01": LOG_DIR})

    results = run_concurrently(db_path, [launch] * 12, workers=12)

    started = [r for r in results if not isinstance(r, Exception)]
    assert len(started) == 1
    assert len(started[0].runs) == 1
    assert all(isinstance(r, Refused) for r in results if r is not started[0])
    assert len(store.runs_of(request.id)) == 1
    assert len(store.locks()) == 1
    assert store.verify_audit().intact
