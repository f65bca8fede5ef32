"""Talking to simulated LPARs the way lkubot does: asyncssh, verified host keys, the fleet's key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncssh

from liveupdate.runs import remote_log_path
from lpar import remote
from sim.aix.fleet import Fleet
from sim.aix.scenario import Scenario

UPDATE = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=False)
PREVIEW = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=True)
SPEED = 1000.0  # the LKU transcript's 11 minutes take about 0.7 s
WAIT = 10.0  # wall seconds any single wait in these tests may take


@asynccontextmanager
async def fleet_of(
    tmp_path: Path,
    count: int = 1,
    *,
    speed: float = SPEED,
    scenario: dict[str, Any] | None = None,
    **options: Any,
) -> AsyncIterator[Fleet]:
    parsed = Scenario.parse(scenario) if scenario is not None else None
    async with Fleet.start(
        count, out_dir=tmp_path / "fleet", speed=speed, scenario=parsed, **options
    ) as fleet:
        yield fleet


async def connect(fleet: Fleet, name: str = "lpar001") -> asyncssh.SSHClientConnection:
    return await asyncio.wait_for(
        asyncssh.connect(
            "127.0.0.1",
            fleet.port(name),
            username="root",
            client_keys=[str(fleet.client_key_path)],
            known_hosts=str(fleet.known_hosts_path),
        ),
        WAIT,
    )


async def run(conn: asyncssh.SSHClientConnection, command: object) -> asyncssh.SSHCompletedProcess:
    return await asyncio.wait_for(conn.run(str(command)), WAIT)


def log_path(request_id: str = "LU-17") -> str:
    return remote_log_path("/var/adm/ras/liveupdate/logs", request_id, 1)


async def start_detached(
    conn: asyncssh.SSHClientConnection, operation: remote.RemoteCommand, log: str
) -> None:
    result = await run(conn, remote.start_detached(operation, log))
    assert result.exit_status == 0, result.stderr


async def follow_until_exit(
    conn: asyncssh.SSHClientConnection, log: str, from_line: int = 1
) -> list[str]:
    """Follow the log with `tail -f` until its `lkubot-exit:` line, then close the channel."""
    process = await conn.create_process(str(remote.follow(log, from_line)))
    lines: list[str] = []
    try:
        async with asyncio.timeout(WAIT):
            while not lines or not lines[-1].startswith(remote.EXIT_MARKER):
                line = await process.stdout.readline()
                assert line, f"the follow ended early after {lines}"
                lines.append(str(line).rstrip("\n"))
    finally:
        process.close()
    return lines


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (at most WAIT seconds) until the simulator's state satisfies `condition`."""
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 (the state has no event to wait on)
            await asyncio.sleep(0.005)
