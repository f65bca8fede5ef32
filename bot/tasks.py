"""The bot's own background work: every task a listener starts is kept here until it ends.

Slack wants an answer within 3 s, and a preview or a run takes minutes, so listeners acknowledge
at once and hand the work to `TaskRegistry.spawn`. The registry keeps a strong reference to
each task (asyncio itself keeps only weak ones, so an unreferenced task can vanish mid-flight),
sends a task's failure to the error reporter it was started with (the same one the listeners'
errors go to), and on shutdown cancels what is still running and waits for it, within a bound.

Cancelling a task here never touches an operation on an LPAR: a live update runs detached
there and is reattached to when the bot starts again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

ErrorReporter = Callable[[BaseException], Awaitable[None]]
"""Tells the person who asked (and the log) that their work failed."""


class ShuttingDown(RuntimeError):
    """The bot is stopping: no new work is accepted."""


class TaskRegistry:
    """Named background tasks with kept references and a clean, bounded shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    def spawn(
        self,
        work: Coroutine[Any, Any, Any],
        *,
        name: str,
        report: ErrorReporter | None = None,
    ) -> asyncio.Task[Any]:
        """Run `work` in the background; a failure goes to `report` (else to the log)."""
        if self._closing:
            work.close()
            raise ShuttingDown(
                "lkubot is shutting down and takes no new work: try again once it is back."
            )
        task = asyncio.get_running_loop().create_task(self._guarded(work, report), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def running(self) -> list[str]:
        """Names of the tasks still running, for logs and tests."""
        return sorted(t.get_name() for t in self._tasks if not t.done())

    async def wait_idle(self, within: float) -> None:
        """Until no task is running (tasks spawned meanwhile included), or TimeoutError."""
        async with asyncio.timeout(within):
            while self._tasks:
                await asyncio.wait(set(self._tasks))

    async def shutdown(self, grace: float = 10.0) -> None:
        """Refuse new work, cancel what runs and wait up to `grace` seconds for it to end."""
        self._closing = True
        pending = [t for t in self._tasks if not t.done()]
        for task in pending:
            task.cancel()
        if not pending:
            return
        _, stuck = await asyncio.wait(pending, timeout=grace)
        for task in stuck:
            log.warning("task %s did not stop within %.0f s of shutdown", task.get_name(), grace)

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, Any], report: ErrorReporter | None) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        # The reporter is this task's only way to tell anyone; it must see every failure.
        except Exception as error:
            if report is None:
                log.exception("background task failed")
                return
            try:
                await report(error)
            except Exception:
                log.exception("background task failed, and so did telling the user")
