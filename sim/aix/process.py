"""Processes on a simulated LPAR: every command runs as one, with a pid that `ps` and `kill`
see, so an operation started detached outlives the SSH session that started it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sim.aix.logs import LogFile

if TYPE_CHECKING:
    from sim.aix.lpar import Lpar

# Exit codes the shell reports for a process ended by a signal: 128 + signal number.
EXIT_HANGUP = 129
EXIT_TERMINATED = 143


class Output(Protocol):
    def write(self, text: str) -> None: ...

    def write_stderr(self, text: str) -> None: ...


class LogOutput:
    """Standard output and error both appended to a log file (`> LOG 2>&1`)."""

    def __init__(self, log: LogFile) -> None:
        self.log = log

    def write(self, text: str) -> None:
        self.log.write(text)

    def write_stderr(self, text: str) -> None:
        self.log.write(text)


class Process:
    """A running command. Before `lock_in()` a TERM or a hangup ends it at once; after it the
    process carries on, as live update does past its point of no return."""

    def __init__(
        self,
        pid: int,
        command: str,
        body: Callable[[Process], Coroutine[Any, Any, int]],
        on_exit: Callable[[Process], None],
    ) -> None:
        self.pid = pid
        self.command = command
        self.interruptible = True
        # "lku" or "llu" once the process has become a live update operation.
        self.kind: str | None = None
        self.exit_code: int | None = None
        self._signal_exit: int | None = None
        self._on_exit = on_exit
        self.task: asyncio.Task[int] = asyncio.create_task(self._run(body))

    async def _run(self, body: Callable[[Process], Coroutine[Any, Any, int]]) -> int:
        try:
            self.exit_code = await body(self)
        except asyncio.CancelledError:
            if self._signal_exit is None:
                raise
            self.exit_code = self._signal_exit
        finally:
            self._on_exit(self)
        return self.exit_code

    def lock_in(self) -> None:
        self.interruptible = False

    def signal(self, exit_code: int) -> bool:
        """Deliver TERM (143) or HUP (129). Returns whether the process gives way to it."""
        if not self.interruptible or self.task.done():
            return False
        self._signal_exit = exit_code
        self.task.cancel()
        return True

    async def wait(self) -> int:
        return await asyncio.shield(self.task)

    async def kill_for_shutdown(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@dataclass
class Invocation:
    """What a command handler gets: the LPAR it runs on, its words, and its streams."""

    lpar: Lpar
    argv: list[str]
    out: Output
    stdin: asyncio.StreamReader | None
    process: Process
