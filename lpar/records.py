"""What the run engine needs from lkubot's records, and nothing more.

`lpar` reaches LPARs; it does not know SQLite (DESIGN.md: `lpar` imports only `liveupdate`).
The engine therefore talks to this protocol, and `storage.run_records.StoredRunRecords`
implements it on top of `storage.store.AsyncStore`:

    store = await AsyncStore.open(settings.db)
    engine = Engine(inventory, StoredRunRecords(store))

Every method is one transaction in storage; their meaning is documented on `storage.store.Store`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from liveupdate.policy import EffectivePolicy, Freeze
from liveupdate.requests import Launch, Request, SystemEvent
from liveupdate.runs import Launched, Lock, Run, RunEvent, RunState, RunStep


class RunRecords(Protocol):
    async def get_request(self, request_id: str) -> Request: ...

    async def active_requests(self) -> list[Request]:
        """Requests that are running or out of contact (a rollout between waves has no
        unfinished run, yet must go on after a restart)."""
        ...

    async def check_free(self, lpars: Sequence[str]) -> None:
        """`LparLocked` (a `Refused`) naming the holder unless every LPAR is free."""
        ...

    async def launch(
        self,
        request_id: str,
        event: Launch,
        policy: EffectivePolicy,
        now: datetime,
        log_dirs: Mapping[str, str],
    ) -> Launched: ...

    async def start_runs(
        self, request_id: str, log_dirs: Mapping[str, str], now: datetime
    ) -> list[Run]:
        """The runs of a rollout's next wave, all with their locks or none (`LparLocked`)."""
        ...

    async def freeze(self) -> Freeze: ...

    async def observe(self, request_id: str, event: SystemEvent, now: datetime) -> Request: ...

    async def claim_start(self, run_id: str, now: datetime) -> Run | None:
        """The run made running if it was starting; None when another lkubot claimed it."""
        ...

    async def get_run(self, run_id: str) -> Run: ...

    async def runs_of(self, request_id: str) -> list[Run]: ...

    async def save_run(
        self, run: Run, now: datetime, *, request_event: SystemEvent | None = None
    ) -> Run: ...

    async def record_run_lines(
        self, run_id: str, events: Sequence[RunEvent], lines_consumed: int
    ) -> Run: ...

    async def run_events(self, run_id: str) -> list[RunEvent]: ...

    async def record_run_step(
        self, run_id: str, type: str, payload: str, now: datetime
    ) -> RunStep: ...

    async def run_steps(self, run_id: str) -> list[RunStep]: ...

    async def begin_cleanup(self, run_id: str, *, by: str, command: str, now: datetime) -> Lock:
        """Take the LPAR of a failed or cancelled run for its clean-up, or refuse."""
        ...

    async def end_cleanup(
        self,
        run_id: str,
        *,
        by: str,
        command: str,
        exit_status: int | None,
        error: str | None,
        now: datetime,
    ) -> None: ...

    async def end_stale_cleanups(self, now: datetime) -> list[str]:
        """At start-up: close the clean-ups an earlier lkubot left running."""
        ...

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
        """Close an unfinished run on an admin's word, with its last journal step (a
        `RunEnded`)."""
        ...
