"""Requests and their votes: opening, deciding, expiring, and where the Slack card is.

`Requests` holds the public calls (part of `storage.store.Store`); `load_request` and
`save_request` work inside the caller's write transaction and are shared with the runs (a
launch, a run's end).
"""

from __future__ import annotations

import dataclasses
import sqlite3
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from sqlite_utils import Database

from liveupdate.checks import PreviewResult, UpdateKind
from liveupdate.policy import EffectivePolicy
from liveupdate.requests import (
    Expire,
    Launch,
    Request,
    RequestState,
    SlackLocation,
    SystemEvent,
    UserEvent,
    Vote,
    apply,
    format_request_id,
    observe,
    open_request,
)
from storage.audit import SYSTEM_ACTOR, append_audit, to_text
from storage.database import write_transaction
from storage.errors import ConcurrentChange, NotFound
from storage.locks import current_freeze
from storage.rows import request_from_row, request_row, single_lpar


class Requests:
    db: Database

    def open_request(
        self,
        *,
        kind: UpdateKind,
        target: str,
        group: str,
        requester: str,
        previews: tuple[PreviewResult, ...],
        policy: EffectivePolicy,
        now: datetime,
    ) -> Request:
        """Record a new request under the next free id (`LU-1`, `LU-2`, ...)."""
        with write_transaction(self.db):
            number = self.db.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM requests"
            ).fetchone()[0]
            request = open_request(
                request_id=format_request_id(number),
                kind=kind,
                target=target,
                group=group,
                requester=requester,
                previews=previews,
                policy=policy,
                now=now,
            )
            self.db.table("requests").insert(request_row(request))
            self.db.table("previews").insert_all(
                {
                    "request_id": request.id,
                    "lpar": p.lpar,
                    "fingerprint": p.fingerprint,
                    "outcome": p.outcome.value,
                    "body": p.model_dump_json(),
                }
                for p in previews
            )
            append_audit(
                self.db,
                at=now,
                actor=requester,
                action="request.opened",
                request_id=request.id,
                lpar=single_lpar(request),
                detail={
                    "kind": request.kind.value,
                    "target": request.target,
                    "group": request.group,
                    "state": request.state.value,
                    "fingerprint": request.fingerprint,
                    "previews": {
                        p.lpar: {"fingerprint": p.fingerprint, "outcome": p.outcome.value}
                        for p in previews
                    },
                },
            )
        return request

    def get_request(self, request_id: str) -> Request:
        return load_request(self.db, request_id)

    def list_requests(
        self, *, states: Iterable[RequestState] | None = None, limit: int = 50
    ) -> list[Request]:
        """Newest first."""
        wanted = [s.value for s in states] if states is not None else None
        where = f"WHERE state IN ({', '.join('?' * len(wanted))}) " if wanted else ""
        ids = [
            row[0]
            for row in self.db.execute(
                f"SELECT id FROM requests {where}ORDER BY number DESC LIMIT ?",  # noqa: S608
                [*(wanted or []), limit],
            )
        ]
        return [load_request(self.db, i) for i in ids]

    def apply(
        self, request_id: str, event: UserEvent, policy: EffectivePolicy, now: datetime
    ) -> Request:
        """A person's approve, reject or cancel (use `launch` to launch).

        The freeze is read from the database inside the transaction, whatever `policy` says,
        so a freeze switched on a moment ago is never missed.
        """
        if isinstance(event, Launch):
            raise TypeError("launches go through Store.launch, which also takes the locks")
        with write_transaction(self.db):
            before = load_request(self.db, request_id)
            after = apply(before, event, with_freeze(self.db, policy), now)
            save_request(self.db, before, after, event=event, actor=event.user, now=now)
        return after

    def observe(self, request_id: str, event: SystemEvent, now: datetime) -> Request:
        """Record what lkubot saw: expiry, lost contact, resumed, finished."""
        with write_transaction(self.db):
            before = load_request(self.db, request_id)
            after = observe(before, event, now)
            save_request(self.db, before, after, event=event, actor=SYSTEM_ACTOR, now=now)
        return after

    def set_card(self, request_id: str, card: SlackLocation) -> None:
        """Remember where the request's card is, so the Slack layer can edit it later."""
        with write_transaction(self.db):
            cursor = self.db.execute(
                "UPDATE requests SET card_channel = ?, card_ts = ? WHERE id = ?",
                [card.channel, card.ts, request_id],
            )
            if cursor.rowcount != 1:
                raise NotFound(f"There is no request {request_id}.")

    def expire_due(self, now: datetime) -> list[Request]:
        """Expire every pending or approved request whose time is up; returns them."""
        due = [
            row[0]
            for row in self.db.execute(
                "SELECT id FROM requests WHERE state IN (?, ?) AND expires_at <= ? ORDER BY number",
                [RequestState.PENDING.value, RequestState.APPROVED.value, to_text(now)],
            )
        ]
        expired = []
        for request_id in due:
            request = load_request(self.db, request_id)
            # Votes may have extended it since the query; only what is still due expires.
            if request.state.open_for_votes and now >= request.expires_at:
                expired.append(self.observe(request_id, Expire(), now))
        return expired


