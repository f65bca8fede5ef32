"""Storage figures: p99 of recording a vote, and `history LPAR` over 1,000,000 audit rows.

    .venv/bin/python bench/bench_storage.py [--audit-rows 1000000] [--lpars 500]

Builds a database the size a busy site reaches after years (100,000 requests, 1,000,000
audit rows, a valid hash chain), then measures on it. The bulk history is written with
sqlite-utils' `insert_all` in one transaction, because a million one-by-one transactions would
measure the disk, not lkubot; every measured operation goes through the real `Store`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from liveupdate.checks import UpdateKind  # noqa: E402
from liveupdate.requests import Approve  # noqa: E402
from storage.audit import GENESIS, canonical_json, row_hash, to_text  # noqa: E402
from storage.database import write_transaction  # noqa: E402
from storage.reports import history  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.policy.factory import (  # noqa: E402
    ALICE,
    BOB,
    REQUESTER,
    make_preview,
    prod_policy,
)

AUDIT_ROWS_PER_REQUEST = 10  # opened, 2 approvals, launch, lock, run, 2 run updates, unlock, finish
START = datetime(2022, 1, 1, tzinfo=UTC)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fill(store: Store, requests: int, lpars: int) -> None:
    """`requests` finished LKU requests spread over `lpars` LPARs, with their audit chain."""
    previews = {f"lpar{i:04d}": make_preview(f"lpar{i:04d}") for i in range(lpars)}
    bodies = {name: p.model_dump_json() for name, p in previews.items()}
    db = store.db
    prev_hash, audit_id = GENESIS, 0

    def audit(at: datetime, actor: str, action: str, rid: str, lpar: str, detail: dict[str, Any]):
        nonlocal prev_hash, audit_id
        audit_id += 1
        row = {
            "id": audit_id,
            "at": to_text(at),
            "actor": actor,
            "action": action,
            "request_id": rid,
            "lpar": lpar,
            "detail": canonical_json(detail),
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = row_hash(prev_hash, row)
        return row

    def rows() -> Iterator[tuple[dict[str, Any], ...]]:
        for n in range(1, requests + 1):
            lpar = f"lpar{n % lpars:04d}"
            rid, run_id = f"LU-{n}", f"LU-{n}-1"
            t = START + timedelta(minutes=15 * n)
            fp = previews[lpar].fingerprint
            request = {
                "id": rid,
                "number": n,
                "kind": "lku",
                "target": lpar,
                "grp": "prod",
                "requester": REQUESTER,
                "created_at": to_text(t),
                "state": "succeeded",
                "fingerprint": fp,
                "expires_at": to_text(t + timedelta(hours=4)),
                "launched_by": REQUESTER,
                "launched_at": to_text(t + timedelta(minutes=3)),
                "ended_at": to_text(t + timedelta(minutes=14)),
                "version": 5,
            }
            preview = {
                "request_id": rid,
                "lpar": lpar,
                "fingerprint": fp,
                "outcome": "passed",
                "body": bodies[lpar],
            }
            votes = [
                {
                    "request_id": rid,
                    "user": user,
                    "decision": "approve",
                    "comment": "",
                    "at": to_text(t + timedelta(minutes=i + 1)),
                    "fingerprint": fp,
                }
                for i, user in enumerate((ALICE, BOB))
            ]
            run = {
                "id": run_id,
                "request_id": rid,
                "number": 1,
                "lpar": lpar,
                "state": "succeeded",
                "remote_pid": 4242,
                "log_path": f"/var/adm/ras/liveupdate/logs/lkubot-{run_id}.log",
                "lines_consumed": 40,
                "point_of_no_return": 1,
                "blackout_seconds": 14.2,
                "started_at": to_text(t + timedelta(minutes=3)),
                "ended_at": to_text(t + timedelta(minutes=14)),
                "version": 4,
            }
            trail = (
                audit(t, REQUESTER, "request.opened", rid, lpar, {"fingerprint": fp}),
                audit(t, ALICE, "request.approve", rid, lpar, {"from": "pending"}),
                audit(t, BOB, "request.approve", rid, lpar, {"to": "approved"}),
                audit(t, REQUESTER, "request.launch", rid, lpar, {"to": "running"}),
                audit(t, "lkubot", "lock.taken", rid, lpar, {"owner": run_id}),
                audit(t, "lkubot", "run.created", rid, lpar, {"run": run_id}),
                audit(t, "lkubot", "run.updated", rid, lpar, {"state": "running"}),
                audit(t, "lkubot", "run.updated", rid, lpar, {"state": "succeeded"}),
                audit(t, "lkubot", "lock.released", rid, lpar, {"owner": run_id}),
                audit(t, "lkubot", "request.finish", rid, lpar, {"to": "succeeded"}),
            )
            yield request, preview, *votes, run, *trail

    batch: dict[str, list[dict[str, Any]]] = {t: [] for t in ("requests", "previews", "votes")}
    batch.update(runs=[], audit=[])
    with write_transaction(db):
        for request, preview, vote1, vote2, run, *trail in rows():
            batch["requests"].append(request)
            batch["previews"].append(preview)
            batch["votes"] += [vote1, vote2]
            batch["runs"].append(run)
            batch["audit"] += trail
            if len(batch["audit"]) >= 20_000:
                flush(db, batch)
        flush(db, batch)


def flush(db: Any, batch: dict[str, list[dict[str, Any]]]) -> None:
    for table in ("requests", "previews", "votes", "runs", "audit"):
        db.table(table).insert_all(batch[table], batch_size=2000)
        batch[table].clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit-rows", type=int, default=1_000_000)
    parser.add_argument("--lpars", type=int, default=500)
    parser.add_argument("--votes", type=int, default=2000)
    args = parser.parse_args()
    requests = args.audit_rows // AUDIT_ROWS_PER_REQUEST

    with tempfile.TemporaryDirectory(prefix="lkubot-bench-") as tmp:
        path = Path(tmp) / "lkubot.db"
        store = Store.open(path)
        began = time.perf_counter()
        fill(store, requests, args.lpars)
        built = time.perf_counter() - began
        rows = store.verify_audit().rows
        size_mb = path.stat().st_size / 1e6
        print(f"database: {requests:,} requests, {rows:,} audit rows, {size_mb:,.0f} MB")
        print(f"  built in {built:.1f} s")

        began = time.perf_counter()
        report = store.verify_audit()
        verify_s = time.perf_counter() - began
        assert report.intact, report

        rng = random.Random(17)  # which LPARs to look up: reproducible, not secret
        timings = []
        for _ in range(200):
            lpar = f"lpar{rng.randrange(args.lpars):04d}"
            began = time.perf_counter()
            entries = history(store, lpar, limit=50)
            timings.append(time.perf_counter() - began)
            assert len(entries) == 50
        print(
            f"history LPAR (50 newest of ~{requests // args.lpars} requests), 200 lookups: "
            f"p50 {percentile(timings, 50) * 1e3:.2f} ms, "
            f"p99 {percentile(timings, 99) * 1e3:.2f} ms"
        )
        print(f"audit verify over {report.rows:,} rows: {verify_s:.1f} s")

        policy = prod_policy()
        now = START + timedelta(minutes=15 * (requests + 1))
        vote_times = []
        for i in range(args.votes // 2):
            request = store.open_request(
                kind=UpdateKind.LKU,
                target=f"lpar{i % args.lpars:04d}",
                group="prod",
                requester=REQUESTER,
                previews=(make_preview(f"lpar{i % args.lpars:04d}", at=now),),
                policy=policy,
                now=now,
            )
            for user in (ALICE, BOB):
                began = time.perf_counter()
                store.apply(request.id, Approve(user=user, comment="ok"), policy, now)
                vote_times.append(time.perf_counter() - began)
        print(
            f"record a vote ({len(vote_times):,} votes, each its own transaction with its "
            f"audit row, synchronous=FULL): p50 {percentile(vote_times, 50) * 1e3:.2f} ms, "
            f"p99 {percentile(vote_times, 99) * 1e3:.2f} ms, "
            f"mean {statistics.fmean(vote_times) * 1e3:.2f} ms"
        )
        store.close()


if __name__ == "__main__":
    main()
