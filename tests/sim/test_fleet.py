"""The fleet as clients see it: SSH with verified keys, the files it writes, its records,
and servers that stop and start again without the LPARs forgetting anything."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncssh
import pytest

from lpar.inventory import load_inventory
from tests.sim.client import (
    UPDATE,
    WAIT,
    connect,
    fleet_of,
    follow_until_exit,
    log_path,
    run,
    start_detached,
)


async def openssh(fleet, name: str, command: str, known_hosts: Path | None = None):
    process = await asyncio.create_subprocess_exec(
        "ssh", "-F", "/dev/null",
        "-i", str(fleet.client_key_path),
        "-o", f"UserKnownHostsFile={known_hosts or fleet.known_hosts_path}",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes",
        "-o", "IdentitiesOnly=yes",
        "-p", str(fleet.port(name)),
        "root@127.0.0.1", command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.fixture(autouse=True, scope="module")
def _openssh_client() -> None:
    # `make test` installs Debian's openssh-client when it is missing; never skip silently.
    assert shutil.which("ssh"), "no OpenSSH client: apt-get install openssh-client (make test does)"


async def test_plain_openssh_runs_commands(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, count=2) as fleet:
        status, out, _ = await openssh(fleet, "lpar002", "oslevel -s")
        missing = await openssh(fleet, "lpar002", "no-such-command")
    assert (status, out) == (0, "7300-02-02-2420\n")
    assert missing[0] == 127


async def test_openssh_refuses_an_lpar_whose_key_is_not_the_known_one(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, count=2) as fleet:
        # lpar001's line says lpar002's port: a changed host key, as after a reinstall.
        lines = fleet.known_hosts_path.read_text().splitlines()
        wrong = tmp_path / "wrong_known_hosts"
        wrong.write_text(
            lines[0].replace(f":{fleet.port('lpar001')} ", f":{fleet.port('lpar002')} ") + "\n"
        )
        status, out, err = await openssh(fleet, "lpar002", "oslevel -s", known_hosts=wrong)
        assert fleet.lpar("lpar002").commands == []
    assert status == 255
    assert out == ""
    assert "host key" in err.lower()


async def test_asyncssh_refuses_an_unknown_host_key(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet:
        empty = tmp_path / "empty_known_hosts"
        empty.write_text("")
        with pytest.raises(asyncssh.HostKeyNotVerifiable):
            await asyncssh.connect(
                "127.0.0.1", fleet.port("lpar001"), username="root",
                client_keys=[str(fleet.client_key_path)], known_hosts=str(empty),
            )  # fmt: skip


@pytest.mark.parametrize("user", ["root", "lkubot"])
async def test_only_the_fleet_key_logs_in_and_only_as_root(tmp_path: Path, user: str) -> None:
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    async with fleet_of(tmp_path) as fleet:
        keys = [stranger] if user == "root" else [str(fleet.client_key_path)]
        with pytest.raises(asyncssh.PermissionDenied):
            await asyncssh.connect(
                "127.0.0.1", fleet.port("lpar001"), username=user,
                client_keys=keys, known_hosts=str(fleet.known_hosts_path),
            )  # fmt: skip


async def test_every_command_is_recorded_with_its_time(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, count=2) as fleet:
        async with await connect(fleet, "lpar002") as conn:
            await run(conn, "oslevel -s")
            await run(conn, "oslevel   -s")
            await run(conn, "nonsense 'x y'")
        record = fleet.lpar("lpar002").commands
        log = fleet.command_log_path.read_text().splitlines()
        assert fleet.lpar("lpar001").commands == []
    assert [entry.command for entry in record] == ["oslevel -s", "oslevel   -s", "nonsense 'x y'"]
    assert record[0].time <= record[1].time <= record[2].time
    assert record[0].lpar_time <= record[2].lpar_time
    assert [line.split(" ", 2)[1:] for line in log] == [
        ["lpar002", "oslevel -s"],
        ["lpar002", "oslevel   -s"],
        ["lpar002", "nonsense 'x y'"],
    ]


async def test_servers_restart_on_the_same_ports_and_keys_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    async with fleet_of(tmp_path, speed=300.0) as fleet:
        port = fleet.port("lpar001")
        async with await connect(fleet) as conn:
            await start_detached(conn, UPDATE, log_path())
        await fleet.stop_servers()
        with pytest.raises(ConnectionRefusedError):
            await connect(fleet)
        await fleet.start_servers()
        assert fleet.port("lpar001") == port
        async with await connect(fleet) as conn:  # same known_hosts: same host key
            lines = await follow_until_exit(conn, log_path())
        launches = [c for c in fleet.lpar("lpar001").commands if c.operation]
    assert lines[-1] == "lkubot-exit: 0"
    assert len(launches) == 1


async def test_stopping_the_servers_cuts_open_connections(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet:
        conn = await connect(fleet)
        await fleet.stop_servers()
        with pytest.raises((OSError, asyncssh.Error)):
            await run(conn, "oslevel -s")
        conn.close()


async def test_the_written_inventory_is_one_lkubot_loads(tmp_path: Path) -> None:
    async with fleet_of(
        tmp_path, count=6, approvers=["U0ALICE01", "U0BOB0001"], admins=["U0CAROL01"],
        channel="C0DEMO0001",
    ) as fleet:  # fmt: skip
        inventory = load_inventory(fleet.inventory_path)
        ports = {name: fleet.port(name) for name in fleet.names}
    assert list(inventory.lpars) == [f"lpar00{n}" for n in range(1, 7)]
    assert {lpar.port for lpar in inventory.lpars.values()} == set(ports.values())
    assert {lpar.group for lpar in inventory.lpars.values()} == {"prod", "test"}
    assert len({lpar.managed_system for lpar in inventory.lpars.values()}) >= 3
    for group in ("prod", "test"):
        frames = {lpar.managed_system for lpar in inventory.group_members(group)}
        assert len(frames) >= 2
    assert inventory.admins == ("U0CAROL01",)
    assert inventory.groups["prod"].channel == "C0DEMO0001"
    lpar = inventory.lpar("lpar001")
    assert lpar.host == "127.0.0.1"
    assert lpar.key == fleet.client_key_path
    assert lpar.known_hosts == fleet.known_hosts_path
    assert fleet.client_key_path.stat().st_mode & 0o077 == 0
