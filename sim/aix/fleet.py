"""A fleet of simulated LPARs: one SSH server per LPAR on 127.0.0.1, and the files a client
needs to reach them."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

import asyncssh

from sim.aix import server
from sim.aix.clock import VirtualClock
from sim.aix.inventory import (
    Endpoint,
    Policy,
    write_client_key,
    write_inventory,
    write_known_hosts,
)
from sim.aix.lpar import CommandRecord, Lpar
from sim.aix.scenario import Scenario
from sim.aix.state import Disk, HmcToken, LparState, Placement

COMMAND_LOG_FILE = "commands.log"
MANAGED_SYSTEMS = ("p10-frame-a", "p10-frame-b", "p10-frame-c")
HMC_OF = {
    "p10-frame-a": "hmc01.sim.test",
    "p10-frame-b": "hmc01.sim.test",
    "p10-frame-c": "hmc02.sim.test",
}
HMC_USER = "liveupdate"
# The people of lpars.example.yml (and of the Slack emulator's seed workspace).
DEFAULT_APPROVERS = ("S0AIXAPPR",)
DEFAULT_ADMINS = ("U0ADMIN01",)
DEFAULT_CHANNEL = "C0PRODOPS"
FIRST_PARTITION_NUMBER = 11


class FleetError(Exception):
    """The fleet cannot start as asked."""


def lpar_names(count: int) -> list[str]:
    return [f"lpar{number:03d}" for number in range(1, count + 1)]


def _pvid(name: str, disk: str) -> str:
    return "00f6" + hashlib.sha256(f"{name}/{disk}".encode()).hexdigest()[:12]


def default_lvupdate_data(hmc: str) -> str:
    return (
        "general:\n        kext_check =\n\n"
        "disks:\n        nhdisk = hdisk1\n        mhdisk = hdisk2\n\n"
        f"hmc:\n        lpar_id =\n        management_console = {hmc}\n        user = {HMC_USER}\n"
    )


def default_state(name: str, index: int, partition_number: int) -> LparState:
    """LPAR number `index` (from 0): groups alternate (test, prod) and every group spans
    every managed system, so rollouts in waves have something to spread over."""
    frame = MANAGED_SYSTEMS[(index // 2) % len(MANAGED_SYSTEMS)]
    state = LparState(
        name=name,
        placement=Placement(
            group="test" if index % 2 == 0 else "prod", managed_system=frame, hmc=HMC_OF[frame]
        ),
        hmc_token=HmcToken(address=HMC_OF[frame], user=HMC_USER),
        lvupdate_data=default_lvupdate_data(HMC_OF[frame]),
        disks=[
            Disk(name="hdisk0", pvid=_pvid(name, "hdisk0"), volume_group="rootvg", active=True),
            Disk(name="hdisk1", pvid=_pvid(name, "hdisk1")),
            Disk(name="hdisk2", pvid=_pvid(name, "hdisk2")),
            Disk(name="hdisk3", pvid=_pvid(name, "hdisk3"), volume_group="datavg", active=True),
        ],
    )
    state.lparstat.update(
        {"Node Name": name, "Partition Name": name, "Partition Number": str(partition_number)}
    )
    return state


def _open_command_log(out_dir: Path) -> IO[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return (out_dir / COMMAND_LOG_FILE).open("a", encoding="utf-8")


class _PartitionNumbers:
    """Partition ids per managed system: a surrogate gets one no LPAR of its frame uses."""

    def __init__(self, states: Sequence[LparState]) -> None:
        self._highest: dict[str, int] = {}
        for state in states:
            number = state.lparstat.get("Partition Number", "0")
            frame = state.placement.managed_system
            if number.isdigit():
                self._highest[frame] = max(self._highest.get(frame, 0), int(number))

    def next(self, frame: str) -> int:
        self._highest[frame] = self._highest.get(frame, 0) + 1
        return self._highest[frame]


class Fleet:
    """Simulated LPARs over real SSH. Start it with `async with Fleet.start(...) as fleet`."""

    def __init__(
        self,
        lpars: dict[str, Lpar],
        ports: dict[str, int],
        host_keys: dict[str, asyncssh.SSHKey],
        client_key: asyncssh.SSHKey,
        out_dir: Path,
    ) -> None:
        self._lpars = lpars
        self._ports = ports
        self._host_keys = host_keys
        self._client_key = client_key
        self._acceptors: dict[str, asyncssh.SSHAcceptor] = {}
        self.out_dir = out_dir
        self.client_key_path = out_dir / "keys" / "lkubot_ed25519"
        self.known_hosts_path = out_dir / "known_hosts"
        self.inventory_path = out_dir / "lpars.yml"
        self.command_log_path = out_dir / COMMAND_LOG_FILE

    @property
    def names(self) -> list[str]:
        return list(self._lpars)

    def lpar(self, name: str) -> Lpar:
        try:
            return self._lpars[name]
        except KeyError:
            raise KeyError(f"No simulated LPAR {name!r}; the fleet has {self.names}.") from None

    def port(self, name: str) -> int:
        return self._ports[self.lpar(name).name]

    async def start_servers(self) -> None:
        """Listen for every LPAR (again) on its port, with its host key."""
        for name, lpar in self._lpars.items():
            if name not in self._acceptors:
                acceptor = await server.listen(
                    lpar, self._ports[name], self._host_keys[name], self._client_key
                )
                self._acceptors[name] = acceptor
                self._ports[name] = acceptor.get_port()

    async def stop_servers(self) -> None:
        """Stop listening and cut every connection; the LPARs and their operations go on."""
        for name in list(self._acceptors):
            await server.close(self._acceptors.pop(name))
        for lpar in self._lpars.values():
            for connection in list(lpar.connections):
                connection.abort()
            lpar.connections.clear()

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        count: int,
        *,
        out_dir: Path,
        speed: float = 1.0,
        scenario: Scenario | Path | str | None = None,
        approvers: Sequence[str] = DEFAULT_APPROVERS,
        admins: Sequence[str] = DEFAULT_ADMINS,
        channel: str = DEFAULT_CHANNEL,
        base_port: int | None = None,
        clock_start: datetime | None = None,
    ) -> AsyncIterator[Fleet]:
        """Start `count` LPARs (lpar001...) and write inventory, known_hosts and key into
        `out_dir`. `clock_start` (or the scenario's) is the LPARs' virtual time at start."""
        if count < 1:
            raise FleetError(f"A fleet needs at least one LPAR, not {count}.")
        if not approvers:
            raise FleetError("A fleet needs at least one approver for its groups' policy.")
        if isinstance(scenario, str | Path):
            scenario = Scenario.load(Path(scenario))
        scenario = scenario or Scenario()
        names = lpar_names(count)
        scenario.check_names(names)
        states = [
            scenario.state_for(default_state(name, index, FIRST_PARTITION_NUMBER + index))
            for index, name in enumerate(names)
        ]
        origin = clock_start or scenario.clock_start or datetime.now().replace(microsecond=0)
        partition_numbers = _PartitionNumbers(states)
        log = _open_command_log(out_dir)

        def write_record(lpar: Lpar, record: CommandRecord) -> None:
            command = record.command.replace("\\", "\\\\").replace("\n", "\\n")
            log.write(f"{record.time.isoformat(timespec='milliseconds')} {lpar.name} {command}\n")
            log.flush()

        lpars = {
            state.name: Lpar(
                state, VirtualClock(origin, speed), partition_numbers.next, write_record
            )
            for state in states
        }
        host_keys = {name: asyncssh.generate_private_key("ssh-ed25519") for name in names}
        client_key = asyncssh.generate_private_key("ssh-ed25519", comment="lkubot-sim")
        ports = {name: (base_port + index if base_port else 0) for index, name in enumerate(names)}
        fleet = cls(lpars, ports, host_keys, client_key, out_dir)
        try:
            await fleet.start_servers()
            endpoints = [
                Endpoint(lpar.state, fleet._ports[name], host_keys[name])
                for name, lpar in lpars.items()
            ]
            write_client_key(out_dir, client_key)
            write_known_hosts(out_dir, endpoints)
            write_inventory(out_dir, endpoints, Policy(tuple(approvers), tuple(admins), channel))
            yield fleet
        finally:
            await fleet.stop_servers()
            for lpar in lpars.values():
                await lpar.stop_processes()
            log.close()
