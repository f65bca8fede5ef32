"""The append-only audit trail and its hash chain.

Each row's `hash` is SHA-256 over the previous row's hash and this row's content, so changing,
removing or reordering a row breaks the link to every row after it. Triggers refuse UPDATE and
DELETE; the chain catches a careless edit that bypasses SQLite. It is plain SHA-256, with no
secret: whoever can write the file can also cut off the newest rows, or change a row and
recompute every hash after it, and the chain alone then looks intact.

So the head is anchored outside the database: the bot ends each notice of a request's end
with the head's first `ANCHOR_DIGITS` hex digits (`AuditHead.anchor`), in a Slack channel the
database cannot change. `verify_chain(db, anchor=...)` checks that an anchored head is still
in the intact chain; a cut or a rewrite that reaches back to it makes it disappear.

The hashed text of a row, `HASHED_FORM`, is: the previous hash, a newline, then the compact
sorted-key JSON of `{"id", "at", "actor", "action", "request_id", "lpar", "detail"}` where
`detail` is the row's stored JSON text. The first row's previous hash is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlite_utils import Database

from storage.errors import BadAnchor

GENESIS = "0" * 64

ANCHOR_DIGITS = 16
"""Hex digits of a head hash an anchor keeps: 64 bits, so a rewritten chain whose row hash
starts with an anchor takes about 2**64 SHA-256 tries to forge, while a notice stays short."""
_ANCHOR = re.compile(rf"[0-9a-f]{{{ANCHOR_DIGITS},64}}")

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


class AuditHead(BaseModel):
    """The newest row of the chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    hash: str

    @property
    def anchor(self) -> str:
        """What a notice shows of the head, for `lkubot audit verify --head` later."""
        return self.hash[:ANCHOR_DIGITS]


class ChainReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int
    """Rows checked (up to the first bad one)."""
    head: str | None
    """The hash of the last good row: write it down to detect later truncation."""
    first_bad_id: int | None = None
    problem: str | None = None
    anchor: str | None = None
    """The anchored head that was looked for, if any."""
    anchor_row: int | None = None
    """The row whose hash starts with `anchor`, when it is in the intact part of the chain."""

    @property
    def intact(self) -> bool:
        """Every row links to the one before it (which says nothing of rows cut off the end,
        nor of a chain rewritten whole: `anchored` does)."""
        return self.first_bad_id is None

    @property
    def anchored(self) -> bool:
        """The chain is intact and holds the anchored head (True when none was given)."""
        return self.intact and (self.anchor is None or self.anchor_row is not None)


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


def audit_head(db: Database) -> AuditHead | None:
    """The newest row, or None while the chain is empty."""
    row = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return AuditHead(id=row[0], hash=row[1]) if row else None


def parse_anchor(text: str) -> str:
    """An anchored head as typed (any case), or `BadAnchor`."""
    anchor = text.strip().lower()
    if not _ANCHOR.fullmatch(anchor):
        raise BadAnchor(
            f"{text!r} is not an anchored head: give {ANCHOR_DIGITS} to 64 hex digits of the "
            "head hash, as lkubot's notices show it (e.g. 91f4b02f4d5d3a42)."
        )
    return anchor


def verify_chain(db: Database, *, anchor: str | None = None) -> ChainReport:
    """Walk the whole chain; report the first row whose id, link or hash is wrong, and the
    row that `anchor` (from `parse_anchor`) names, if it is in the intact part."""
    expected_id, prev_hash, count = 1, GENESIS, 0
    anchor_row: int | None = None
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
            return ChainReport(
                rows=count, head=head, first_bad_id=row["id"], problem=problem, anchor=anchor
            )
        if anchor is not None and anchor_row is None and row["hash"].startswith(anchor):
            anchor_row = row["id"]
        prev_hash, expected_id, count = row["hash"], expected_id + 1, count + 1
    return ChainReport(
        rows=count, head=prev_hash if count else None, anchor=anchor, anchor_row=anchor_row
    )


def _to_model(row: Mapping[str, Any]) -> AuditRow:
    return AuditRow.model_validate({**row, "detail": json.loads(row["detail"])})
