"""Where each run's messages are in Slack: its status message and its final summary.

The Slack layer records a message right after posting it, and looks here before posting, so
a restarted bot edits the status message it already posted and never posts a second summary.
Call these through `AsyncStore.call` like `Store` methods:

    places = await store.call(run_messages, "LU-17-1")
    await store.call(record_status_message, "LU-17-1", channel, ts)
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from storage.database import write_transaction
from storage.errors import NotFound, StorageError
from storage.shown import ENDED_STATES
from storage.store import Store


class RunMessages(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    channel: str = Field(min_length=1)
    status_ts: str | None = None
    summary_ts: str | None = None


def run_messages(store: Store, run_id: str) -> RunMessages | None:
    """What is recorded for `run_id`, or None when nothing was posted for it yet."""
    row = next(store.db.query("SELECT * FROM run_messages WHERE run_id = ?", [run_id]), None)
    return RunMessages.model_validate(row) if row is not None else None


def record_status_message(store: Store, run_id: str, channel: str, ts: str) -> RunMessages:
    """Remember the run's status message (once: a second one would be a posting bug)."""
    return _record(store, run_id, channel, "status_ts", ts, what="its status message")


def record_summary_message(store: Store, run_id: str, channel: str, ts: str) -> RunMessages:
    """Remember that the run's final summary was posted."""
    return _record(store, run_id, channel, "summary_ts", ts, what="its summary")


def _record(
    store: Store, run_id: str, channel: str, column: str, ts: str, *, what: str
) -> RunMessages:
    with write_transaction(store.db):
        _require_run(store, run_id)
        known = run_messages(store, run_id)
        earlier = getattr(known, column) if known is not None else None
        if earlier is not None and earlier != ts:
            raise StorageError(
                f"Run {run_id} already has {what} at {earlier}; {ts} would be a second one."
            )
        store.db.table("run_messages").upsert(
            {"run_id": run_id, "channel": channel, column: ts}, pk="run_id"
        )
        recorded = run_messages(store, run_id)
    assert recorded is not None
    return recorded


def _require_run(store: Store, run_id: str) -> None:
    if store.db.execute("SELECT 1 FROM runs WHERE id = ?", [run_id]).fetchone() is None:
        raise NotFound(f"There is no run {run_id}.")


def runs_awaiting_summary(store: Store, *, limit: int = 100) -> list[str]:
    """Runs that have ended and whose status message was posted, but not their summary: the
    bot stopped between the end and the summary. Oldest first."""
    ended = ", ".join("?" for _ in ENDED_STATES)
    query = (
        "SELECT r.id FROM runs r JOIN run_messages m ON m.run_id = r.id "  # noqa: S608 (placeholders)
        f"WHERE r.state IN ({ended}) AND m.status_ts IS NOT NULL AND m.summary_ts IS NULL "
        "ORDER BY r.ended_at LIMIT ?"
    )
    return [row["id"] for row in store.db.query(query, [*ENDED_STATES, limit])]
