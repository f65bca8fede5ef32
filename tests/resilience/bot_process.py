"""lkubot as the real process it is in production: `lkubot run --http PORT` started with its
environment, killed with SIGKILL at a chosen moment, started again on the same database.

    bot = await BotProcess.start(env, name="bot-1")
    slack.events_url = bot.events_url
    ...
    bot.kill()                 # synchronous: safe inside a simulator's callback
    await bot.exited()
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import sys
from pathlib import Path

LKUBOT = str(Path(sys.executable).parent / "lkubot")
ROOT = Path(__file__).resolve().parents[2]
READY = "lkubot run: ready"
START_WITHIN = 30.0
"""Seconds `lkubot run` may take to print its ready line (imports, reattach)."""
EXIT_WITHIN = 15.0
"""Seconds a stopped or killed bot may take to exit."""


class BotProcessError(Exception):
    """The bot process did not do what was expected; the message holds what it printed."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing uses now, below Linux's ephemeral range (32768
    on), where the many outgoing connections of a test would take it before the bot does."""
    for port in random.sample(range(20000, 32768), 50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise BotProcessError("No free TCP port on 127.0.0.1 between 20000 and 32767.")


def clean_env(**values: str) -> dict[str, str]:
    """The test runner's environment without any Slack or lkubot setting, plus `values`."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LKUBOT_"))}
    return {**kept, **values}


class BotProcess:
    """One `lkubot run --http` process; its stderr is kept (in memory and in `log_path`)."""

    def __init__(self, process: asyncio.subprocess.Process, port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path
        self.lines: list[str] = []
        self.ready_line: str | None = None
        self.killed = False
        self._ready = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(self._read(), name="bot stderr")

    @classmethod
    async def start(cls, env: dict[str, str], *, log_path: Path) -> BotProcess:
        """Start `lkubot run --http` on a free port and return once it is ready."""
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            LKUBOT,
            "run",
            "--http",
            str(port),
            "--bind",
            "127.0.0.1",
            env=env,
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        bot = cls(process, port, log_path)
        try:
            await bot._until_ready()
        except BaseException:
            bot.kill()
            await bot.exited()
            raise
        return bot

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        """Alive and not killed (a killed process may not have been reaped yet)."""
        return self.process.returncode is None and not self.killed

    def kill(self) -> None:
        """SIGKILL, at once: no clean-up of any kind runs in the bot."""
        if self.running:
            self.killed = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)

    async def stop(self) -> int:
        """SIGTERM, as systemd stops it; returns the exit code."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
        return await self.exited()

    async def exited(self) -> int:
        """Wait (bounded) for the process to end; returns its exit code."""
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout=EXIT_WITHIN)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)
            code = await asyncio.wait_for(self.process.wait(), timeout=EXIT_WITHIN)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reader, timeout=EXIT_WITHIN)
        return code

    def output(self) -> str:
        return "".join(self.lines)

    async def _until_ready(self) -> None:
        waiting = asyncio.ensure_future(self._ready.wait())
        done, _ = await asyncio.wait(
            {waiting, self._reader}, timeout=START_WITHIN, return_when=asyncio.FIRST_COMPLETED
        )
        if waiting not in done:
            waiting.cancel()
            raise BotProcessError(
                f"lkubot run was not ready within {START_WITHIN:g} s; it printed:\n" + self.output()
            )

    async def _read(self) -> None:
        assert self.process.stderr is not None
        with self.log_path.open("a", encoding="utf-8") as kept:
            while raw := await self.process.stderr.readline():
                line = raw.decode(errors="replace")
                self.lines.append(line)
                kept.write(line)
                kept.flush()
                if self.ready_line is None and READY in line:
                    self.ready_line = line
                    self._ready.set()
