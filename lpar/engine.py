"""The run engine: preview, launch, follow, reattach and cancel live updates on LPARs.

One `Engine` per bot process. It owns its background tasks (one per launched request) and,
unless given one, its SSH connections; `aclose()` cancels the tasks and closes SSH without
touching any operation on an LPAR (they run detached there and are reattached to on the next
start).

    async with Engine(inventory, StoredRunRecords(store)) as engine:
        await engine.reattach()                       # at start-up, before taking commands
        previews = await engine.preview(UpdateKind.LKU, "lpar01", items=["update_all"])
        ...  # the bot opens a request from the previews (Store.open_request), votes come in
        launched = await engine.launch("LU-17", user="U0CAROL01", policy=policy)
        if launched.request.state is RequestState.VOID: ...   # what was previewed changed
        async with engine.subscribe() as progress:
            async for event in progress: ...          # lpar.progress events
        card = await engine.snapshot("LU-17-1")       # the full view, from SQLite alone
        await engine.cancel("LU-17", user="U0CAROL01", policy=policy)
        await engine.cleanup("LU-17-1", by="U0DANA001")    # an admin's clvupdate, held, audited
        await engine.resolve("LU-17-1", outcome="failed", by="U0DANA001", reason="...")

What a run does, in order (README "How a run works" tells it for admins):
1. prep: the inventory's prep commands, in order; a non-zero exit stops the run.
2. `oslevel -s` and `lparstat -i` are read to compare with after.
3. The run is saved as running, then the operation is started detached, its output going to
   `LOG_DIR/lkubot-<request>-<n>.log`; it is never sent a second time, whatever happens.
4. The log is followed (`tail -n +K -f`), each batch of lines parsed, saved with its line
   offset, and only then published. SSH drops reconnect with backoff and resume at the saved
   line; out of contact past `EngineOptions.lost_contact_after` the run is marked unknown,
   and lkubot keeps trying at the slowest pace.
5. At the `lkubot-exit:` line: config.diff, genld -u, lparstat -i and oslevel -s are read and
   compared with before (LKU), or the per-process results read (LLU).
6. post: the inventory's post commands, in order.
7. The outcome is saved with the request's (for a rollout: at its end or first failure).

A group target (`group:NAME`) runs in waves: the first LPAR alone (the canary), then at most
one LPAR per managed system at a time, stopping at the first failure; each later LPAR is
previewed again first, and the rollout stops if what was approved has changed there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict

from liveupdate.checks import PreviewResult, UpdateKind
from liveupdate.llu import parse_llvupdate_preview
from liveupdate.policy import EffectivePolicy
from liveupdate.requests import (
    Launch,
    Request,
    RequestState,
    check_cancel,
    check_launch,
)
from liveupdate.runs import Launched, Run, RunState
from lpar import remote
from lpar.bus import ProgressBus
from lpar.cleanup import clean_up
from lpar.inventory import GROUP_PREFIX, Inventory, Lpar
from lpar.options import EngineOptions
from lpar.preview import preview_lpar
from lpar.progress import CommandOutcome, Progress, RunEnded
from lpar.rechecks import recheck, refuse_rechecks
from lpar.records import RunRecords
from lpar.refusals import LluSelectionRefused, NotRunning, ResolveRefused
from lpar.rollout import Rollout
from lpar.run_base import RunContext
from lpar.snapshot import RolloutSnapshot, RunSnapshot, build_snapshot
from lpar.ssh import Connections

__all__ = ["CancelSent", "Engine", "EngineOptions", "utc_now"]

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class CancelSent(BaseModel):
    """What a cancel did: which runs were told to stop, in a sentence for the person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: str
    runs: tuple[str, ...]
    message: str


class _Driving:
    """A request this engine drives: its rollout and the task running it."""

    def __init__(self, rollout: Rollout, task: asyncio.Task[None]) -> None:
        self.rollout = rollout
        self.task = task