PREVIEWS_KEPT = 512
"""Requests whose parsed previews are kept per connection: a few MB at most."""


class _Previews:
    """Each request's previews, parsed once per connection.

    A request's previews are written with it and never change, while parsing their JSON (the
    whole checklist with its evidence) was most of the cost of reading a request: `/lku list`
    reads twenty, the status cards one at every milestone, on the database thread, whose
    Python work holds the GIL the event loop needs to answer Slack. Only what was read
    outside a write transaction is kept, so a preview written in a transaction that is then
    rolled back is never kept.
    """

    def __init__(self) -> None:
        self._kept: OrderedDict[str, tuple[PreviewResult, ...]] = OrderedDict()

    def of(self, db: Database, request_id: str) -> tuple[PreviewResult, ...]:
        kept = self._kept.get(request_id)
        if kept is not None:
            self._kept.move_to_end(request_id)
            return kept
        previews = tuple(
            PreviewResult.model_validate_json(r["body"])
            for r in db.query(
                "SELECT body FROM previews WHERE request_id = ? ORDER BY lpar", [request_id]
            )
        )
        if previews and not db.conn.in_transaction:
            self._kept[request_id] = previews
            if len(self._kept) > PREVIEWS_KEPT:
                self._kept.popitem(last=False)
        return previews


_previews: weakref.WeakKeyDictionary[Database, _Previews] = weakref.WeakKeyDictionary()
"""One `_Previews` per connection, forgotten with it."""


def _previews_of(db: Database) -> _Previews:
    kept = _previews.get(db)
    if kept is None:
        kept = _previews[db] = _Previews()
    return kept


def load_request(db: Database, request_id: str) -> Request:
    row = next(db.query("SELECT * FROM requests WHERE id = ?", [request_id]), None)
    if row is None:
        raise NotFound(f"There is no request {request_id}: check the id (like LU-17).")
    previews = _previews_of(db).of(db, request_id)
    votes = tuple(
        Vote.model_validate(r)
        for r in db.query(
            "SELECT user, decision, comment, at, fingerprint FROM votes "
            "WHERE request_id = ? ORDER BY id",
            [request_id],
        )
    )
    return request_from_row(row, previews, votes)


def save_request(
    db: Database,
    before: Request,
    after: Request,
    *,
    event: UserEvent | SystemEvent,
    actor: str,
    now: datetime,
) -> None:
    """Write `after` over `before` (compare-and-set on its version), its new votes and its
    audit row."""
    row = request_row(after)
    del row["id"], row["number"]
    assignments = ", ".join(f"{column} = :{column}" for column in row)
    cursor = db.execute(
        f"UPDATE requests SET {assignments} WHERE id = :id AND version = :expected",  # noqa: S608
        {**row, "id": after.id, "expected": before.version},
    )
    if cursor.rowcount != 1:
        raise ConcurrentChange(
            f"{after.id} changed while this was being decided: look at it again and retry."
        )
    known = {v.user for v in before.votes}
    try:
        db.table("votes").insert_all(
            {"request_id": after.id, **v.model_dump(mode="json")}
            for v in after.votes
            if v.user not in known
        )
    except sqlite3.IntegrityError as error:
        # The sentence is shown in Slack; SQLite's own words stay in the cause, for the log.
        raise ConcurrentChange(
            f"{after.id} already holds your vote, so it was counted once: look at its card."
        ) from error
    append_audit(
        db,
        at=now,
        actor=actor,
        action=f"request.{event.type}",
        request_id=after.id,
        lpar=single_lpar(after),
        detail={
            "from": before.state.value,
            "to": after.state.value,
            "version": after.version,
            "event": event.model_dump(mode="json", exclude={"type"}),
            **({"note": after.note} if after.note != before.note and after.note else {}),
            **(
                {"override": after.override.model_dump(mode="json")}
                if after.override is not None and before.override is None
                else {}
            ),
        },
    )


def with_freeze(db: Database, policy: EffectivePolicy) -> EffectivePolicy:
    """`policy` with the freeze as stored now (the caller's may be a moment old)."""
    return dataclasses.replace(policy, freeze=current_freeze(db))
