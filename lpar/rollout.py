"""Driving a launched request: its runs wave by wave, then the request's outcome.

A single LPAR is one wave of one run. A group goes in the waves of `lpar.waves.plan_waves`.
Before each later wave:

- the freeze and the group's change windows are checked again (`liveupdate.holds`): while
  either blocks, the rollout is held (`RolloutHeld`, once per reason) and looks again every
  `hold_recheck` seconds; held longer than `hold_limit` after its previous wave ended, it
  stops;
- each LPAR of the wave is previewed again (`lpar.rechecks`): one that cannot be previewed
  just now holds the rollout the same way; one where what was approved has changed, or where
  a check fails now, stops it;
- the wave's runs start together or not at all: an LPAR held by an admin (`/lku lock`) or by
  another run stops the rollout with a sentence that names the holder.

The first failed, unverified or cancelled run stops the rollout after its wave. Whatever
stops a rollout ends its request with a sentence and publishes `RolloutEnded`; an error
nothing foresaw does the same, or, when a run was left unfinished, marks the request unknown
and says so (`RolloutHeld`), for an admin to close the run with `/lku resolve`. Resuming
after a restart is the same code: runs that exist are followed, finished ones are counted,
missing ones are started.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging

from liveupdate.errors import Refused
from liveupdate.holds import held_sentence, wave_blockers
from liveupdate.policy import GroupPolicy
from liveupdate.requests import Finish, LoseContact, Request, RequestState
from liveupdate.runs import Run, RunState
from lpar.inventory import Lpar
from lpar.progress import RolloutEnded, RolloutHeld, RunOutcome, WaveStarted
from lpar.rechecks import recheck, unavailable_sentence
from lpar.refusals import CancelRefused, NotRunning
from lpar.run_base import RunContext
from lpar.runner import RunDriver
from lpar.waves import plan_waves

log = logging.getLogger(__name__)

_STOPS: dict[RunState, RunOutcome] = {
    RunState.FAILED: "failed",
    RunState.UNVERIFIED: "unverified",
    RunState.CANCELLED: "cancelled",
}
"""Run outcomes that stop a rollout after their wave, most serious first."""


class _Stop(Exception):
    """The rollout cannot go on; the message says why, for the request's note."""


