"""One simulated LPAR at run time: its state, clock, processes, log files, SSH connections and
the record of every command it received."""

from __future__ import annotations

import random
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sim.aix.clock import VirtualClock
from sim.aix.logs import LogFile
from sim.aix.process import Process
from sim.aix.state import LparState


@dataclass(frozen=True)
class CommandRecord:
    """A command as the LPAR received it over SSH. `operation` is the command a detached
    start wrapper launched, so a test can count operations without parsing shell;
    `start_refused` marks a detached start whose `> LOG` the shell refused (the log existed
    already, noclobber, or could not be created): it launched nothing."""

    time: datetime  # wall clock, UTC
    lpar_time: datetime  # the LPAR's virtual clock
    command: str
    operation: str | None = None
    start_refused: bool = False


class Connection(Protocol):
    def abort(self) -> None: ...


class Lpar:
    def __init__(
        self,
        state: LparState,
        clock: VirtualClock,
        next_partition_number: Callable[[str], int],
        on_command: Callable[[Lpar, CommandRecord], None] = lambda _lpar, _record: None,
    ) -> None:
        self.state = state
        self.clock = clock
        self.commands: list[CommandRecord] = []
        self.processes: dict[int, Process] = {}
        self.logs: dict[str, LogFile] = {}
        self.connections: set[Connection] = set()
        self.unreachable_until: datetime | None = None
        self.next_partition_number = next_partition_number
        self._on_command = on_command
        self._watchers: list[Callable[[CommandRecord], None]] = []
        # AIX pids look random; seeding by name keeps a scenario's runs reproducible.
        self._pids = random.Random(state.name)

    @property
    def name(self) -> str:
        return self.state.name

    def record(
        self, command: str, operation: str | None = None, *, start_refused: bool = False
    ) -> CommandRecord:
        entry = CommandRecord(
            datetime.now(UTC), self.clock.now(), command, operation, start_refused
        )
        self.commands.append(entry)
        self._on_command(self, entry)
        for watcher in list(self._watchers):
            watcher(entry)
        return entry

    @contextmanager
    def watching_commands(self, callback: Callable[[CommandRecord], None]) -> Iterator[None]:
        """Call `callback` with each command as it is received, before it runs: a test acts at
        an exact moment (e.g. kills the bot while the command is in flight)."""
        self._watchers.append(callback)
        try:
            yield
        finally:
            self._watchers.remove(callback)

    def new_pid(self) -> int:
        taken = set(self.processes)
        taken.update(p.pid for p in self.state.llu_processes)
        taken.update(p.pid for p in self.state.old_object_processes)
        for _ in range(1000):
            pid = self._pids.randrange(1_000_000, 30_000_000, 2)
            if pid not in taken:
                return pid
        raise RuntimeError("No free process id after 1000 draws.")

    def spawn(self, command: str, body: Callable[[Process], Coroutine[Any, Any, int]]) -> Process:
        process = Process(self.new_pid(), command, body, self._reap)
        self.processes[process.pid] = process
        return process

    def _reap(self, process: Process) -> None:
        self.processes.pop(process.pid, None)

    def running(self, command_prefix: str) -> Process | None:
        """A running process whose command line starts with the prefix."""
        return next(
            (p for p in self.processes.values() if p.command.startswith(command_prefix)), None
        )

    def open_log(self, path: str) -> LogFile:
        """Create or truncate a log file, as the shell's `>` does."""
        log = LogFile(path)
        self.logs[path] = log
        return log

    def read_file(self, path: str) -> str | None:
        if path in self.logs:
            return self.logs[path].text
        return self.state.readable_files().get(path)

    @property
    def reachable(self) -> bool:
        return self.unreachable_until is None or self.clock.now() >= self.unreachable_until

    def drop_connections(self, virtual_seconds: float) -> None:
        """Drop every SSH connection now and refuse new ones for a while (virtual seconds),
        as an LPAR whose network froze would; running processes carry on."""
        self.unreachable_until = self.clock.now() + timedelta(seconds=virtual_seconds)
        for connection in list(self.connections):
            connection.abort()
        self.connections.clear()

    async def stop_processes(self) -> None:
        for process in list(self.processes.values()):
            await process.kill_for_shutdown()
