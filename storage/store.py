"""lkubot's records: requests, votes, runs, run events, locks, the freeze, and their audit rows.

Every change happens in one write transaction (`BEGIN IMMEDIATE`) that re-reads the current
row, decides with the pure rules in `liveupdate`, writes with compare-and-set on `version`
and appends its audit row. So a double click, a Slack retry or two bot tasks racing each see
the other's result: the second vote of a person is refused, a second launch finds the request
already running, and a vote on a finished request is refused.

Threading: a `Store` holds one SQLite connection and must stay on the thread that opened it.
The asyncio bot uses `AsyncStore`, which owns one `Store` on one dedicated worker thread and
runs every call there, in order; the CLI and tests use `Store` directly. Other processes may
open the same file at the same time (they queue on SQLite's write lock).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from sqlite_utils import Database

from liveupdate.checks import PreviewResult, UpdateKind
from liveupdate.errors import WrongState
from liveupdate.policy import EffectivePolicy, Freeze
from liveupdate.requests import (
    Expire,
    Launch,
    Override,
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
from liveupdate.runs import (
    Launched,
    Lock,
    Run,
    RunEvent,
    RunState,
    RunStep,
    format_run_id,
    remote_log_path,
)
from storage.audit import (
    AuditRow,
    ChainReport,
    append_audit,
    audit_rows,
    canonical_json,
    to_text,
    verify_chain,
)
from storage.database import open_database, write_transaction
from storage.errors import ConcurrentChange, LparLocked, NotFound, StorageError

SYSTEM_ACTOR = "lkubot"
"""The audit actor for what lkubot itself observed."""

P = ParamSpec("P")
T = TypeVar("T")


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = True) -> Self:
        return cls(open_database(path, create=create))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Requests -------------------------------------------------------------------------------

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
            self.db.table("requests").insert(_request_row(request))
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
                lpar=_single_lpar(request),
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
        return self._load_request(request_id)

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
        return [self._load_request(i) for i in ids]

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
            before = self._load_request(request_id)
            after = apply(before, event, self._with_freeze(policy), now)
            self._save_request(before, after, event=event, actor=event.user, now=now)
        return after

    def observe(self, request_id: str, event: SystemEvent, now: datetime) -> Request:
        """Record what lkubot saw: expiry, lost contact, resumed, finished."""
        with write_transaction(self.db):
            before = self._load_request(request_id)
            after = observe(before, event, now)
            self._save_request(before, after, event=event, actor=SYSTEM_ACTOR, now=now)
        return after

    def launch(
        self,
        request_id: str,
        event: Launch,
        policy: EffectivePolicy,
        now: datetime,
        log_dirs: Mapping[str, str],
    ) -> Launched:
        """Launch: the request becomes running and one run (with its LPAR lock) starts for
        each LPAR in `log_dirs` (LPAR -> log directory on it), all in one transaction. If a
        re-check saw another fingerprint the request becomes void and nothing starts. If any
        LPAR is locked, `LparLocked` names the holder and nothing changes."""
        with write_transaction(self.db):
            before = self._load_request(request_id)
            after = apply(before, event, self._with_freeze(policy), now)
            self._save_request(before, after, event=event, actor=event.user, now=now)
            runs: list[Run] = []
            if after.state is RequestState.RUNNING:
                runs = [
                    self._start_run(after, lpar, log_dir, now) for lpar, log_dir in log_dirs.items()
                ]
        return Launched(request=after, runs=tuple(runs))

    def start_run(self, request_id: str, lpar: str, log_dir: str, now: datetime) -> Run:
        """A further run of a running request (the next wave of a group rollout)."""
        with write_transaction(self.db):
            request = self._load_request(request_id)
            if request.state is not RequestState.RUNNING:
                raise WrongState(
                    f"{request.id} is {request.state.value}: only a running request starts runs."
                )
            return self._start_run(request, lpar, log_dir, now)

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
            request = self._load_request(request_id)
            # Votes may have extended it since the query; only what is still due expires.
            if request.state.open_for_votes and now >= request.expires_at:
                expired.append(self.observe(request_id, Expire(), now))
        return expired

    # Runs ---------------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run:
        row = next(self.db.query("SELECT * FROM runs WHERE id = ?", [run_id]), None)
        if row is None:
            raise NotFound(f"There is no run {run_id}.")
        return run_from_row(row)

    def runs_of(self, request_id: str) -> list[Run]:
        return [
            run_from_row(row)
            for row in self.db.query(
                "SELECT * FROM runs WHERE request_id = ? ORDER BY number", [request_id]
            )
        ]

    def unfinished_runs(self) -> list[Run]:
        """Runs to reattach to after a restart: not succeeded, failed or cancelled."""
        states = [RunState.STARTING.value, RunState.RUNNING.value, RunState.UNKNOWN.value]
        return [
            run_from_row(row)
            for row in self.db.query(
                "SELECT * FROM runs WHERE state IN (?, ?, ?) ORDER BY started_at", states
            )
        ]

    def save_run(self, run: Run, now: datetime, *, request_event: SystemEvent | None = None) -> Run:
        """Store `run` (from `liveupdate.runs.advance_run`, one version ahead of the stored one).

        State changes are audited; a finished run releases its LPAR lock; `request_event`
        (e.g. `Finish`) is applied to the request in the same transaction.
        """
        with write_transaction(self.db):
            before = self._load_run(run.id)
            if run.version != before.version + 1:
                raise ConcurrentChange(
                    f"Run {run.id} changed meanwhile (version {before.version}, this update "
                    f"was made from {run.version - 1}): reload it and decide again."
                )
            if run.lines_consumed < before.lines_consumed:
                raise ConcurrentChange(
                    f"Run {run.id} has consumed {before.lines_consumed} log lines; an update "
                    f"back to {run.lines_consumed} would replay them."
                )
            self._write_run(run, expected_version=before.version)
            noted = {
                key: getattr(run, key)
                for key in ("state", "remote_pid", "point_of_no_return", "blackout_seconds")
                if getattr(run, key) != getattr(before, key)
            }
            if noted:
                append_audit(
                    self.db,
                    at=now,
                    actor=SYSTEM_ACTOR,
                    action="run.updated",
                    request_id=run.request_id,
                    lpar=run.lpar,
                    detail={
                        "run": run.id,
                        "from": before.state.value,
                        **{k: getattr(v, "value", v) for k, v in noted.items()},
                        **({"error": run.last_error} if run.last_error else {}),
                    },
                )
            if run.state.terminal:
                self._release(run.lpar, owner=run.id, actor=SYSTEM_ACTOR, now=now)
            if request_event is not None:
                request = self._load_request(run.request_id)
                after = observe(request, request_event, now)
                self._save_request(request, after, event=request_event, actor=SYSTEM_ACTOR, now=now)
        return run

    def record_run_lines(self, run_id: str, events: Sequence[RunEvent], lines_consumed: int) -> Run:
        """Save what the follower parsed and how far it got, together.

        Events at offsets already consumed are dropped, so re-reading lines after a reattach
        cannot store a phase twice; the new offset must not go backwards.
        """
        with write_transaction(self.db):
            run = self._load_run(run_id)
            if lines_consumed < run.lines_consumed:
                raise ConcurrentChange(
                    f"Run {run_id} has consumed {run.lines_consumed} log lines already; "
                    f"{lines_consumed} would go back."
                )
            fresh = [e for e in events if run.lines_consumed < e.offset <= lines_consumed]
            if len(fresh) != len([e for e in events if e.offset > run.lines_consumed]):
                raise StorageError(
                    f"Run {run_id}: an event lies beyond line {lines_consumed}, which was "
                    "reported as the last consumed one."
                )
            self.db.table("run_events").insert_all(
                {
                    "run_id": run_id,
                    "offset": e.offset,
                    "type": e.type,
                    "payload": e.payload,
                    "at": to_text(e.at),
                }
                for e in fresh
            )
            updated = run.model_copy(
                update={"lines_consumed": lines_consumed, "version": run.version + 1}
            )
            self._write_run(updated, expected_version=run.version)
        return updated

    def run_events(self, run_id: str, *, after_offset: int = 0) -> list[RunEvent]:
        return [
            RunEvent(offset=row["offset"], type=row["type"], payload=row["payload"], at=row["at"])
            for row in self.db.query(
                "SELECT offset, type, payload, at FROM run_events "
                "WHERE run_id = ? AND offset > ? ORDER BY offset, id",
                [run_id, after_offset],
            )
        ]

    def record_run_step(self, run_id: str, type: str, payload: str, now: datetime) -> RunStep:
        """Append one step to a run's journal under the next number (1, 2, ...)."""
        with write_transaction(self.db):
            self._load_run(run_id)
            seq = self.db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM run_steps WHERE run_id = ?", [run_id]
            ).fetchone()[0]
            step = RunStep(seq=seq, type=type, payload=payload, at=now)
            self.db.table("run_steps").insert(
                {"run_id": run_id, "seq": seq, "type": type, "payload": payload, "at": to_text(now)}
            )
        return step

    def run_steps(self, run_id: str, *, after_seq: int = 0) -> list[RunStep]:
        return [
            RunStep.model_validate(row)
            for row in self.db.query(
                "SELECT seq, type, payload, at FROM run_steps "
                "WHERE run_id = ? AND seq > ? ORDER BY seq",
                [run_id, after_seq],
            )
        ]

    # Locks and the freeze -----------------------------------------------------------------

    def locks(self) -> list[Lock]:
        return [
            Lock.model_validate(row)
            for row in self.db.query("SELECT * FROM locks ORDER BY since, lpar")
        ]

    def hold(self, lpar: str, *, by: str, reason: str, now: datetime) -> Lock:
        """An admin's hold on an LPAR: no launches there until `release`."""
        with write_transaction(self.db):
            return self._take_lock(lpar, owner=by, reason=reason, actor=by, now=now)

    def release(self, lpar: str, *, by: str, now: datetime) -> None:
        """Lift an admin's hold. A run's lock is released by the run ending, never by hand."""
        with write_transaction(self.db):
            lock = self._lock_of(lpar)
            if lock is None:
                raise NotFound(f"{lpar} is not held.")
            if self.db.execute("SELECT 1 FROM runs WHERE id = ?", [lock.owner]).fetchone():
                raise WrongState(
                    f"{lpar} is held by run {lock.owner}, which releases it when it ends: "
                    "cancel the run instead."
                )
            self._release(lpar, owner=lock.owner, actor=by, now=now)

    def freeze(self) -> Freeze:
        return self._freeze()

    def set_freeze(self, *, active: bool, by: str, reason: str | None, now: datetime) -> Freeze:
        """Switch the global freeze (the caller checks that `by` is an admin)."""
        freeze = Freeze(active=active, reason=reason, by=by, since=now)
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE freeze SET active = ?, reason = ?, by = ?, since = ? WHERE id = 1",
                [int(active), reason, by, to_text(now)],
            )
            append_audit(
                self.db,
                at=now,
                actor=by,
                action="freeze.on" if active else "freeze.off",
                detail={"reason": reason},
            )
        return freeze

    # Audit ----------------------------------------------------------------------------------

    def verify_audit(self) -> ChainReport:
        return verify_chain(self.db)

    def audit_trail(self, request_id: str) -> list[AuditRow]:
        return list(audit_rows(self.db, request_id=request_id))

    def audit_since(self, since: datetime | None = None) -> Iterator[AuditRow]:
        return audit_rows(self.db, since=since)

    # Internals ------------------------------------------------------------------------------

    def _load_request(self, request_id: str) -> Request:
        row = next(self.db.query("SELECT * FROM requests WHERE id = ?", [request_id]), None)
        if row is None:
            raise NotFound(f"There is no request {request_id}: check the id (like LU-17).")
        previews = tuple(
            PreviewResult.model_validate_json(r["body"])
            for r in self.db.query(
                "SELECT body FROM previews WHERE request_id = ? ORDER BY lpar", [request_id]
            )
        )
        votes = tuple(
            Vote.model_validate(r)
            for r in self.db.query(
                "SELECT user, decision, comment, at, fingerprint FROM votes "
                "WHERE request_id = ? ORDER BY id",
                [request_id],
            )
        )
        return _request_from_row(row, previews, votes)

    def _save_request(
        self,
        before: Request,
        after: Request,
        *,
        event: UserEvent | SystemEvent,
        actor: str,
        now: datetime,
    ) -> None:
        row = _request_row(after)
        del row["id"], row["number"]
        assignments = ", ".join(f"{column} = :{column}" for column in row)
        cursor = self.db.execute(
            f"UPDATE requests SET {assignments} WHERE id = :id AND version = :expected",  # noqa: S608
            {**row, "id": after.id, "expected": before.version},
        )
        if cursor.rowcount != 1:
            raise ConcurrentChange(
                f"{after.id} changed while this was being decided: look at it again and retry."
            )
        known = {v.user for v in before.votes}
        try:
            self.db.table("votes").insert_all(
                {"request_id": after.id, **v.model_dump(mode="json")}
                for v in after.votes
                if v.user not in known
            )
        except sqlite3.IntegrityError as error:
            raise ConcurrentChange(
                f"A second vote by the same person on {after.id} was refused: {error}"
            ) from error
        append_audit(
            self.db,
            at=now,
            actor=actor,
            action=f"request.{event.type}",
            request_id=after.id,
            lpar=_single_lpar(after),
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

    def _with_freeze(self, policy: EffectivePolicy) -> EffectivePolicy:
        return dataclasses.replace(policy, freeze=self._freeze())

    def _freeze(self) -> Freeze:
        row = next(self.db.query("SELECT active, reason, by, since FROM freeze WHERE id = 1"))
        return Freeze.model_validate({**row, "active": bool(row["active"])})

    def _start_run(self, request: Request, lpar: str, log_dir: str, now: datetime) -> Run:
        if lpar not in request.lpars:
            raise WrongState(f"{lpar} was not previewed in {request.id}, so it cannot run there.")
        if self.db.execute(
            "SELECT 1 FROM runs WHERE request_id = ? AND lpar = ?", [request.id, lpar]
        ).fetchone():
            raise WrongState(f"{request.id} has already run on {lpar}; it runs there only once.")
        number = self.db.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM runs WHERE request_id = ?", [request.id]
        ).fetchone()[0]
        run = Run(
            id=format_run_id(request.id, number),
            request_id=request.id,
            number=number,
            lpar=lpar,
            log_path=remote_log_path(log_dir, request.id, number),
            started_at=now,
        )
        self._take_lock(
            lpar,
            owner=run.id,
            reason=f"{request.kind.value} {request.id}",
            now=now,
            request_id=request.id,
        )
        self.db.table("runs").insert(_run_row(run))
        append_audit(
            self.db,
            at=now,
            actor=SYSTEM_ACTOR,
            action="run.created",
            request_id=request.id,
            lpar=lpar,
            detail={"run": run.id, "log_path": run.log_path},
        )
        return run

    def _load_run(self, run_id: str) -> Run:
        return self.get_run(run_id)

    def _write_run(self, run: Run, *, expected_version: int) -> None:
        row = _run_row(run)
        del row["id"]
        assignments = ", ".join(f"{column} = :{column}" for column in row)
        cursor = self.db.execute(
            f"UPDATE runs SET {assignments} WHERE id = :id AND version = :expected",  # noqa: S608
            {**row, "id": run.id, "expected": expected_version},
        )
        if cursor.rowcount != 1:
            raise ConcurrentChange(f"Run {run.id} changed meanwhile: reload it and decide again.")

    def _lock_of(self, lpar: str) -> Lock | None:
        row = next(self.db.query("SELECT * FROM locks WHERE lpar = ?", [lpar]), None)
        return Lock.model_validate(row) if row else None

    def _take_lock(
        self,
        lpar: str,
        *,
        owner: str,
        reason: str,
        now: datetime,
        actor: str = SYSTEM_ACTOR,
        request_id: str | None = None,
    ) -> Lock:
        held = self._lock_of(lpar)
        if held is not None:
            raise LparLocked(
                f"{lpar} is held by {held.owner} since {held.since:%Y-%m-%d %H:%M %Z} "
                f"({held.reason}): wait until it is released."
            )
        lock = Lock(lpar=lpar, owner=owner, reason=reason, since=now)
        self.db.table("locks").insert({**lock.model_dump(), "since": to_text(now)})
        append_audit(
            self.db,
            at=now,
            actor=actor,
            action="lock.taken",
            request_id=request_id,
            lpar=lpar,
            detail={"owner": owner, "reason": reason},
        )
        return lock

    def _release(self, lpar: str, *, owner: str, actor: str, now: datetime) -> None:
        cursor = self.db.execute("DELETE FROM locks WHERE lpar = ? AND owner = ?", [lpar, owner])
        if cursor.rowcount:
            append_audit(
                self.db,
                at=now,
                actor=actor,
                action="lock.released",
                lpar=lpar,
                detail={"owner": owner},
            )


