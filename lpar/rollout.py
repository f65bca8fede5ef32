"""Driving a launched request: its runs wave by wave, then the request's outcome.

A single LPAR is one wave of one run. A group goes in the waves of `lpar.waves.plan_waves`;
each LPAR of a later wave is previewed again before its run starts, and the rollout stops if
what was approved has changed there. The first failed or cancelled run stops the rollout
after its wave. Resuming after a restart is the same code: runs that exist are followed,
finished ones are counted, missing ones are started.
"""

from __future__ import annotations

import asyncio
import logging

from liveupdate.requests import Finish, Request, RequestState
from liveupdate.runs import Run, RunState
from lpar.inventory import Lpar
from lpar.preview import PreviewLimits, preview_lpar
from lpar.progress import RolloutEnded, RunOutcome, WaveStarted
from lpar.refusals import CancelRefused, NotRunning
from lpar.run_base import RunContext
from lpar.runner import RunDriver, drive_all
from lpar.waves import plan_waves

log = logging.getLogger(__name__)


class Rollout:
    def __init__(
        self,
        ctx: RunContext,
        request: Request,
        members: list[tuple[str, Lpar | None]],
        *,
        llu_pids: tuple[int, ...] | None = None,
    ) -> None:
        """`members`: the request's LPARs in inventory order, None for one no longer there."""
        self.ctx = ctx
        self.request = request
        self.members = members
        self.llu_pids = llu_pids
        self.waves = plan_waves(
            [(name, lpar.managed_system if lpar else f"(gone) {name}") for name, lpar in members]
        )
        self.current: list[RunDriver] = []
        self.cancelled_by: str | None = None

    @property
    def group(self) -> bool:
        return self.request.target.startswith("group:")

    def _lpar(self, name: str) -> Lpar | None:
        return dict(self.members).get(name)

    async def drive(self) -> None:
        records = self.ctx.records
        existing = {run.lpar: run for run in await records.runs_of(self.request.id)}
        for number, wave in enumerate(self.waves, start=1):
            missing = [name for name in wave if name not in existing]
            if missing:
                if self.cancelled_by is not None:
                    await self._finish("cancelled", self._cancel_note())
                    return
                gone = [name for name in missing if self._lpar(name) is None]
                if gone:
                    await self._finish(
                        "failed",
                        f"{', '.join(gone)} is no longer in the inventory, so the rollout "
                        "stopped before it.",
                    )
                    return
                changed = await self._changed(missing)
                if changed:
                    await self._finish(
                        "failed",
                        f"What was previewed on {', '.join(changed)} changed since the "
                        "approval, so the rollout stopped before it: preview again.",
                    )
                    return
                if self.cancelled_by is not None:
                    await self._finish("cancelled", self._cancel_note())
                    return
                for name in missing:
                    lpar = self._lpar(name)
                    assert lpar is not None
                    existing[name] = await records.start_run(
                        self.request.id, name, lpar.log_dir, self.ctx.clock()
                    )
            runs = [existing[name] for name in wave]
            if self.group and (missing or not all(run.state.terminal for run in runs)):
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
            ended = await self._run_wave(runs)
            if ended is None:
                return  # a run is unknown: the next start of lkubot takes it up again
            if any(run.state is not RunState.SUCCEEDED for run in ended):
                failed = [run for run in ended if run.state is RunState.FAILED]
                outcome: RunOutcome = "failed" if failed else "cancelled"
                names = ", ".join(run.lpar for run in ended if run.state is not RunState.SUCCEEDED)
                await self._finish(outcome, f"The rollout stopped: the run on {names} {outcome}.")
                return
        await self._finish("succeeded", None)

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
            ended = await drive_all(drivers)
        finally:
            self.current = []
        return ended if all(run.state.terminal for run in ended) else None

    async def _changed(self, names: list[str]) -> list[str]:
        limits = PreviewLimits(
            read=self.ctx.options.read_time_limit,
            preview=self.ctx.options.preview_time_limit,
            total=self.ctx.options.preview_total,
        )
        approved = {p.lpar: p for p in self.request.previews}

        async def again(name: str) -> bool:
            lpar = self._lpar(name)
            assert lpar is not None
            before = approved[name]
            now = await preview_lpar(
                self.ctx.ssh,
                lpar,
                before.kind,
                now=self.ctx.clock(),
                items=before.filesets or ("update_all",),
                media=before.media,
                limits=limits,
            )
            return now.fingerprint != before.fingerprint

        flags = await asyncio.gather(*(again(name) for name in names))
        return [name for name, changed in zip(names, flags, strict=True) if changed]

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
        said = [await driver.request_cancel(by, reason) for driver in drivers]
        if self.group:
            said.append("No further wave will start.")
        return " ".join(said)
