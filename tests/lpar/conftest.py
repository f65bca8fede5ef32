"""Simulated LPARs over real SSH on 127.0.0.1, and the inventory `lkubot sim` writes for them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lpar.inventory import Inventory, Lpar, load_inventory
from lpar.ssh import Connections, SshOptions
from sim.aix.fleet import Fleet

SPEED = 1000.0
"""The LKU transcript's 11 minutes take about 0.7 s; a 40 s preview takes 0.04 s."""
WAIT = 10.0
"""Wall seconds any single wait in these tests may take."""


@asynccontextmanager
async def fleet_of(tmp_path: Path, count: int = 1, speed: float = SPEED) -> AsyncIterator[Fleet]:
    async with Fleet.start(count, out_dir=tmp_path / "fleet", speed=speed) as fleet:
        yield fleet


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[Fleet]:
    async with fleet_of(tmp_path, 2) as started:
        yield started


@pytest.fixture
def inventory(fleet: Fleet) -> Inventory:
    return load_inventory(fleet.inventory_path)


@pytest.fixture
def lpar(inventory: Inventory) -> Lpar:
    return inventory.lpar("lpar001")


@pytest.fixture
async def ssh() -> AsyncIterator[Connections]:
    async with Connections(SshOptions(keepalive_interval=1, keepalive_count_max=2)) as opened:
        yield opened


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (at most WAIT seconds) until the simulator's state satisfies `condition`."""
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 (the simulator's state has no event to await)
            await asyncio.sleep(0.005)


@dataclass
class SilentServer:
    port: int
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Connections accepted so far: how many logins were attempted."""
        return len(self.writers)


@asynccontextmanager
async def silent_server() -> AsyncIterator[SilentServer]:
    """A TCP port that accepts and then says nothing, like a hung sshd."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield SilentServer(server.sockets[0].getsockname()[1], writers)
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


class FreezingProxy:
    """A TCP relay to an LPAR that can go silent without closing anything, like a network
    that stops carrying packets: only keepalives can tell."""

    def __init__(self, port: int) -> None:
        self._target = port
        self.frozen = asyncio.Event()
        self._writers: list[asyncio.StreamWriter] = []

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if self.frozen.is_set():
                    return
                writer.write(data)
                await writer.drain()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._target)
        self._writers += [writer, upstream_writer]
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[int]:
        server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            for writer in self._writers:
                writer.close()
            server.close()
            await server.wait_closed()