class AsyncStore:
    """The store for asyncio code: one dedicated thread owns the connection and runs every
    call, one at a time, in the order they were made. The event loop never blocks on SQLite.

        store = await AsyncStore.open(settings.db)
        request = await store.call(Store.apply, "LU-17", Approve(user=user), policy, now)
    """

    def __init__(self, executor: ThreadPoolExecutor, store: Store) -> None:
        self._executor = executor
        self._store = store

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> AsyncStore:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lkubot-db")
        loop = asyncio.get_running_loop()
        store = await loop.run_in_executor(executor, Store.open, path)
        return cls(executor, store)

    async def call(
        self, method: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, partial(method, self._store, *args, **kwargs)
        )

    async def close(self) -> None:
        await self.call(Store.close)
        self._executor.shutdown(wait=True)


# Rows <-> models ---------------------------------------------------------------------------


def _opt_time(moment: datetime | None) -> str | None:
    return to_text(moment) if moment is not None else None


def _single_lpar(request: Request) -> str | None:
    return request.lpars[0] if len(request.lpars) == 1 else None


def _request_row(request: Request) -> dict[str, Any]:
    return {
        "id": request.id,
        "number": int(request.id.removeprefix("LU-")),
        "kind": request.kind.value,
        "target": request.target,
        "grp": request.group,
        "requester": request.requester,
        "created_at": to_text(request.created_at),
        "state": request.state.value,
        "fingerprint": request.fingerprint,
        "expires_at": to_text(request.expires_at),
        "card_channel": request.card.channel if request.card else None,
        "card_ts": request.card.ts if request.card else None,
        "override": canonical_json(request.override.model_dump(mode="json"))
        if request.override
        else None,
        "launched_by": request.launched_by,
        "launched_at": _opt_time(request.launched_at),
        "ended_at": _opt_time(request.ended_at),
        "note": request.note,
        "version": request.version,
    }