class Rollout:
    def __init__(
        self,
        ctx: RunContext,
        request: Request,
        members: list[tuple[str, Lpar | None]],
        *,
        group: GroupPolicy | None,
        llu_pids: tuple[int, ...] | None = None,
    ) -> None:
        """`members`: the request's LPARs in inventory order, None for one no longer there;
        `group`: the policy of the request's group (None when it left the inventory)."""
        self.ctx = ctx
        self.request = request
        self.members = members
        self.group_policy = group
        self.llu_pids = llu_pids
        self.waves = plan_waves(
            [(name, lpar.managed_system if lpar else f"(gone) {name}") for name, lpar in members]
        )
        self.current: list[RunDriver] = []
        self.cancelled_by: str | None = None
        self._wake = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[Run]] = {}
        self._stopping: set[str] = set()

    @property
    def group(self) -> bool:
        return self.request.target.startswith("group:")

    def _lpar(self, name: str) -> Lpar | None:
        return dict(self.members).get(name)

    # --- the waves ------------------------------------------------------------------------

    async def drive(self) -> None:
        records = self.ctx.records
        existing = {run.lpar: run for run in await records.runs_of(self.request.id)}
        for number, wave in enumerate(self.waves, start=1):
            missing = [name for name in wave if name not in existing]
            if missing:
                try:
                    await self._ready(number, missing, existing)
                    started = await self._start(number, missing)
                except _Stop as stop:
                    await self._finish("cancelled" if self.cancelled_by else "failed", str(stop))
                    return
                existing.update({run.lpar: run for run in started})
            runs = [existing[name] for name in wave]
            if self.group and (missing or not all(run.state.terminal for run in runs)):
                self._publish_wave(number, wave)
            ended = await self._run_wave(runs)
            if ended is None:
                return  # a run is unknown: an admin closes it, or the next start takes it up
            existing.update({run.lpar: run for run in ended})
            stopped = [run for run in ended if run.state in _STOPS]
            if stopped:
                outcome = next(
                    o for state, o in _STOPS.items() if any(r.state is state for r in stopped)
                )
                names = ", ".join(run.lpar for run in stopped)
                await self._finish(outcome, f"The rollout stopped: the run on {names} {outcome}.")
                return
        await self._finish("succeeded", None)

    def _publish_wave(self, number: int, wave: tuple[str, ...]) -> None:
        self.ctx.bus.publish(
            WaveStarted(
                key=f"{self.request.id}#wave{number}",
                request_id=self.request.id,
                at=self.ctx.clock(),
                wave=number,
                waves=len(self.waves),
                lpars=wave,
            )
        )

    async def _ready(self, number: int, names: list[str], existing: dict[str, Run]) -> None:
        """Return once wave `number` may start; `_Stop` when the rollout must end instead."""
        told: str | None = None
        while True:
            if self.cancelled_by is not None:
                raise _Stop(self._cancel_note())
            gone = [name for name in names if self._lpar(name) is None]
            if gone or self.group_policy is None:
                what = ", ".join(gone) or f"group {self.request.group}"
                raise _Stop(
                    f"{what} is no longer in the inventory, so the rollout stopped before it."
                )
            held = await self._held(number, names, self.group_policy)
            if held is None:
                if self.cancelled_by is not None:
                    raise _Stop(self._cancel_note())
                return
            if held != told:
                told = held
                self._publish_held(number, held)
            self._refuse_if_held_too_long(existing)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.ctx.options.hold_recheck)

    async def _held(self, number: int, names: list[str], group: GroupPolicy) -> str | None:
        """Why the wave cannot start just now (None: it can); `_Stop` when it never will."""
        now = self.ctx.clock()
        freeze = await self.ctx.records.freeze()
        blockers = wave_blockers(self.request, group, freeze, now)
        if blockers:
            return held_sentence(self.request, blockers, group, freeze, now)
        # An LPAR held by an admin is not previewed again: it may be under maintenance.
        try:
            await self.ctx.records.check_free(names)
        except Refused as refused:
            raise _Stop(f"The rollout stopped before wave {number}: {refused}") from None
        approved = {p.lpar: p for p in self.request.previews}

        async def again(name: str) -> tuple[str, str | None, str | None]:
            """(name, why it cannot be told now, why it must stop)."""
            lpar, before = self._lpar(name), approved[name]
            assert lpar is not None
            checked = await recheck(self.ctx, lpar, before)
            if checked.unavailable is not None:
                return name, unavailable_sentence(self.request, checked), None
            if checked.result.fingerprint != before.fingerprint:
                return name, None, "changed"
            if checked.result.blocked:
                failed = "; ".join(f"{c.title}: {c.summary}" for c in checked.result.failed_checks)
                return name, None, f"fails its checks now ({failed})"
            return name, None, None

        found = await asyncio.gather(*(again(name) for name in names))
        changed = [name for name, _, why in found if why == "changed"]
        if changed:
            raise _Stop(
                f"What was previewed on {', '.join(changed)} changed since the approval, so the "
                "rollout stopped before it: preview again."
            )
        failing = [f"{name} {why}" for name, _, why in found if why is not None]
        if failing:
            raise _Stop(
                f"The rollout stopped: {'; '.join(failing)}. Fix that, then preview the LPARs "
                "left again."
            )
        unavailable = [why for _, why, _ in found if why is not None]
        return unavailable[0] if unavailable else None

    def _publish_held(self, number: int | None, message: str) -> None:
        said = hashlib.sha256(message.encode()).hexdigest()[:8]
        self.ctx.bus.publish(
            RolloutHeld(
                key=f"{self.request.id}#held{number or ''}:{said}",
                request_id=self.request.id,
                at=self.ctx.clock(),
                wave=number,
                waves=len(self.waves),
                message=message,
            )
        )

    def _refuse_if_held_too_long(self, existing: dict[str, Run]) -> None:
        ends = [run.ended_at for run in existing.values() if run.ended_at is not None]
        if not ends:
            return
        waited = (self.ctx.clock() - max(ends)).total_seconds()
        limit = self.ctx.options.hold_limit
        if waited > limit:
            raise _Stop(
                f"The rollout waited {_hours(waited)} for its next wave, longer than the "
                f"{_hours(limit)} it may: it stopped. Preview the LPARs left again."
            )

    async def _start(self, number: int, names: list[str]) -> list[Run]:
        """The wave's runs, with their locks, all together; `_Stop` naming a held LPAR."""
        log_dirs: dict[str, str] = {}
        for name in names:
            lpar = self._lpar(name)
            assert lpar is not None
            log_dirs[name] = lpar.log_dir
        try:
            return await self.ctx.records.start_runs(self.request.id, log_dirs, self.ctx.clock())
        except Refused as refused:
            raise _Stop(f"The rollout stopped before wave {number}: {refused}") from None

    # --- one wave ---------------------------------------------------------------------------

    async def _run_wave(self, runs: list[Run]) -> list[Run] | None:
        drivers = []
        for run in runs:
            lpar = self._lpar(run.lpar)
            if lpar is None:
                log.error("%s: %s is no longer in the inventory; not followed", run.id, run.lpar)
                return None
            drivers.append(RunDriver(self.ctx, self.request, run, lpar, llu_pids=self.llu_pids))
        self.current = drivers
        try:
            ended = await self._drive_all(drivers)
        finally:
            self.current = []
        return ended if all(run.state.terminal for run in ended) else None

    async def _drive_all(self, drivers: list[RunDriver]) -> list[Run]:
        """Drive the wave's runs side by side; each one's failure stays its own. A run that
        stops on an error nothing foresaw becomes unknown with a sentence saying so; a run an
        admin closed (`stop_run`) is taken as stored."""
        loop = asyncio.get_running_loop()
        self._tasks = {
            d.run.id: loop.create_task(d.drive(), name=f"run {d.run.id}") for d in drivers
        }
        try:
            outcomes = await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        finally:
            self._tasks = {}
        results: list[Run] = []
        for driver, outcome in zip(drivers, outcomes, strict=True):
            if driver.run.id in self._stopping:
                self._stopping.discard(driver.run.id)
                results.append(await self.ctx.records.get_run(driver.run.id))
            elif isinstance(outcome, asyncio.CancelledError):
                raise outcome
            elif isinstance(outcome, BaseException):
                log.error("run %s stopped on an error", driver.run.id, exc_info=outcome)
                results.append(await driver.abandon(outcome))
            else:
                results.append(outcome)
        return results

    async def stop_run(self, run_id: str) -> bool:
        """Stop following `run_id` now (an admin closed it); False when it is not followed
        here. Returns once its driver has stopped."""
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return False
        self._stopping.add(run_id)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([task])
        return True

    # --- the end ------------------------------------------------------------------------------

    def _cancel_note(self) -> str:
        return f"Cancelled by <@{self.cancelled_by}>: no further wave was started."

    async def _finish(self, outcome: RunOutcome, message: str | None) -> None:
        now = self.ctx.clock()
        async with self.ctx.request_lock(self.request.id):
            request = await self.ctx.records.get_request(self.request.id)
            if request.state in (RequestState.RUNNING, RequestState.UNKNOWN):
                await self.ctx.records.observe(
                    self.request.id, Finish(outcome=outcome, detail=message), now
                )
        self.ctx.bus.publish(
            RolloutEnded(
                key=f"{self.request.id}#end",
                request_id=self.request.id,
                at=now,
                outcome=outcome,
                message=message,
            )
        )

    async def abandon(self, error: BaseException) -> None:
        """After an error nothing foresaw: end the request with a sentence when no run of it
        is left unfinished; otherwise mark it unknown, for an admin to close those runs."""
        message = (
            f"lkubot stopped driving {self.request.id} on an unexpected error "
            f"({type(error).__name__}: {error}); its log has the details. Check the LPARs, "
            "then close any run left open with /lku resolve RUN succeeded|failed REASON."
        )
        records = self.ctx.records
        open_runs = [r for r in await records.runs_of(self.request.id) if not r.state.terminal]
        if not open_runs:
            await self._finish("failed", message)
            return
        async with self.ctx.request_lock(self.request.id):
            request = await records.get_request(self.request.id)
            if request.state is RequestState.RUNNING:
                await records.observe(
                    self.request.id, LoseContact(detail=message), self.ctx.clock()
                )
        self._publish_held(None, message)

    async def cancel(self, by: str, reason: str) -> str:
        """Stop the runs going on (before their point of no return) and any later wave."""
        drivers = [driver for driver in self.current if not driver.ended]
        late = [d for d in drivers if d.passed_point_of_no_return]
        if late:
            names = ", ".join(d.lpar.name for d in late)
            raise CancelRefused(
                f'{self.request.id} has passed the point of no return on {names} ("Non-'
                'interruptable live update operation begins"): AIX cannot stop it now. Nothing '
                "was sent."
            )
        if not drivers and not self.group:
            raise NotRunning(f"{self.request.id} has no run going on to cancel.")
        self.cancelled_by = by
        self._wake.set()
        said = [await driver.request_cancel(by, reason) for driver in drivers]
        if self.group:
            said.append("No further wave will start.")
        return " ".join(said)


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{seconds / 60:.0f} min"
