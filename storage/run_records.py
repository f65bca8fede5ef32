"""The run engine's records (`lpar.records.RunRecords`) kept in lkubot's SQLite database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from liveupdate.policy import EffectivePolicy, Freeze
from liveupdate.requests import Launch, Request, RequestState, SystemEvent
from liveupdate.runs import Launched, Lock, Run, RunEvent, RunState, RunStep
from storage.cleanups import begin_cleanup, end_cleanup, end_stale_cleanups
from storage.resolutions import resolve_run
from storage.store import AsyncStore, Store

ACTIVE_STATES = (RequestState.RUNNING, RequestState.UNKNOWN)
ACTIVE_LIMIT = 10_000
"""More running requests than this at once would be a fleet no team runs by hand."""


class StoredRunRecords:
    """`RunRecords` on an `AsyncStore`: each call runs on the store's own thread."""

    def __init__(self, store: AsyncStore) -> None:
        self.store = store

    async def get_request(self, request_id: str) -> Request:
        return await self.store.call(Store.get_request, request_id)

    async def active_requests(self) -> list[Request]:
        return await self.store.call(Store.list_requests, states=ACTIVE_STATES, limit=ACTIVE_LIMIT)

    async def check_free(self, lpars: Sequence[str]) -> None:
        await self.store.call(Store.check_free, lpars)

    async def launch(
        self,
        request_id: str,
        event: Launch,
        policy: EffectivePolicy,
        now: datetime,
        log_dirs: Mapping[str, str],
    ) -> Launched:
        return await self.store.call(Store.launch, request_id, event, policy, now, log_dirs)

    async def start_runs(
        self, request_id: str, log_dirs: Mapping[str, str], now: datetime
    ) -> list[Run]:
        return await self.store.call(Store.start_runs, request_id, log_dirs, now)

    async def freeze(self) -> Freeze:
        return await self.store.call(Store.freeze)

    async def observe(self, request_id: str, event: SystemEvent, now: datetime) -> Request:
        return await self.store.call(Store.observe, request_id, event, now)

    async def claim_start(self, run_id: str, now: datetime) -> Run | None:
        return await self.store.call(Store.claim_start, run_id, now)

    async def get_run(self, run_id: str) -> Run:
        return await self.store.call(Store.get_run, run_id)

    async def runs_of(self, request_id: str) -> list[Run]:
        return await self.store.call(Store.runs_of, request_id)

    async def save_run(
        self, run: Run, now: datetime, *, request_event: SystemEvent | None = None
    ) -> Run:
        return await self.store.call(Store.save_run, run, now, request_event=request_event)

    async def record_run_lines(
        self, run_id: str, events: Sequence[RunEvent], lines_consumed: int
    ) -> Run:
        return await self.store.call(Store.record_run_lines, run_id, events, lines_consumed)

    async def run_events(self, run_id: str) -> list[RunEvent]:
        return await self.store.call(Store.run_events, run_id)

    async def record_run_step(self, run_id: str, type: str, payload: str, now: datetime) -> RunStep:
        return await self.store.call(Store.record_run_step, run_id, type, payload, now)

    async def run_steps(self, run_id: str) -> list[RunStep]:
        return await self.store.call(Store.run_steps, run_id)

    async def begin_cleanup(self, run_id: str, *, by: str, command: str, now: datetime) -> Lock:
        return await self.store.call(begin_cleanup, run_id, by=by, command=command, now=now)

    async def end_cleanup(
        self,
        run_id: str,
        *,
        by: str,
        command: str,
        exit_status: int | None,
        error: str | None,
        now: datetime,
    ) -> None:
        await self.store.call(
            end_cleanup,
            run_id,
            by=by,
            command=command,
            exit_status=exit_status,
            error=error,
            now=now,
        )

    async def end_stale_cleanups(self, now: datetime) -> list[str]:
        return await self.store.call(end_stale_cleanups, now)

    async def resolve_run(
        self,
        run_id: str,
        *,
        outcome: RunState,
        by: str,
        reason: str,
        now: datetime,
        step_type: str,
        step_payload: str,
    ) -> Run:
        return await self.store.call(
            resolve_run,
            run_id,
            outcome=outcome,
            by=by,
            reason=reason,
            now=now,
            step_type=step_type,
            step_payload=step_payload,
        )
