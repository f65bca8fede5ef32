"""What lkubot has shown in Slack besides each run's own messages (`storage.run_messages`):
the version of its request that each card shows, and the one-line notices it is done with.

Slack is told after SQLite, so lkubot can die (or wait out Slack's 429s) between a change
and what shows it. These records let a restarted lkubot catch up from SQLite alone: a card
behind its request is edited, a notice owed is posted. A notice counts as done once lkubot
has posted it or Slack has refused it (refusals are logged, not retried). It is recorded
right after the post, so the one window left is a kill between Slack's post and this record:
then the notice is posted a second time, never lost.

Call these through `AsyncStore.call` like `Store` methods:

    await store.call(record_card_version, "LU-17", request.version)
    await store.call(record_notice, "LU-17", "launched", now, ts)
    await store.call(card_is_behind, "LU-17", request.version)
    await store.call(stale_cards)              # request ids whose card is behind
    await store.call(unannounced_launches, before=started_at)  # owed their "launched" notice
    await store.call(runs_owing_notices)       # run ids owed their blackout or end notice
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from liveupdate.runs import RunState
from storage.audit import to_text
from storage.database import write_transaction
from storage.store import Store

NoticeKind = Literal["launched", "blackout", "ended"]
"""`launched` is a request's; `blackout` and `ended` are a run's."""

ENDED_STATES = tuple(state.value for state in RunState if state.terminal)


def record_card_version(store: Store, request_id: str, version: int) -> None:
    """The card now shows `version` of its request (the last edit that went through wins)."""
    with write_transaction(store.db):
        store.db.table("card_versions").upsert(
            {"request_id": request_id, "version": version}, pk="request_id"
        )


def card_is_behind(store: Store, request_id: str, version: int) -> bool:
    """Does the card of `request_id` show an older version than `version` (or one never
    recorded)?"""
    row = store.db.execute(
        "SELECT version FROM card_versions WHERE request_id = ?", [request_id]
    ).fetchone()
    return row is None or int(row[0]) < version


def stale_cards(store: Store, *, limit: int = 100) -> list[str]:
    """Requests whose card shows an older version than the stored one, oldest first. A card
    never recorded (posted before this record existed) is taken as up to date."""
    return [
        row["id"]
        for row in store.db.query(
            "SELECT r.id FROM requests r JOIN card_versions c ON c.request_id = r.id "
            "WHERE r.card_ts IS NOT NULL AND c.version < r.version ORDER BY r.number LIMIT ?",
            [limit],
        )
    ]


def notice_done(store: Store, subject: str, kind: NoticeKind) -> bool:
    """Has the `kind` notice of `subject` (a request or run id) been posted or refused?"""
    found = store.db.execute(
        "SELECT 1 FROM notices WHERE subject = ? AND kind = ?", [subject, kind]
    ).fetchone()
    return found is not None


def record_notice(
    store: Store, subject: str, kind: NoticeKind, now: datetime, ts: str | None
) -> None:
    """The `kind` notice of `subject` is done: posted at `ts`, or refused by Slack (None).
    Recording it again changes nothing."""
    with write_transaction(store.db):
        store.db.execute(
            "INSERT OR IGNORE INTO notices (subject, kind, done_at, ts) VALUES (?, ?, ?, ?)",
            [subject, kind, to_text(now), ts],
        )


def notice_ts(store: Store, subject: str, kind: NoticeKind) -> str | None:
    """Where the `kind` notice of `subject` was posted, if it was and it is recorded."""
    row = store.db.execute(
        "SELECT ts FROM notices WHERE subject = ? AND kind = ?", [subject, kind]
    ).fetchone()
    return str(row[0]) if row is not None and row[0] is not None else None


def unannounced_launches(store: Store, *, before: datetime, limit: int = 100) -> list[str]:
    """Requests launched before `before` whose "launched" notice is not done, oldest first.

    A restarted bot passes its start time: what it launched itself, it announces itself, and
    one of its launches still being announced (Slack holding the post back with 429s) is not
    owed, or the catch-up would post that notice a second time."""
    return [
        row["id"]
        for row in store.db.query(
            "SELECT id FROM requests r WHERE launched_at IS NOT NULL AND launched_at < ? "
            "AND NOT EXISTS "
            "(SELECT 1 FROM notices n WHERE n.subject = r.id AND n.kind = 'launched') "
            "ORDER BY number LIMIT ?",
            [to_text(before), limit],
        )
    ]


def runs_owing_notices(store: Store, *, limit: int = 100) -> list[str]:
    """Runs whose measured blackout or whose end was not announced, oldest first."""
    states = ", ".join("?" for _ in ENDED_STATES)
    return [
        row["id"]
        for row in store.db.query(
            "SELECT id FROM runs r WHERE (r.blackout_seconds IS NOT NULL AND NOT EXISTS "  # noqa: S608
            "(SELECT 1 FROM notices n WHERE n.subject = r.id AND n.kind = 'blackout')) "
            f"OR (r.state IN ({states}) AND NOT EXISTS "
            "(SELECT 1 FROM notices n WHERE n.subject = r.id AND n.kind = 'ended')) "
            "ORDER BY r.started_at LIMIT ?",
            [*ENDED_STATES, limit],
        )
    ]
