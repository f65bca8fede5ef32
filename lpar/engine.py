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

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from liveupdate.checks import PreviewResult, UpdateKind
from liveupdate.policy import EffectivePolicy
from liveupdate.runs import Launched
from lpar.follow import Backoff
from lpar.inventory import Inventory
from lpar.progress import CommandOutcome, Progress
from lpar.records import RunRecords
from lpar.remote import LLU_MAX_TIMEOUT
from lpar.snapshot import RolloutSnapshot, RunSnapshot
from lpar.ssh import Connections, SshOptions


def utc_now() -> datetime:
    return datetime.now(UTC)


class EngineOptions(BaseModel):
    """Time limits and paces of the run engine (seconds of lkubot's clock)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ssh: SshOptions = Field(default_factory=SshOptions)
    """Used when the engine opens its own connections."""
    read_time_limit: float = Field(default=120.0, gt=0)
    """Each state read: oslevel, lparstat, hmcauth, cat, lspv, emgr, raso, genld."""
    preview_time_limit: float = Field(default=1800.0, gt=0)
    """`geninstall -k -p` or `llvupdate -P` (a real preview takes minutes)."""
    preview_total: float = Field(default=2100.0, gt=0)
    """The whole preview of one LPAR, pre commands included."""
    stage_time_limit: float = Field(default=900.0, gt=0)
    """Each prep or post command from the inventory."""
    control_time_limit: float = Field(default=60.0, gt=0)
    """Sending the detached start, `kill -TERM`."""
    cleanup_time_limit: float = Field(default=1800.0, gt=0)
    """`clvupdate` and `cllvupdate -u`."""
    lost_contact_after: float = Field(default=300.0, gt=0)
    """Out of contact this long, a run is marked unknown (the request too) until it is back."""
    backoff: Backoff = Field(default_factory=Backoff)
    """Reconnect pace while following a log; it settles at `backoff.slowest`."""
    llu_retries: int = Field(default=3, ge=0, le=100)
    """`llvupdate -n`: retries per process after the first attempt."""
    llu_timeout: int = Field(default=30, ge=1, le=LLU_MAX_TIMEOUT)
    """`llvupdate -t`: seconds per process attempt."""
    batch_lines: int = Field(default=1000, ge=1)
    """Log lines parsed and saved in one transaction at most."""
    subscriber_queue: int = Field(default=10_000, ge=1)
    """Events a slow subscriber may fall behind by before it gets a `Gap`."""
    shutdown_grace: float = Field(default=10.0, gt=0)
    """How long `aclose` waits for cancelled tasks to finish."""


class CancelSent(BaseModel):
    """What a cancel did: which runs were told to stop, in a sentence for the person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: str
    runs: tuple[str, ...]
    message: str


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
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

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
        raise NotImplementedError

    async def launch(
        self,
        request_id: str,
        *,
        user: str,
        policy: EffectivePolicy,
        override_reason: str | None = None,
        llu_pids: Sequence[int] | None = None,
    ) -> Launched:
        """Launch an approved request and return at once, its runs going on in the background.

        Checks the launch rules first (quorum, expiry, freeze, window: the `Refused` errors of
        `liveupdate.requests.check_launch`), then previews every LPAR of the request again and
        lets storage compare fingerprints: when anything changed the request comes back
        `void` and nothing runs. `LparLocked` (a `Refused`) names who holds a locked LPAR.
        For a group only the canary's run exists when this returns.

        `llu_pids` (LLU on one LPAR only) limits the update to some of the processes its
        preview listed (`llvupdate -p`); by default every capable process (`-a`)."""
        raise NotImplementedError

    async def reattach(self) -> list[str]:
        """At start-up: go on with every request left running or unknown, following each
        unfinished run from its saved line. Returns the request ids taken up. Never starts an
        operation that was already sent; a run whose log cannot be found becomes unknown."""
        raise NotImplementedError

    async def cancel(
        self, request_id: str, *, user: str, policy: EffectivePolicy, reason: str = ""
    ) -> CancelSent:
        """Stop a running request's runs before the point of no return: `kill -TERM PID`,
        then `clvupdate` for LKU; the outcome follows as `RunEnded(outcome="cancelled")`.
        A rollout starts no further wave. Refuses (`CancelRefused`, sending nothing) once any
        current run has passed the point of no return; `NotPermitted` unless `user` is the
        requester, an approver or an admin; `NotRunning` when nothing runs here."""
        raise NotImplementedError

    async def cleanup(self, lpar: str, kind: UpdateKind) -> CommandOutcome:
        """Run the clean-up an admin asked for: `clvupdate` (LKU) or `cllvupdate -u` (LLU).
        Refused (`NotRunning`'s sibling `Refused`) while a run holds the LPAR in this engine."""
        raise NotImplementedError

    async def snapshot(self, run_id: str) -> RunSnapshot:
        """The full view of one run, from SQLite alone."""
        raise NotImplementedError

    async def rollout(self, request_id: str) -> RolloutSnapshot:
        """The waves of a request and a snapshot of each run started so far."""
        raise NotImplementedError

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Progress]]:
        """Progress events from now on, each published after it was saved (`lpar.progress`).

        Any number of subscribers; each has its own queue of `options.subscriber_queue`
        events; one that falls further behind gets a `Gap` and should re-render from
        snapshots."""
        raise NotImplementedError
        yield

    @property
    def active(self) -> list[str]:
        """Request ids whose runs this engine is driving now."""
        raise NotImplementedError

    async def wait(self, request_id: str) -> None:
        """Until this engine has finished driving `request_id` (bound it with a timeout)."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Stop following (cancel every task, within `options.shutdown_grace`) and close the
        engine's own SSH connections. Operations on the LPARs are not touched."""
        raise NotImplementedError
