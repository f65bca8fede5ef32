"""Runs: the launch that starts them, their state, the log lines they consumed and the steps
they took.

`Runs` holds the public calls (part of `storage.store.Store`). A launch changes the request,
creates one run per LPAR and takes their locks in one transaction; a run that ends releases
its lock and may finish its request in the same transaction as its last state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlite_utils import Database

from liveupdate.errors import WrongState
from liveupdate.policy import EffectivePolicy
from liveupdate.requests import Launch, Request, RequestState, SystemEvent, apply, observe
from liveupdate.runs import (
    Launched,
    Run,
    RunEvent,
    RunState,
    RunStep,
    advance_run,
    format_run_id,
    remote_log_path,
)
from storage.audit import SYSTEM_ACTOR, append_audit, to_text
from storage.database import write_transaction
from storage.errors import ConcurrentChange, NotFound, StorageError
from storage.locks import release_lock, require_free, take_lock
from storage.requests import load_request, save_request, with_freeze
from storage.rows import run_from_row, run_row


class Runs:
    db: Database

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
        LPAR of the request is held (or has a run going on), `LparLocked` names the holder
        and nothing changes: a busy LPAR never voids a request."""
        with write_transaction(self.db):
            before = load_request(self.db, request_id)
            after = apply(before, event, with_freeze(self.db, policy), now)
            require_free(self.db, before.lpars)
            save_request(self.db, before, after, event=event, actor=event.user, now=now)
            runs: list[Run] = []
            if after.state is RequestState.RUNNING:
                runs = [
                    create_run(self.db, after, lpar, log_dir, now)
                    for lpar, log_dir in log_dirs.items()
                ]
        return Launched(request=after, runs=tuple(runs))

    def start_runs(self, request_id: str, log_dirs: Mapping[str, str], now: datetime) -> list[Run]:
        """The runs of the next wave of a group rollout, one per LPAR of `log_dirs` with its
        lock, in one transaction: all of them start, or (an LPAR held, the request no longer
        running) none does."""
        with write_transaction(self.db):
            request = load_request(self.db, request_id)
            if request.state is not RequestState.RUNNING:
                raise WrongState(
                    f"{request.id} is {request.state.value}: only a running request starts runs."
                )
            return [
                create_run(self.db, request, lpar, log_dir, now)
                for lpar, log_dir in log_dirs.items()
            ]

    def get_run(self, run_id: str) -> Run:
        return load_run(self.db, run_id)

    def runs_of(self, request_id: str) -> list[Run]:
        return [
            run_from_row(row)
            for row in self.db.query(
                "SELECT * FROM runs WHERE request_id = ? ORDER BY number", [request_id]
            )
        ]

    def save_run(self, run: Run, now: datetime, *, request_event: SystemEvent | None = None) -> Run:
        """Store `run` (from `liveupdate.runs.advance_run`, one version ahead of the stored one).

        State changes are audited; a finished run releases its LPAR lock; `request_event`
        (e.g. `Finish`) is applied to the request in the same transaction.
        """
        with write_transaction(self.db):
            before = load_run(self.db, run.id)
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
            write_audited(self.db, before, run, now)
            if run.state.terminal:
                release_lock(self.db, run.lpar, owner=run.id, actor=SYSTEM_ACTOR, now=now)
            if request_event is not None:
                request = load_request(self.db, run.request_id)
                after = observe(request, request_event, now)
                save_request(
                    self.db, request, after, event=request_event, actor=SYSTEM_ACTOR, now=now
                )
        return run

    def claim_start(self, run_id: str, now: datetime) -> Run | None:
        """Starting -> running, and only from starting: of two lkubots about to send one run's
        start (they share the database), exactly one gets the running run back and sends it;
        the other gets None and must send nothing."""
        with write_transaction(self.db):
            before = load_run(self.db, run_id)
            if before.state is not RunState.STARTING:
                return None
            run = advance_run(before, RunState.RUNNING, now)
            write_audited(self.db, before, run, now)
        return run

    def record_run_lines(self, run_id: str, events: Sequence[RunEvent], lines_consumed: int) -> Run:
        """Save what the follower parsed and how far it got, together.

        Events at offsets already consumed are dropped, so re-reading lines after a reattach
        cannot store a phase twice; the new offset must not go backwards.
        """
        with write_transaction(self.db):
            run = load_run(self.db, run_id)
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
            write_run(self.db, updated, expected_version=run.version)
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
            load_run(self.db, run_id)
            return append_step(self.db, run_id, type, payload, now)

    def run_steps(self, run_id: str, *, after_seq: int = 0) -> list[RunStep]:
        return [
            RunStep.model_validate(row)
            for row in self.db.query(
                "SELECT seq, type, payload, at FROM run_steps "
                "WHERE run_id = ? AND seq > ? ORDER BY seq",
                [run_id, after_seq],
            )
        ]


def load_run(db: Database, run_id: str) -> Run:
    row = next(db.query("SELECT * FROM runs WHERE id = ?", [run_id]), None)
    if row is None:
        raise NotFound(f"There is no run {run_id}.")
    return run_from_row(row)


def create_run(db: Database, request: Request, lpar: str, log_dir: str, now: datetime) -> Run:
    """The next run of `request`, on `lpar`, with its lock: once per LPAR and request."""
    if lpar not in request.lpars:
        raise WrongState(f"{lpar} was not previewed in {request.id}, so it cannot run there.")
    if db.execute(
        "SELECT 1 FROM runs WHERE request_id = ? AND lpar = ?", [request.id, lpar]
    ).fetchone():
        raise WrongState(f"{request.id} has already run on {lpar}; it runs there only once.")
    number = db.execute(
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
    take_lock(
        db,
        lpar,
        owner=run.id,
        reason=f"{request.kind.value} {request.id}",
        now=now,
        request_id=request.id,
    )
    db.table("runs").insert(run_row(run))
    append_audit(
        db,
        at=now,
        actor=SYSTEM_ACTOR,
        action="run.created",
        request_id=request.id,
        lpar=lpar,
        detail={"run": run.id, "log_path": run.log_path},
    )
    return run


def append_step(db: Database, run_id: str, type: str, payload: str, now: datetime) -> RunStep:
    """Add a step to a run's journal under its next number, inside the caller's transaction."""
    seq = db.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM run_steps WHERE run_id = ?", [run_id]
    ).fetchone()[0]
    step = RunStep(seq=seq, type=type, payload=payload, at=now)
    db.table("run_steps").insert(
        {"run_id": run_id, "seq": seq, "type": type, "payload": payload, "at": to_text(now)}
    )
    return step


def write_audited(db: Database, before: Run, run: Run, now: datetime) -> None:
    """Write `run` over `before` (compare-and-set on its version) with an audit row naming
    what changed, if anything an auditor cares about did."""
    write_run(db, run, expected_version=before.version)
    noted = {
        key: getattr(run, key)
        for key in ("state", "remote_pid", "point_of_no_return", "blackout_seconds")
        if getattr(run, key) != getattr(before, key)
    }
    if noted:
        append_audit(
            db,
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


def write_run(db: Database, run: Run, *, expected_version: int) -> None:
    row = run_row(run)
    del row["id"]
    assignments = ", ".join(f"{column} = :{column}" for column in row)
    cursor = db.execute(
        f"UPDATE runs SET {assignments} WHERE id = :id AND version = :expected",  # noqa: S608
        {**row, "id": run.id, "expected": expected_version},
    )
    if cursor.rowcount != 1:
        raise ConcurrentChange(f"Run {run.id} changed meanwhile: reload it and decide again.")
