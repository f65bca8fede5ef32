"""A world for run engine tests: simulated LPARs over real SSH, lkubot's SQLite records, and
helpers that open and approve requests the way the bot does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liveupdate.checks import UpdateKind
from liveupdate.policy import EffectivePolicy
from liveupdate.requests import Approve, Launch, Request
from liveupdate.runs import Run, RunState, advance_run
from lpar import remote
from lpar.engine import Engine, EngineOptions
from lpar.follow import Backoff
from lpar.inventory import Inventory, load_inventory
from lpar.journal import Journal
from lpar.oplog import OperationLog, to_run_event
from lpar.progress import OperationSent, Progress, RolloutEnded, StepEvent
from lpar.ssh import Connections, SshOptions
from sim.aix.fleet import Fleet
from sim.aix.scenario import Scenario
from storage.run_records import StoredRunRecords
from storage.store import AsyncStore, Store
from tests.lpar.conftest import SPEED, WAIT, eventually

REQUESTER = "U0CAROL01"
APPROVERS = ("U0ALICE01", "U0BOB0001")
QUICK = EngineOptions(
    ssh=SshOptions(keepalive_interval=1, keepalive_count_max=2),
    backoff=Backoff(first=0.02, factor=2, slowest=0.1),
    lost_contact_after=5.0,
    liveness_after=2.0,
    shutdown_grace=2.0,
)
"""Reconnects every 20-100 ms; a run is unknown after 5 s out of contact."""


def no_usergroups(user: str, usergroup: str) -> bool:
    return False


@dataclass
class World:
    fleet: Fleet
    inventory: Inventory
    db: Path
    store: AsyncStore
    engines: list[Engine] = field(default_factory=list)

    def policy(self, group: str) -> EffectivePolicy:
        return EffectivePolicy(
            group=self.inventory.groups[group],
            membership=no_usergroups,
            admins=frozenset(self.inventory.admins),
        )

    def engine(
        self,
        options: EngineOptions = QUICK,
        store: AsyncStore | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> Engine:
        engine = Engine(
            self.inventory,
            StoredRunRecords(store or self.store),
            options=options,
            clock=clock or (lambda: datetime.now(UTC)),
        )
        self.engines.append(engine)
        return engine

    async def request(
        self,
        engine: Engine,
        target: str,
        kind: UpdateKind = UpdateKind.LKU,
        *,
        approve: bool = True,
        **preview: Any,
    ) -> Request:
        """Preview `target`, open a request from it as the bot does, and approve it."""
        previews = await engine.preview(kind, target, **preview)
        group = self.inventory.resolve(target)[0].group
        policy = self.policy(group)
        now = datetime.now(UTC)
        request = await self.store.call(
            Store.open_request,
            kind=kind,
            target=target,
            group=group,
            requester=REQUESTER,
            previews=previews,
            policy=policy,
            now=now,
        )
        if approve:
            for approver in APPROVERS[: policy.group.approvals_required]:
                request = await self.store.call(
                    Store.apply, request.id, Approve(user=approver), policy, now
                )
        return request

    async def launch(self, engine: Engine, request: Request, **options: Any) -> Request:
        launched = await engine.launch(
            request.id, user=REQUESTER, policy=self.policy(request.group), **options
        )
        return launched.request

    async def launched_in_storage(self, engine: Engine, lpar: str) -> tuple[Request, Run]:
        """A request launched the way the engine records a launch, with no engine driving it:
        the state an lkubot leaves when it dies right after the launch was saved."""
        request = await self.request(engine, lpar)
        previews = request.previews
        launched = await self.store.call(
            Store.launch,
            request.id,
            Launch(user=REQUESTER, fingerprints={p.lpar: p.fingerprint for p in previews}),
            self.policy(request.group),
            previews[0].previewed_at,
            {lpar: self.inventory.lpar(lpar).log_dir},
        )
        [run] = launched.runs
        return launched.request, run

    async def sent_without_log(
        self, engine: Engine, lpar: str, *, lines_read: int = 0
    ) -> tuple[Request, Run]:
        """A run noted as sent and saved running by an lkubot that died before the start left
        it: no log is on the LPAR. With `lines_read`, that lkubot had read (and saved) as many
        lines of the log, which has gone since."""
        request, run = await self.launched_in_storage(engine, lpar)
        preview = request.previews[0]
        sent = OperationSent(
            request_id=request.id,
            run_id=run.id,
            lpar=run.lpar,
            at=run.started_at,
            command=remote.geninstall(preview.filesets, media=preview.media, preview=False).line,
            log_path=run.log_path,
        )
        now = run.started_at
        await self.store.call(Store.record_run_step, run.id, sent.type, sent.model_dump_json(), now)
        running = await self.store.call(
            Store.save_run, advance_run(run, RunState.RUNNING, now), now
        )
        if lines_read:
            running = await self.store.call(Store.record_run_lines, run.id, [], lines_read)
        return request, running

    async def send_noted_start(self, run: Run) -> None:
        """Send the start noted in the run's journal, as lkubot sends it: what an lkubot that
        died right after sending it had done."""
        sent = Journal.from_steps(run.id, await self.store.call(Store.run_steps, run.id)).sent
        assert sent is not None, f"{run.id} has no start noted"
        start = remote.start_detached(remote.RemoteCommand(sent.command), sent.log_path)
        async with Connections(QUICK.ssh) as ssh:
            result = await ssh.run(self.inventory.lpar(run.lpar), start)
        assert result.ok, result
        assert not result.stderr, result

    async def note(self, run: Run, *steps: StepEvent) -> None:
        """Save journal steps as the run engine does (what an earlier lkubot did)."""
        for step in steps:
            await self.store.call(
                Store.record_run_step, run.id, step.type, step.model_dump_json(), step.at
            )

    async def followed_to_the_end(self, run: Run) -> Run:
        """The noted start sent, and its whole log read and saved up to the exit line, as an
        lkubot that died right after that would have left it."""
        await self.send_noted_start(run)
        lpar = self.fleet.lpar(run.lpar)
        await eventually(
            lambda: (
                run.log_path in lpar.logs
                and lpar.logs[run.log_path].lines[-1].startswith(remote.EXIT_MARKER)
            )
        )
        seen = OperationLog(UpdateKind.LKU)
        lines = lpar.logs[run.log_path].lines
        records = [r for n, text in enumerate(lines, start=1) for r in seen.feed(n, text)]
        events = [to_run_event(r, run.started_at) for r in records]
        return await self.store.call(Store.record_run_lines, run.id, events, seen.settled)

    def operations(self, lpar: str) -> list[str]:
        """The detached starts the LPAR received: the proof of "started at most once"."""
        return [c.operation for c in self.fleet.lpar(lpar).commands if c.operation is not None]

    def refused_starts(self, lpar: str) -> int:
        """Detached starts the LPAR's shell refused (their log existed, or could not be
        created): they started nothing."""
        return len([c for c in self.fleet.lpar(lpar).commands if c.start_refused])

    def received(self, lpar: str, program: str) -> list[str]:
        return [c.command for c in self.fleet.lpar(lpar).commands if c.command.startswith(program)]


@asynccontextmanager
async def world(
    tmp_path: Path,
    count: int = 1,
    *,
    speed: float = SPEED,
    scenario: Scenario | dict[str, Any] | None = None,
) -> AsyncIterator[World]:
    if isinstance(scenario, dict):
        scenario = Scenario.model_validate(scenario)
    async with Fleet.start(
        count,
        out_dir=tmp_path / "fleet",
        speed=speed,
        scenario=scenario,
        approvers=list(APPROVERS),
        admins=["U0ADMIN01"],
        channel="C0TESTOPS",
    ) as fleet:
        db = tmp_path / "lkubot.db"
        store = await AsyncStore.open(db)
        made = World(fleet, load_inventory(fleet.inventory_path), db, store)
        try:
            yield made
        finally:
            for engine in made.engines:
                await engine.aclose()
            await store.close()


class Recorder:
    """Collects what an engine publishes, checking each event against SQLite as it comes."""

    def __init__(self) -> None:
        self.events: list[Progress] = []
        self._task: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def listening(
        self, engine: Engine, check: Callable[[Progress], Any] | None = None
    ) -> AsyncIterator[Recorder]:
        ready = asyncio.Event()

        async def listen() -> None:
            async with engine.subscribe() as progress:
                ready.set()
                async for event in progress:
                    if check is not None:
                        await check(event)
                    self.events.append(event)

        self._task = asyncio.create_task(listen())
        await ready.wait()
        try:
            yield self
        finally:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def of(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]

    async def until(self, test: Callable[[Progress], bool], within: float = WAIT) -> Progress:
        """The first event (seen so far or to come) that passes `test`."""
        async with asyncio.timeout(within):
            seen = 0
            while True:
                for event in self.events[seen:]:
                    if test(event):
                        return event
                seen = len(self.events)
                await asyncio.sleep(0.005)

    async def ended(self, request_id: str, within: float = WAIT) -> RolloutEnded:
        event = await self.until(
            lambda e: isinstance(e, RolloutEnded) and e.request_id == request_id, within
        )
        assert isinstance(event, RolloutEnded)
        return event


def keys(events: Sequence[Progress]) -> list[str]:
    return [getattr(event, "key", "") for event in events]
