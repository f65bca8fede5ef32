"""The append-only audit trail and its hash chain.

Each row's `hash` is SHA-256 over the previous row's hash and this row's content, so changing,
removing or reordering any row breaks every hash after it. Triggers refuse UPDATE and DELETE;
the chain catches what bypasses SQLite (someone editing the file, or dropping the triggers).
What the chain alone cannot show is the newest rows being cut off: keep the head hash that
`lkubot audit verify` prints somewhere else (a ticket, a log) to detect that.

The hashed text of a row, `HASHED_FORM`, is: the previous hash, a newline, then the compact
sorted-key JSON of `{"id", "at", "actor", "action", "request_id", "lpar", "detail"}` where
`detail` is the row's stored JSON text. The first row's previous hash is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlite_utils import Database

GENESIS = "0" * 64

SYSTEM_ACTOR = "lkubot"
"""The audit actor for what lkubot itself observed."""


class AuditRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    at: AwareDatetime
    actor: str
    """A Slack user id, or `lkubot` for what the bot itself observed."""
    action: str
    """`request.opened`, `request.approve`, `run.state`, `lock.hold`, `freeze.on`..."""
    request_id: str | None
    lpar: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class ChainReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int
    """Rows checked (up to the first bad one)."""
    head: str | None
    """The hash of the last good row: write it down to detect later truncation."""
    first_bad_id: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def to_text(moment: datetime) -> str:
    """How storage writes a time: ISO 8601 UTC, microseconds, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("storage keeps times with their time zone: pass an aware datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    body = {key: row[key] for key in ("id", "at", "actor", "action", "request_id", "lpar")}
    body["detail"] = row["detail"]
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(body)}".encode()).hexdigest()


def append_audit(
    db: Database,
    *,
    at: datetime,
    actor: str,
    action: str,
    detail: Mapping[str, Any],
    request_id: str | None = None,
    lpar: str | None = None,
) -> AuditRow:
    """Add one row at the end of the chain. Call it inside the write transaction of the change
    it records, so the change and its audit row commit together or not at all."""
    if not db.conn.in_transaction:
        raise RuntimeError("append_audit needs the write transaction of the change it records")
    last = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    last_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    row: dict[str, Any] = {
        "id": last_id + 1,
        "at": to_text(at),
        "actor": actor,
        "action": action,
        "request_id": request_id,
        "lpar": lpar,
        "detail": canonical_json(dict(detail)),
        "prev_hash": prev_hash,
    }
    row["hash"] = row_hash(prev_hash, row)
    db.execute(
        "INSERT INTO audit (id, at, actor, action, request_id, lpar, detail, prev_hash, hash) "
        "VALUES (:id, :at, :actor, :action, :request_id, :lpar, :detail, :prev_hash, :hash)",
        row,
    )
    return _to_model(row)


def audit_rows(
    db: Database,
    *,
    request_id: str | None = None,
    since: datetime | None = None,
) -> Iterator[AuditRow]:
    """Audit rows in chain order, optionally of one request or from a time on."""
    where, params = [], []
    if request_id is not None:
        where.append("request_id = ?")
        params.append(request_id)
    if since is not None:
        where.append("at >= ?")
        params.append(to_text(since))
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    cursor = db.execute(f"SELECT * FROM audit {clause}ORDER BY id", params)  # noqa: S608
    columns = [c[0] for c in cursor.description]
    for values in cursor:
        yield _to_model(dict(zip(columns, values, strict=True)))


def verify_chain(db: Database) -> ChainReport:
    """Walk the whole chain; report the first row whose id, link or hash is wrong."""
    expected_id, prev_hash, count = 1, GENESIS, 0
    cursor = db.execute(
        "SELECT id, at, actor, action, request_id, lpar, detail, prev_hash, hash "
        "FROM audit ORDER BY id"
    )
    columns = [c[0] for c in cursor.description]
    for values in cursor:
        row = dict(zip(columns, values, strict=True))
        problem = None
        if row["id"] != expected_id:
            problem = f"row {expected_id} is missing (the next row is {row['id']})"
        elif row["prev_hash"] != prev_hash:
            problem = "its link to the previous row does not match (a row before it changed)"
        elif row["hash"] != row_hash(prev_hash, row):
            problem = "its content does not match its hash (the row was changed)"
        if problem:
            head = prev_hash if count else None
            return ChainReport(rows=count, head=head, first_bad_id=row["id"], problem=problem)
        prev_hash, expected_id, count = row["hash"], expected_id + 1, count + 1
    return ChainReport(rows=count, head=prev_hash if count else None)


def _to_model(row: Mapping[str, Any]) -> AuditRow:
    return AuditRow.model_validate({**row, "detail": json.loads(row["detail"])})