def _request_from_row(
    row: Mapping[str, Any], previews: tuple[PreviewResult, ...], votes: tuple[Vote, ...]
) -> Request:
    card = (
        SlackLocation(channel=row["card_channel"], ts=row["card_ts"])
        if row["card_channel"]
        else None
    )
    override = Override.model_validate(json.loads(row["override"])) if row["override"] else None
    return Request(
        id=row["id"],
        kind=row["kind"],
        target=row["target"],
        group=row["grp"],
        requester=row["requester"],
        created_at=row["created_at"],
        previews=previews,
        fingerprint=row["fingerprint"],
        state=row["state"],
        votes=votes,
        expires_at=row["expires_at"],
        card=card,
        override=override,
        launched_by=row["launched_by"],
        launched_at=row["launched_at"],
        ended_at=row["ended_at"],
        note=row["note"],
        version=row["version"],
    )


def _run_row(run: Run) -> dict[str, Any]:
    row = run.model_dump(mode="json")
    row["started_at"] = to_text(run.started_at)
    row["ended_at"] = _opt_time(run.ended_at)
    row["point_of_no_return"] = int(run.point_of_no_return)
    return row


def run_from_row(row: Mapping[str, Any]) -> Run:
    return Run.model_validate({**row, "point_of_no_return": bool(row["point_of_no_return"])})