class Engine:
    """Previews, launches, follows and cancels live updates; see the module text."""

    def __init__(
        self,
        inventory: Inventory,
        records: RunRecords,
        *,
        ssh: Connections | None = None,
        options: EngineOptions | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`ssh`: connections to share (the caller closes them); by default the engine opens
        its own with `options.ssh` and closes them in `aclose`. `clock` gives aware
        datetimes: the engine's only source of "now"."""
        self.inventory = inventory
        self.records = records
        self.options = options or EngineOptions()
        self.clock = clock
        self._own_ssh = ssh is None
        self.ssh = ssh or Connections(self.options.ssh)
        self._bus = ProgressBus(self.options.subscriber_queue)
        self._driving: dict[str, _Driving] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._closed = False
        self._context = RunContext(
            records=records,
            ssh=self.ssh,
            bus=self._bus,
            options=self.options,
            clock=clock,
            request_lock=self._locks.__getitem__,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- preview --------------------------------------------------------------------------

    async def preview(
        self,
        kind: UpdateKind,
        target: str,
        *,
        items: Sequence[str] = ("update_all",),
        media: str | None = None,
    ) -> tuple[PreviewResult, ...]:
        """The pre stage on `target` (an LPAR or `group:NAME`, every LPAR concurrently): one
        `PreviewResult` per LPAR, in inventory order, with its checklist and fingerprint.

        `items` and `media` are for LKU (`geninstall -k -p [-d MEDIA] ITEMS`; `media`
        defaults to the LPAR's `media` in the inventory). An LPAR that cannot be reached gives
        a failed result whose checklist says why, rather than an error. Raises
        `UnknownTargetError` for a name not in the inventory, `pydantic.ValidationError` for
        items or media that are not valid names or paths."""
        lpars = self.inventory.resolve(target)
        if kind is UpdateKind.LKU:
            for lpar in lpars:  # refuse bad words before anything is sent anywhere
                remote.geninstall(items, media=media or lpar.media, preview=True)
        now = self.clock()
        return tuple(
            await asyncio.gather(
                *(
                    preview_lpar(
                        self.ssh,
                        lpar,
                        kind,
                        now=now,
                        items=items,
                        media=media,
                        limits=self.options.preview_limits,
                    )
                    for lpar in lpars
                )
            )
        )

    # --- launch ---------------------------------------------------------------------------

    def _members(self, request: Request) -> list[tuple[str, Lpar | None]]:
        """The request's LPARs in inventory order (None for one no longer in the inventory)."""
        names = set(request.lpars)
        ordered = [lpar for lpar in self.inventory.lpars.values() if lpar.name in names]
        known = {lpar.name for lpar in ordered}
        return [(lpar.name, lpar) for lpar in ordered] + [
            (name, None) for name in request.lpars if name not in known
        ]

    async def launch(
        self,
        request_id: str,
        *,
        user: str,
        policy: EffectivePolicy,
        override_reason: str | None = None,
        llu_pids: Sequence[int] | None = None,
        refresh_policy: Callable[[], Awaitable[EffectivePolicy]] | None = None,
    ) -> Launched:
        """Launch an approved request and return at once, its runs going on in the background.

        Checks the launch rules first (quorum, expiry, freeze, window: the `Refused` errors of
        `liveupdate.requests.check_launch`) and that no LPAR of the request is held
        (`LparLocked`, naming the holder), then previews every LPAR again and lets storage
        compare fingerprints: when anything changed the request comes back `void` and nothing
        runs. A new preview that could not be done (`RecheckUnavailable`) or whose checks
        fail now (`RecheckFailed`) refuses the launch and leaves the request approved (see
        `lpar.rechecks`). For a group only the canary's run exists when this returns.

        `llu_pids` (LLU on one LPAR only) limits the update to some of the processes its
        preview listed (`llvupdate -p`); by default every capable process (`-a`).

        `refresh_policy`, when given, is awaited after the new preview and its policy is the
        one storage decides with: that preview can take longer than Slack user groups'
        member lists are trusted, and approvers or admins named by user group would then be
        refused for want of an answer."""
        request = await self.records.get_request(request_id)
        check_launch(request, user, override_reason, policy, self.clock())
        pids = self._llu_selection(request, llu_pids)
        members = self._members(request)
        gone = [name for name, lpar in members if lpar is None]
        if gone:
            raise NotRunning(
                f"{', '.join(gone)} of {request.id} is no longer in the inventory, so it cannot "
                "be launched: preview again."
            )
        lpars = [lpar for _, lpar in members if lpar is not None]
        # A busy LPAR refuses AIX's preview: look at the locks before previewing again, so
        # that another run there never makes the approved request void.
        await self.records.check_free(request.lpars)
        approved = {p.lpar: p for p in request.previews}
        again = await asyncio.gather(
            *(recheck(self._context, lpar, approved[lpar.name]) for lpar in lpars)
        )
        refuse_rechecks(request, again)
        event = Launch(
            user=user,
            fingerprints={r.result.lpar: r.result.fingerprint for r in again},
            override_reason=override_reason,
        )
        rollout = self._rollout(request, llu_pids=pids)
        canary = {name: dict(members)[name] for name in rollout.waves[0]}
        if refresh_policy is not None:
            policy = await refresh_policy()
        launched = await self.records.launch(
            request_id,
            event,
            policy,
            self.clock(),
            {name: lpar.log_dir for name, lpar in canary.items() if lpar is not None},
        )
        if launched.request.state is RequestState.RUNNING:
            rollout.request = launched.request
            self._drive(rollout)
        return launched

    def _llu_selection(
        self, request: Request, pids: Sequence[int] | None
    ) -> tuple[int, ...] | None:
        if pids is None:
            return None
        if request.kind is not UpdateKind.LLU or request.target.startswith(GROUP_PREFIX):
            raise LluSelectionRefused(
                "Choosing processes works for a live library update of one LPAR only."
            )
        listed = {p.pid for p in parse_llvupdate_preview(request.previews[0].raw_output).processes}
        unknown = sorted(set(pids) - listed)
        if unknown or not pids:
            raise LluSelectionRefused(
                f"{request.id} previewed processes {', '.join(map(str, sorted(listed))) or 'none'}"
                f"; {', '.join(map(str, unknown)) or 'no process'} is not among them."
            )
        return tuple(pids)

    def _drive(self, rollout: Rollout) -> None:
        request_id = rollout.request.id
        task = asyncio.get_running_loop().create_task(
            self._guarded(rollout), name=f"rollout {request_id}"
        )
        self._driving[request_id] = _Driving(rollout, task)

        def forget(done: asyncio.Task[None]) -> None:
            driving = self._driving.get(request_id)
            if driving is not None and driving.task is done:
                del self._driving[request_id]

        task.add_done_callback(forget)

    def _rollout(self, request: Request, *, llu_pids: tuple[int, ...] | None = None) -> Rollout:
        return Rollout(
            self._context,
            request,
            self._members(request),
            group=self.inventory.groups.get(request.group),
            llu_pids=llu_pids,
        )

    async def _guarded(self, rollout: Rollout) -> None:
        try:
            await rollout.drive()
        except asyncio.CancelledError:
            raise
        # Whatever went wrong, the request must not stay running with nobody driving it.
        except Exception as error:
            log.exception("driving %s stopped on an unexpected error", rollout.request.id)
            try:
                await rollout.abandon(error)
            except Exception:
                log.exception("%s could not be marked as stopped", rollout.request.id)

    # --- reattach -------------------------------------------------------------------------

    async def reattach(self) -> list[str]:
        """At start-up: go on with every request left running or unknown, following each
        unfinished run from its saved line. Returns the request ids taken up. Never starts an
        operation that was already sent; a run whose log cannot be found becomes unknown."""
        closed = await self.records.end_stale_cleanups(self.clock())
        if closed:
            log.warning("clean-ups left running by an earlier lkubot closed: %s", ", ".join(closed))
        taken = []
        for request in await self.records.active_requests():
            if request.id in self._driving:
                continue
            self._drive(self._rollout(request))
            taken.append(request.id)
        return taken

    # --- cancel and clean-up --------------------------------------------------------------

    async def cancel(
        self, request_id: str, *, user: str, policy: EffectivePolicy, reason: str = ""
    ) -> CancelSent:
        """Stop a running request's runs before the point of no return: `kill -TERM PID`,
        then `clvupdate` for LKU; the outcome follows as `RunEnded(outcome="cancelled")`.
        A rollout starts no further wave. Refuses (`CancelRefused`, sending nothing) once any
        current run has passed the point of no return; `NotPermitted` unless `user` is the
        requester, an approver or an admin; `NotRunning` when nothing runs here."""
        request = await self.records.get_request(request_id)
        check_cancel(request, user, policy)
        driving = self._driving.get(request_id)
        if driving is None or request.state not in (RequestState.RUNNING, RequestState.UNKNOWN):
            raise NotRunning(
                f"{request_id} has no run going on in lkubot (it is {request.state.value}): "
                "there is nothing to cancel."
            )
        runs = tuple(driver.run.id for driver in driving.rollout.current)
        message = await driving.rollout.cancel(user, reason)
        return CancelSent(request_id=request_id, runs=runs, message=message)

    async def cleanup(self, run_id: str, *, by: str) -> CommandOutcome:
        """Run the clean-up an admin (`by`, checked by the caller) asked for after `run_id`:
        `clvupdate` (LKU) or `cllvupdate -u` (LLU), holding the LPAR and audited; refused
        (`LparLocked`, `CleanupRefused`) while anything holds the LPAR, or when the run did
        not fail or is not the LPAR's latest. See `lpar.cleanup`."""
        return await clean_up(self._context, self.inventory, run_id, by=by)

    async def resolve(
        self, run_id: str, *, outcome: Literal["succeeded", "failed"], by: str, reason: str
    ) -> Run:
        """Close a run lkubot has lost track of as `outcome`, on the word of an admin (`by`,
        checked by the caller) who looked at the LPAR: the run ends with `reason`, its LPAR
        is free again, the audit trail names them, and its request goes on (the next wave of
        a rollout, or its end). Refused (`ResolveRefused`) for a run that has ended, and for
        one lkubot follows while in contact with its LPAR: that one ends on its own."""
        run = await self.records.get_run(run_id)
        if run.state.terminal:
            raise ResolveRefused(
                f"{run_id} has already ended ({run.state.value}): there is nothing to close."
            )
        driving = self._driving.get(run.request_id)
        followed = driving is not None and any(d.run.id == run_id for d in driving.rollout.current)
        if followed and run.state is not RunState.UNKNOWN:
            raise ResolveRefused(
                f"lkubot follows {run_id} on {run.lpar} and is in contact with it, so it records "
                "the outcome itself. /lku resolve closes runs lkubot has lost track of "
                "(unknown, or not followed)."
            )
        if followed and driving is not None:
            await driving.rollout.stop_run(run_id)
        now = self.clock()
        ended = RunEnded(
            request_id=run.request_id,
            run_id=run.id,
            lpar=run.lpar,
            at=now,
            outcome=outcome,
            message=f"Closed as {outcome} by <@{by}>, who checked {run.lpar}: {reason}",
        )
        closed = await self.records.resolve_run(
            run_id,
            outcome=RunState(outcome),
            by=by,
            reason=reason,
            now=now,
            step_type=ended.type,
            step_payload=ended.model_dump_json(exclude={"key"}),
        )
        self._bus.publish(ended.model_copy(update={"key": f"{run_id}#resolved"}))
        if run.request_id not in self._driving:
            # Nobody drives the request any more: its rollout counts the closed run and goes on.
            request = await self.records.get_request(run.request_id)
            if request.state in (RequestState.RUNNING, RequestState.UNKNOWN):
                self._drive(self._rollout(request))
        return closed

    # --- views ----------------------------------------------------------------------------

    async def snapshot(self, run_id: str) -> RunSnapshot:
        """The full view of one run, from SQLite alone."""
        run = await self.records.get_run(run_id)
        request = await self.records.get_request(run.request_id)
        return build_snapshot(
            run,
            request.kind,
            await self.records.run_events(run_id),
            await self.records.run_steps(run_id),
            self.clock(),
        )

    async def rollout(self, request_id: str) -> RolloutSnapshot:
        """The waves of a request and a snapshot of each run started so far."""
        request = await self.records.get_request(request_id)
        waves = self._rollout(request).waves
        runs = await self.records.runs_of(request_id)
        return RolloutSnapshot(
            request_id=request_id,
            waves=tuple(waves),
            runs=tuple([await self.snapshot(run.id) for run in runs]),
        )

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Progress]]:
        """Progress events from now on, each published after it was saved (`lpar.progress`).

        Any number of subscribers; each has its own queue of `options.subscriber_queue`
        events; one that falls further behind gets a `Gap` and should re-render from
        snapshots."""
        async with self._bus.subscribe() as events:
            yield events

    @property
    def active(self) -> list[str]:
        """Request ids whose runs this engine is driving now."""
        return sorted(self._driving)

    async def wait(self, request_id: str) -> None:
        """Until this engine has finished driving `request_id` (bound it with a timeout)."""
        driving = self._driving.get(request_id)
        if driving is not None:
            await asyncio.shield(driving.task)

    async def aclose(self) -> None:
        """Stop following (cancel every task, within `options.shutdown_grace`) and close the
        engine's own SSH connections. Operations on the LPARs are not touched."""
        if self._closed:
            return
        self._closed = True
        tasks = [driving.task for driving in self._driving.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.options.shutdown_grace):
                    await asyncio.gather(*tasks, return_exceptions=True)
        if self._own_ssh:
            await self.ssh.aclose()
