"""Read-only views for people: an LPAR's history, and the evidence export for auditors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from liveupdate.checks import UpdateKind
from liveupdate.requests import Override, Request, RequestState, Vote
from liveupdate.runs import Run, RunEvent
from storage.audit import AuditRow, to_text
from storage.rows import run_from_row
from storage.store import Store


class HistoryEntry(BaseModel):
    """One request that touched an LPAR, with that LPAR's run of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: str
    kind: UpdateKind
    target: str
    state: RequestState
    requester: str
    created_at: AwareDatetime
    approved_by: tuple[str, ...]
    rejected_by: str | None
    override: Override | None
    launched_by: str | None
    ended_at: AwareDatetime | None
    note: str | None
    run: Run | None


class RunEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run: Run
    phases: tuple[RunEvent, ...]


class Evidence(BaseModel):
    """Everything an auditor asks about one request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: str
    kind: UpdateKind
    target: str
    group: str
    requester: str
    created_at: AwareDatetime
    fingerprint: str
    lpar_fingerprints: dict[str, str]
    preview_outcomes: dict[str, str]
    outcome: RequestState
    votes: tuple[Vote, ...]
    override: Override | None
    launched_by: str | None
    launched_at: AwareDatetime | None
    ended_at: AwareDatetime | None
    note: str | None
    runs: tuple[RunEvidence, ...]
    audit: tuple[AuditRow, ...]


def history(store: Store, lpar: str, *, limit: int = 50) -> list[HistoryEntry]:
    """Past requests and runs on `lpar`, newest first."""
    rows = list(
        store.db.query(
            "SELECT r.id, r.kind, r.target, r.state, r.requester, r.created_at, r.override, "
            "r.launched_by, r.ended_at, r.note FROM previews p "
            "JOIN requests r ON r.id = p.request_id WHERE p.lpar = ? "
            "ORDER BY r.number DESC LIMIT ?",
            [lpar, limit],
        )
    )
    ids = [row["id"] for row in rows]
    marks = ", ".join("?" * len(ids))
    votes: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for vote in store.db.query(
        f"SELECT request_id, user, decision FROM votes WHERE request_id IN ({marks}) "  # noqa: S608
        "ORDER BY id",
        ids,
    ):
        votes[vote["request_id"]].append(vote)
    runs = {
        row["request_id"]: run_from_row(row)
        for row in store.db.query(
            f"SELECT * FROM runs WHERE lpar = ? AND request_id IN ({marks})",  # noqa: S608
            [lpar, *ids],
        )
    }
    return [
        HistoryEntry(
            request_id=row["id"],
            kind=row["kind"],
            target=row["target"],
            state=row["state"],
            requester=row["requester"],
            created_at=row["created_at"],
            approved_by=tuple(v["user"] for v in votes[row["id"]] if v["decision"] == "approve"),
            rejected_by=next(
                (v["user"] for v in votes[row["id"]] if v["decision"] == "reject"), None
            ),
            override=Override.model_validate_json(row["override"]) if row["override"] else None,
            launched_by=row["launched_by"],
            ended_at=row["ended_at"],
            note=row["note"],
            run=runs.get(row["id"]),
        )
        for row in rows
    ]


def evidence(store: Store, *, since: datetime | None = None) -> Iterator[Evidence]:
    """Every request created at or after `since` (all when None), oldest first."""
    params: list[Any] = []
    where = ""
    if since is not None:
        where = "WHERE created_at >= ? "
        params.append(to_text(since))
    ids = [
        row[0]
        for row in store.db.execute(
            f"SELECT id FROM requests {where}ORDER BY number",  # noqa: S608
            params,
        )
    ]
    for request_id in ids:
        yield _evidence_of(store, store.get_request(request_id))


def _evidence_of(store: Store, request: Request) -> Evidence:
    return Evidence(
        request_id=request.id,
        kind=request.kind,
        target=request.target,
        group=request.group,
        requester=request.requester,
        created_at=request.created_at,
        fingerprint=request.fingerprint,
        lpar_fingerprints=request.fingerprints,
        preview_outcomes={p.lpar: p.outcome.value for p in request.previews},
        outcome=request.state,
        votes=request.votes,
        override=request.override,
        launched_by=request.launched_by,
        launched_at=request.launched_at,
        ended_at=request.ended_at,
        note=request.note,
        runs=tuple(
            RunEvidence(run=run, phases=tuple(store.run_events(run.id)))
            for run in store.runs_of(request.id)
        ),
        audit=tuple(store.audit_trail(request.id)),
    )


def evidence_json(records: Iterable[Evidence]) -> Iterator[str]:
    """A JSON array, one request per element, streamed; run phase payloads are inlined."""
    yield "["
    for index, record in enumerate(records):
        data = record.model_dump(mode="json")
        for run in data["runs"]:
            for phase in run["phases"]:
                phase["payload"] = json.loads(phase["payload"])
        yield ("," if index else "") + "\n  " + json.dumps(data, ensure_ascii=False)
    yield "\n]\n"


CSV_COLUMNS = (
    "request_id",
    "kind",
    "target",
    "group",
    "requester",
    "created_at",
    "fingerprint",
    "outcome",
    "approvals",
    "rejections",
    "override_by",
    "override_reason",
    "launched_by",
    "launched_at",
    "ended_at",
    "runs",
    "blackout_seconds",
    "phases",
    "note",
)


def evidence_csv(records: Iterable[Evidence]) -> Iterator[str]:
    """One row per request; lists inside a cell are separated by " | "."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for record in records:
        writer.writerow(_csv_row(record))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()  # the header alone, when there was nothing to export


def _csv_row(record: Evidence) -> dict[str, str]:
    def votes(decision: str) -> str:
        return " | ".join(
            f"{v.user} {v.at.isoformat()}" + (f": {v.comment}" if v.comment else "")
            for v in record.votes
            if v.decision.value == decision
        )

    return {
        "request_id": record.request_id,
        "kind": record.kind.value,
        "target": record.target,
        "group": record.group,
        "requester": record.requester,
        "created_at": record.created_at.isoformat(),
        "fingerprint": record.fingerprint,
        "outcome": record.outcome.value,
        "approvals": votes("approve"),
        "rejections": votes("reject"),
        "override_by": record.override.by if record.override else "",
        "override_reason": record.override.reason if record.override else "",
        "launched_by": record.launched_by or "",
        "launched_at": record.launched_at.isoformat() if record.launched_at else "",
        "ended_at": record.ended_at.isoformat() if record.ended_at else "",
        "runs": " | ".join(f"{r.run.id} {r.run.lpar} {r.run.state.value}" for r in record.runs),
        "blackout_seconds": " | ".join(
            f"{r.run.lpar} {r.run.blackout_seconds:g}"
            for r in record.runs
            if r.run.blackout_seconds is not None
        ),
        "phases": " | ".join(
            f"{r.run.lpar}: " + ", ".join(p.type for p in r.phases) for r in record.runs
        ),
        "note": record.note or "",
    }
