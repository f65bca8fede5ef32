"""Following a run's operation log and keeping contact with its LPAR.

The log is followed with `tail -n +K -f` (`lpar.follow.follow_log`): each batch of lines is
parsed, saved with its line offset, and only then published. An SSH drop reconnects with
backoff and resumes at the saved line; out of contact past `lost_contact_after` the run (and
its request) are marked unknown and lkubot keeps trying at the slowest pace; when the LPAR
answers again they are running again. A log silent for `liveness_after` makes lkubot ask
`ps -p PID` whether the operation still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any, cast

from liveupdate.checks import UpdateKind
from liveupdate.lvevents import BlackoutEnded, PointOfNoReturnPassed
from liveupdate.requests import LoseContact, RequestState, Resume
from liveupdate.runs import RunState
from lpar import remote
from lpar.aix_log import AIX_LOG, account_of
from lpar.follow import FollowEvent, LinkDown, LinkUp, LogLine, LogUnavailable, follow_log
from lpar.oplog import llu_progress, progress_of, to_run_event
from lpar.progress import LinkLost, LinkRestored, RunUnknown
from lpar.run_base import RunBase
from lpar.ssh import SshError


class Following(RunBase):
    """Following the operation's log and the contact with the LPAR (see the module text)."""

    async def _after_batch(self) -> None:
        """Called after each batch of log lines was saved and published."""

    async def _probe(self) -> bool:
        """After a restart: is the operation's log there? Regains contact when it is."""
        reading = await self._read(remote.tail(self.run.log_path, max(1, self.run.lines_consumed)))
        if reading.error is not None:
            return True  # out of reach: following deals with that
        if not reading.ok:
            return await self._log_missing()
        if self.run.state is RunState.UNKNOWN:
            await self._regain_contact()
        return True

    async def _log_missing(self) -> bool:
        """The log is not on the LPAR: True to follow it again (the run driver sends the start
        again while none of the log was read), False once the run was made unknown."""
        await self._no_log()
        return False

    async def _no_log(self) -> None:
        path = self.run.log_path
        if self.log.lines == 0:
            said = f" (the shell said: {self._start_stderr})" if self._start_stderr else ""
            message = (
                f"lkubot sent the start of the operation to {self.lpar.name} "
                f"{self._starts_sent} times, but there is no log at {path}: a start runs "
                f"nothing when its shell cannot create that log, so none of them started "
                f"it{said}. Check that {path.rsplit('/', 1)[0]} exists and that lkubot's user "
                f"may write there, and that nothing runs (`ps -ef | grep {self._program()}`); "
                f"then close the run with /lku resolve {self.run.id} failed REASON and "
                "preview again."
            )
        else:
            message = (
                f"The operation's log {path} on {self.lpar.name} has gone after "
                f"{self.log.lines} lines, so lkubot cannot tell how the operation ends. Check "
                "the LPAR and its live update logs."
            )
        await self._lose_contact(message)

    def _program(self) -> str:
        return "geninstall" if self.kind is UpdateKind.LKU else "llvupdate"

    async def _lose_contact(self, message: str) -> None:
        async with self.ctx.request_lock(self.request_id):
            request = await self.records.get_request(self.request_id)
            event = LoseContact(detail=message) if request.state is RequestState.RUNNING else None
            await self._save(RunState.UNKNOWN, error=message, request_event=event)
        await self._step(RunUnknown(**self._event_fields(), message=message))

    async def _regain_contact(self) -> None:
        async with self.ctx.request_lock(self.request_id):
            request = await self.records.get_request(self.request_id)
            others = [
                run
                for run in await self.records.runs_of(self.request_id)
                if run.id != self.run.id and run.state is RunState.UNKNOWN
            ]
            event = Resume() if request.state is RequestState.UNKNOWN and not others else None
            await self._save(RunState.RUNNING, request_event=event)

    async def _follow(self) -> bool:
        """Follow the log to the exit line; False when its log is gone (the run is then
        unknown, for an admin to close)."""
        while True:
            outcome = await self._follow_once()
            if outcome is not None:
                return outcome

    async def _follow_once(self) -> bool | None:
        """True at the exit line, False when the log is gone; None to follow again (the start
        was sent again, or after a wait on an error only an admin can fix)."""
        queue: asyncio.Queue[FollowEvent | BaseException] = asyncio.Queue(
            maxsize=2 * self.options.batch_lines
        )

        async def pump() -> None:
            feed = cast(
                AsyncGenerator[FollowEvent, None],
                follow_log(
                    self.ctx.ssh,
                    self.lpar,
                    self.run.log_path,
                    consumed=self.log.lines,
                    backoff=self.options.backoff,
                ),
            )
            try:
                async with contextlib.aclosing(feed) as events:
                    async for event in events:
                        await queue.put(event)
            except (SshError, OSError) as exc:
                await queue.put(exc)

        pumping = asyncio.create_task(pump(), name=f"follow {self.run.id}")
        held: FollowEvent | BaseException | None = None
        try:
            while True:
                if held is not None:
                    item, held = held, None
                else:
                    try:
                        item = await asyncio.wait_for(
                            queue.get(), timeout=self.options.liveness_after
                        )
                    except TimeoutError:
                        await self._check_liveness()
                        continue
                if isinstance(item, LogLine):
                    batch = [item]
                    while len(batch) < self.options.batch_lines and not queue.empty():
                        following = queue.get_nowait()
                        if not isinstance(following, LogLine):
                            held = following
                            break
                        batch.append(following)
                    await self._take(batch)
                    if self.log.ended:
                        return True
                elif isinstance(item, LinkDown):
                    await self._link_lost(item)
                elif isinstance(item, LinkUp):
                    await self._link_restored(item)
                elif isinstance(item, LogUnavailable):
                    return None if await self._log_missing() else False
                elif isinstance(item, SshError):
                    if self.run.state is not RunState.UNKNOWN:
                        await self._lose_contact(str(item))
                    # An error only an admin can fix (host key, login): keep trying, slowly.
                    await asyncio.sleep(self.options.backoff.slowest)
                    return None
                else:
                    raise item
        finally:
            pumping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pumping

    async def _take(self, lines: list[LogLine]) -> None:
        """Parse a batch of log lines, save them with their offset, then publish."""
        self._gone_once = False
        if self._vanished:
            # The log goes on after all (a late exit line, the wrapper found again).
            self._vanished = False
            if self.run.state is RunState.UNKNOWN:
                await self._regain_contact()
        llu_before = self.log.llu_report() if self.kind is UpdateKind.LLU else None
        found = [record for line in lines for record in self.log.feed(line.number, line.text)]
        point_of_no_return = any(isinstance(r, PointOfNoReturnPassed) for r in found)
        if point_of_no_return:
            self.passed_point_of_no_return = True
        now = self._now()
        async with self._saving:
            self.run = await self.records.record_run_lines(
                self.run.id, [to_run_event(r, now) for r in found], self.log.settled
            )
        changes: dict[str, Any] = {}
        if point_of_no_return and not self.run.point_of_no_return:
            changes["point_of_no_return"] = True
        blackout = [
            r.seconds for r in found if isinstance(r, BlackoutEnded) and r.seconds is not None
        ]
        if blackout:
            changes["blackout_seconds"] = float(blackout[-1])
        if self.log.pid is not None and self.run.remote_pid != self.log.pid:
            changes["remote_pid"] = self.log.pid
        if changes:
            await self._save(**changes)
        for record in found:
            event = progress_of(record, self.ids, now)
            if event is not None:
                self.ctx.bus.publish(event)
        if llu_before is not None:
            for event in llu_progress(self.log, llu_before, self.ids, now):
                self.ctx.bus.publish(event)
        await self._after_batch()

    async def _link_lost(self, down: LinkDown) -> None:
        if not self._link_down:
            self._link_down = True
            await self._step(LinkLost(**self._event_fields(), reason=down.reason))
        if down.down_for >= self.options.lost_contact_after and self.run.state is RunState.RUNNING:
            await self._lose_contact(
                f"lkubot has not reached {self.lpar.name} for {down.down_for:.0f} s "
                f"({down.reason}). The operation goes on there; lkubot keeps trying every "
                f"{self.options.backoff.slowest:g} s and resumes where it stopped."
            )

    async def _link_restored(self, up: LinkUp) -> None:
        self._link_down = False
        if self.run.state is RunState.UNKNOWN:
            await self._regain_contact()
        await self._step(
            LinkRestored(
                **self._event_fields(), down_seconds=up.down_for, resumed_at_line=up.resumed_at
            )
        )

    async def _check_liveness(self) -> None:
        """After a silence: does the operation still run (`ps -p PID`)? Gone twice in a row
        without its exit line, the run becomes unknown, once, with what AIX's own log says
        (`lpar.aix_log`); following goes on at the same slow pace, so a late exit line
        brings the run back, and otherwise an admin closes it (`/lku resolve`)."""
        if self.log.pid is None or self._link_down:
            return
        reading = await self._read(remote.is_running(self.log.pid))
        if reading.error is not None or reading.ok:
            self._gone_once = False
            return
        if not self._gone_once:
            # The exit line comes right after the process ends: give it one more silence.
            self._gone_once = True
            return
        if self._vanished:
            return
        self._vanished = True
        await self._lose_contact(
            f"The operation (process {self.log.pid}) no longer runs on {self.lpar.name}, but "
            f"its log {self.run.log_path} has no exit line: the LPAR may have rebooted, the "
            "process was killed, or it carries on where lkubot cannot see it. "
            f"{await self._aix_account()}lkubot keeps following the log; once you have checked "
            f"the LPAR, close the run with /lku resolve {self.run.id} succeeded|failed REASON."
        )

    async def _aix_account(self) -> str:
        """What AIX's own log says of a kernel update, as a sentence and a space ("" for a
        library update, which writes none)."""
        if self.kind is not UpdateKind.LKU:
            return ""
        reading = await self._read(remote.read_file(AIX_LOG))
        if not reading.ok:
            return f"AIX's own log {AIX_LOG} could not be read ({reading.failure()}). "
        return account_of(reading.stdout, self.log.summary().started_at) + " "
