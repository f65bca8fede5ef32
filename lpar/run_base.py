"""What every part of a run driver shares: the engine's context, the run's state, saving
each step before publishing it, and reading the LPAR.

`lpar.runner.RunDriver` is built on `lpar.following.Following`, which is built on `RunBase`;
each layer holds one concern (the stages and outcome, following the log and keeping contact,
saving and reading), and they share the state set up here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from liveupdate.requests import Request, SystemEvent
from liveupdate.runs import Run, RunState, advance_run
from lpar import remote
from lpar.bus import ProgressBus
from lpar.checklist import Reading
from lpar.inventory import Lpar
from lpar.journal import Journal, step_key
from lpar.oplog import OperationLog, RunIds
from lpar.options import EngineOptions
from lpar.preview import reading_of
from lpar.progress import StepEvent
from lpar.records import RunRecords
from lpar.ssh import (
    AuthenticationError,
    CommandResult,
    Connections,
    HostKeyError,
    KeyFileError,
    SshError,
    UnreachableError,
)

NOT_SENT = (UnreachableError, HostKeyError, AuthenticationError, KeyFileError)
"""SSH failures that happen before the connection is up: the command never left lkubot."""


@dataclass(frozen=True)
class RunContext:
    """What every run driver of one engine shares."""

    records: RunRecords
    ssh: Connections
    bus: ProgressBus
    options: EngineOptions
    clock: Callable[[], datetime]
    request_lock: Callable[[str], asyncio.Lock]
    """Serialises decisions about one request's state (lost contact, resumed, finished)."""


class RunBase:
    """One run's state, its saving-then-publishing, and reads on its LPAR."""

    def __init__(
        self,
        ctx: RunContext,
        request: Request,
        run: Run,
        lpar: Lpar,
        *,
        llu_pids: tuple[int, ...] | None = None,
    ) -> None:
        self.ctx = ctx
        self.records: RunRecords = ctx.records
        self.options = ctx.options
        self.request_id = request.id
        self.kind = request.kind
        self.preview = next(p for p in request.previews if p.lpar == run.lpar)
        self.run = run
        self.lpar = lpar
        self.llu_pids = llu_pids
        self.ids = RunIds(request_id=request.id, run_id=run.id, lpar=run.lpar)
        self.journal = Journal()
        self.log = OperationLog(request.kind)
        self.cancel_by: str | None = None
        self.passed_point_of_no_return = run.point_of_no_return
        self._kill_sent = False
        self._link_down = False
        self._gone_once = False
        self._vanished = False
        """The operation is gone without its exit line (the run was made unknown for it)."""
        self._starts_sent = 0
        """Starts of the operation this driver sent: the first, or again while in doubt."""
        self._start_stderr = ""
        """What the shell said to the last start (noclobber refusing it, or why it could not
        create the log), if anything."""
        self._saving = asyncio.Lock()

    # --- saving, then publishing ------------------------------------------------------------

    def _now(self) -> datetime:
        return self.ctx.clock()

    def _event_fields(self) -> dict[str, object]:
        return {**self.ids.model_dump(), "at": self._now()}

    async def _record(self, event: StepEvent) -> StepEvent:
        saved = await self.records.record_run_step(
            self.run.id, event.type, event.model_dump_json(exclude={"key"}), event.at
        )
        event = event.model_copy(update={"key": step_key(self.run.id, saved.seq)})
        self.journal.apply(event)
        return event

    async def _step(self, event: StepEvent) -> StepEvent:
        event = await self._record(event)
        self.ctx.bus.publish(event)
        return event

    async def _save(
        self,
        state: RunState | None = None,
        *,
        error: str | None = None,
        request_event: SystemEvent | None = None,
        **changes: object,
    ) -> Run:
        # Build the change on the stored run rather than on self.run: storage refuses an
        # update made from a stale copy, and the stored one is what it compares with.
        async with self._saving:
            now = self._now()
            current = await self.records.get_run(self.run.id)
            changed = advance_run(current, state or current.state, now, error=error, **changes)
            self.run = await self.records.save_run(changed, now, request_event=request_event)
        return self.run

    # --- reading the LPAR -----------------------------------------------------------------

    async def _run_unsent_again(self, command: remote.RemoteCommand, limit: float) -> CommandResult:
        """Run `command`, trying again while the LPAR cannot even be reached (then nothing was
        sent), for up to `lost_contact_after` seconds."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return await self.ctx.ssh.run(self.lpar, command, time_limit=limit)
            except UnreachableError:
                attempt += 1
                if time.monotonic() - started >= self.options.lost_contact_after:
                    raise
                await asyncio.sleep(self.options.backoff.delay(attempt))

    async def _read(self, command: remote.RemoteCommand) -> Reading:
        try:
            return reading_of(
                command, await self._run_unsent_again(command, self.options.read_time_limit)
            )
        except SshError as exc:
            return reading_of(command, exc)
