"""The SSH layer against simulated LPARs: verified host keys, key login, one reused connection per
LPAR, limits, timeouts, streams, and errors that tell an admin what to do."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncssh
import pytest

from liveupdate.runs import remote_log_path
from lpar import remote
from lpar.inventory import Inventory, Lpar
from lpar.ssh import (
    AuthenticationError,
    CommandTimeout,
    ConnectionLost,
    Connections,
    HostKeyError,
    KeyFileError,
    LineStream,
    SshOptions,
    UnreachableError,
)
from sim.aix.fleet import Fleet
from tests.lpar.conftest import WAIT, FreezingProxy, eventually, silent_server

LVUPDATE_DATA = "/var/adm/ras/liveupdate/lvupdate.data"


T = TypeVar("T")


async def bounded(awaitable: Awaitable[T]) -> T:
    async with asyncio.timeout(WAIT):
        return await awaitable


def _known_hosts_line(fleet: Fleet, name: str) -> str:
    """The fleet's known_hosts line for `name`: `[127.0.0.1]:PORT ALGORITHM KEY`."""
    for line in fleet.known_hosts_path.read_text().splitlines():
        if line.startswith(f"[127.0.0.1]:{fleet.port(name)} "):
            return line
    raise AssertionError(f"{name} is not in the fleet's known_hosts")


def _offered_fingerprint(fleet: Fleet, name: str) -> str:
    _, algorithm, blob = _known_hosts_line(fleet, name).split()
    return asyncssh.import_public_key(f"{algorithm} {blob}").get_fingerprint()


def _trusting(lpar: Lpar, known_hosts: Path, entries: str = "") -> Lpar:
    """`lpar` with a known_hosts file of its own, holding `entries`."""
    known_hosts.write_text(entries)
    return lpar.model_copy(update={"known_hosts": known_hosts})


# --- commands ------------------------------------------------------------------------------


async def test_a_command_returns_its_exit_status_and_output(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    result = await bounded(ssh.run(lpar, remote.oslevel()))
    assert (result.lpar, result.command, result.exit_status) == ("lpar001", "oslevel -s", 0)
    assert result.ok
    assert result.stdout == "7300-02-02-2420\n"
    assert result.stderr == ""
    assert [c.command for c in fleet.lpar("lpar001").commands] == ["oslevel -s"]


async def test_a_failing_command_is_a_result_with_its_last_lines(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    fleet.lpar("lpar001").state.hmc_token = None
    result = await bounded(
        ssh.run(lpar, remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=True))
    )
    assert not result.ok
    assert result.exit_status != 0
    assert any(line.startswith("1430-246 FAILED") for line in result.last_lines())


async def test_one_connection_per_lpar_is_reused(
    fleet: Fleet, inventory: Inventory, ssh: Connections
) -> None:
    lpar = inventory.lpar("lpar001")
    await bounded(asyncio.gather(*(ssh.run(lpar, remote.oslevel()) for _ in range(6))))
    await bounded(ssh.run(lpar, remote.hmcauth_list()))
    assert len(fleet.lpar("lpar001").connections) == 1
    assert len(fleet.lpar("lpar001").commands) == 7
    assert fleet.lpar("lpar002").connections == set()


async def test_a_dead_connection_is_replaced_before_the_next_command(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    await bounded(ssh.run(lpar, remote.oslevel()))
    assert ssh.connected(lpar)
    fleet.lpar("lpar001").drop_connections(virtual_seconds=0.001)
    await eventually(lambda: fleet.lpar("lpar001").reachable and not ssh.connected(lpar))
    result = await bounded(ssh.run(lpar, remote.oslevel()))
    assert result.ok
    assert len(fleet.lpar("lpar001").connections) == 1


async def test_a_command_cut_by_a_drop_raises_connection_lost(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    pending = asyncio.create_task(ssh.run(lpar, remote.follow(LVUPDATE_DATA, 1), time_limit=WAIT))
    await eventually(lambda: fleet.lpar("lpar001").running("tail") is not None)
    fleet.lpar("lpar001").drop_connections(virtual_seconds=0.001)
    with pytest.raises(ConnectionLost) as caught:
        await bounded(pending)
    assert str(caught.value).startswith(
        f"lpar001 ({lpar.address}): the SSH connection dropped while "
        f"`tail -n +1 -f {LVUPDATE_DATA}` was running"
    )
    assert "Whether it finished on the LPAR is unknown." in str(caught.value)


async def test_a_command_that_does_not_finish_in_time_is_closed(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    with pytest.raises(CommandTimeout) as caught:
        await bounded(ssh.run(lpar, remote.follow(LVUPDATE_DATA, 1), time_limit=0.2))
    assert str(caught.value) == (
        f"lpar001: `tail -n +1 -f {LVUPDATE_DATA}` did not finish within 0.2 s, so lkubot "
        "closed its channel. It may still be running on the LPAR; check there before trying "
        "again."
    )
    # Closing the channel hangs the remote command up.
    await eventually(lambda: fleet.lpar("lpar001").running("tail") is None)
    assert (await bounded(ssh.run(lpar, remote.oslevel()))).ok


async def test_output_beyond_the_limit_is_cut_and_flagged(
    fleet: Fleet, lpar: Lpar, tmp_path: Path
) -> None:
    async with Connections(SshOptions(max_output=1024)) as ssh:
        result = await bounded(ssh.run(lpar, remote.lparstat()))
    full = await _full_lparstat(lpar)
    assert len(full) > 1024
    assert result.truncated
    assert result.stdout == full[:1024]


async def _full_lparstat(lpar: Lpar) -> str:
    async with Connections() as ssh:
        result = await bounded(ssh.run(lpar, remote.lparstat()))
    assert not result.truncated
    return result.stdout


# --- limits --------------------------------------------------------------------------------


async def _peak(count: Callable[[], int], work: Awaitable[object]) -> int:
    """Run `work` while sampling `count()`; return the highest value seen."""
    peak = 0
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, count())
            await asyncio.sleep(0.002)

    sampler = asyncio.create_task(sample())
    try:
        await bounded(work)
    finally:
        done.set()
        await sampler
    return peak


def _previews(fleet: Fleet, *names: str) -> int:
    return sum(
        1
        for name in names
        for p in fleet.lpar(name).processes.values()
        if p.command.startswith("geninstall -k -p")
    )


async def test_the_global_limit_bounds_commands_in_flight(
    tmp_path: Path, fleet: Fleet, inventory: Inventory
) -> None:
    preview = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=True)
    lpars = [inventory.lpar("lpar001"), inventory.lpar("lpar002")]
    async with Connections(SshOptions(max_commands=3)) as ssh:
        work = asyncio.gather(*(ssh.run(lpars[i % 2], preview) for i in range(8)))
        peak = await _peak(lambda: _previews(fleet, "lpar001", "lpar002"), work)
    assert peak == 3


async def test_the_per_lpar_limit_bounds_channels_on_one_connection(
    fleet: Fleet, lpar: Lpar
) -> None:
    preview = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=True)
    async with Connections(SshOptions(max_commands=50, channels_per_lpar=2)) as ssh:
        work = asyncio.gather(*(ssh.run(lpar, preview) for _ in range(6)))
        peak = await _peak(lambda: _previews(fleet, "lpar001"), work)
    assert peak == 2


# --- streams -------------------------------------------------------------------------------


async def test_a_stream_yields_lines_as_they_are_written_and_closing_ends_it(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    log = remote_log_path(lpar.log_dir, "LU-17", 1)
    operation = remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=False)
    assert (await bounded(ssh.run(lpar, remote.start_detached(operation, log)))).ok
    seen: list[str] = []
    async with ssh.stream(lpar, remote.follow(log, 1)) as lines:
        async with asyncio.timeout(WAIT):
            async for line in lines:
                seen.append(line)
                if line.startswith(remote.EXIT_MARKER):
                    break
    assert seen == fleet.lpar("lpar001").logs[log].lines
    assert seen[-1] == "lkubot-exit: 0"
    assert any("Blackout Time started." in line for line in seen)
    await eventually(lambda: fleet.lpar("lpar001").running("tail") is None)


async def test_a_stream_that_ends_reports_its_status_and_stderr(
    lpar: Lpar, ssh: Connections
) -> None:
    missing = "/var/adm/ras/liveupdate/logs/lkubot-LU-99-1.log"
    async with ssh.stream(lpar, remote.tail(missing, 1)) as lines:
        assert await bounded(lines.readline()) is None
    assert lines.exit_status == 2
    assert missing in lines.stderr


async def test_a_stream_cut_by_a_drop_raises_connection_lost(
    fleet: Fleet, lpar: Lpar, ssh: Connections
) -> None:
    async with ssh.stream(lpar, remote.follow(LVUPDATE_DATA, 1)) as lines:
        assert await bounded(lines.readline()) == "general:"
        fleet.lpar("lpar001").drop_connections(virtual_seconds=0.001)
        with pytest.raises(ConnectionLost):
            await bounded(_drain(lines))


async def _drain(lines: LineStream) -> None:
    while await lines.readline() is not None:
        pass


# --- refusals ------------------------------------------------------------------------------


async def test_an_unknown_host_key_is_refused_with_how_to_accept_it(
    fleet: Fleet, lpar: Lpar, ssh: Connections, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    stranger = _trusting(lpar, empty)
    with pytest.raises(HostKeyError) as caught:
        await bounded(ssh.run(stranger, remote.oslevel()))
    fingerprint = _offered_fingerprint(fleet, "lpar001")
    port = fleet.port("lpar001")
    assert caught.value.fingerprint == fingerprint
    assert str(caught.value) == (
        f"lpar001 (127.0.0.1:{port}): the host key is not in {empty}, so lkubot will not "
        f"connect. The LPAR offered ssh-ed25519 {fingerprint}. To accept the LPAR's key "
        f"deliberately, compare the fingerprint that `ssh-keyscan -p {port} 127.0.0.1 | "
        "ssh-keygen -lf -` prints with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run "
        f"on the LPAR's console, and if they match: `ssh-keyscan -p {port} 127.0.0.1 >> {empty}`."
    )
    assert fleet.lpar("lpar001").commands == []


async def test_a_host_key_accepted_while_lkubot_runs_is_trusted_at_the_next_login(
    fleet: Fleet, lpar: Lpar, ssh: Connections, tmp_path: Path
) -> None:
    hosts = tmp_path / "known_hosts"
    stranger = _trusting(lpar, hosts)
    with pytest.raises(HostKeyError):
        await bounded(ssh.run(stranger, remote.oslevel()))
    with hosts.open("a") as known_hosts:  # the admin's `ssh-keyscan ... >> known_hosts`
        known_hosts.write(_known_hosts_line(fleet, "lpar001") + "\n")
    result = await bounded(ssh.run(stranger, remote.oslevel()))
    assert result.stdout == "7300-02-02-2420\n"


async def test_a_changed_host_key_is_refused_and_named_as_changed(
    fleet: Fleet, inventory: Inventory, ssh: Connections, tmp_path: Path
) -> None:
    # lpar002's key listed under lpar001's address: what a reinstalled LPAR looks like.
    port1 = fleet.port("lpar001")
    key2 = _known_hosts_line(fleet, "lpar002").split(" ", 1)[1]
    swapped = tmp_path / "known_hosts"
    moved = _trusting(inventory.lpar("lpar001"), swapped, f"[127.0.0.1]:{port1} {key2}\n")
    with pytest.raises(HostKeyError) as caught:
        await bounded(ssh.run(moved, remote.oslevel()))
    message = str(caught.value)
    assert message.startswith(
        f"lpar001 (127.0.0.1:{port1}): the host key has CHANGED since it was accepted into "
        f"{swapped}; lkubot will not connect. The LPAR offered ssh-ed25519 "
        f"{_offered_fingerprint(fleet, 'lpar001')}."
    )
    assert f"`ssh-keygen -R '[127.0.0.1]:{port1}' -f {swapped}`" in message
    assert f"`ssh-keyscan -p {port1} 127.0.0.1 >> {swapped}`" in message
    assert fleet.lpar("lpar001").commands == []


async def test_a_missing_known_hosts_file_is_refused(
    lpar: Lpar, ssh: Connections, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "known_hosts"
    with pytest.raises(HostKeyError, match="does not exist, so no host key can be verified"):
        await bounded(ssh.run(lpar.model_copy(update={"known_hosts": missing}), remote.oslevel()))


async def test_a_key_the_lpar_does_not_know_is_refused(
    fleet: Fleet, lpar: Lpar, ssh: Connections, tmp_path: Path
) -> None:
    other = tmp_path / "other_ed25519"
    other.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    with pytest.raises(AuthenticationError) as caught:
        await bounded(ssh.run(lpar.model_copy(update={"key": other}), remote.oslevel()))
    assert str(caught.value) == (
        f"lpar001 ({lpar.address}) refused lkubot's key {other} for user root. Add its public "
        f"key (`ssh-keygen -y -f {other}`) to ~root/.ssh/authorized_keys on the LPAR."
    )
    assert fleet.lpar("lpar001").commands == []


async def test_an_unreadable_or_encrypted_key_file_is_named(
    lpar: Lpar, ssh: Connections, tmp_path: Path
) -> None:
    with pytest.raises(KeyFileError, match=r"cannot read lkubot's private key .*No such file"):
        await bounded(ssh.run(lpar.model_copy(update={"key": tmp_path / "no"}), remote.oslevel()))
    locked = tmp_path / "locked_ed25519"
    locked.write_bytes(
        asyncssh.generate_private_key("ssh-ed25519").export_private_key(
            "pkcs8-pem", passphrase="secret"
        )
    )
    with pytest.raises(KeyFileError, match="is not a usable private key"):
        await bounded(ssh.run(lpar.model_copy(update={"key": locked}), remote.oslevel()))


async def test_a_closed_port_is_unreachable(fleet: Fleet, lpar: Lpar, ssh: Connections) -> None:
    await fleet.stop_servers()
    with pytest.raises(UnreachableError) as caught:
        await bounded(ssh.run(lpar, remote.oslevel()))
    assert str(caught.value) == (
        f"lpar001 ({lpar.address}) cannot be reached: the connection was refused (nothing "
        "listens on that port). Check that the LPAR is up, that sshd runs on it, and that "
        "host and port in the inventory are right."
    )


async def test_a_login_that_does_not_complete_in_time_is_unreachable(
    lpar: Lpar, ssh: Connections
) -> None:
    async with silent_server() as server:
        silent = lpar.model_copy(update={"port": server.port, "connect_timeout": 0.3})
        with pytest.raises(UnreachableError) as caught:
            await bounded(ssh.run(silent, remote.oslevel()))
    assert str(caught.value) == (
        f"lpar001 (127.0.0.1:{server.port}) did not complete the SSH login within 0.3 s. "
        "Check that the LPAR is up and that nothing blocks the port; raise connect_timeout in "
        "the inventory if the network is slow."
    )


async def test_commands_waiting_on_a_failing_login_share_its_failure(
    lpar: Lpar, ssh: Connections
) -> None:
    async with silent_server() as server:
        silent = lpar.model_copy(update={"port": server.port, "connect_timeout": 0.3})
        outcomes = await bounded(
            asyncio.gather(
                *(ssh.run(silent, remote.oslevel()) for _ in range(5)), return_exceptions=True
            )
        )
    assert all(isinstance(outcome, UnreachableError) for outcome in outcomes)
    # One login attempt answered all five, instead of five attempts one after another.
    assert server.accepted == 1


async def test_a_network_that_goes_silent_is_detected_by_keepalives(
    fleet: Fleet, lpar: Lpar
) -> None:
    proxy = FreezingProxy(fleet.port("lpar001"))
    options = SshOptions(keepalive_interval=0.2, keepalive_count_max=2)
    async with proxy.serving() as port, Connections(options) as ssh:
        # known_hosts names the LPAR's own port; the relay's port needs the same key.
        relayed = lpar.model_copy(update={"port": port, "known_hosts": _relay_hosts(fleet, port)})
        async with ssh.stream(relayed, remote.follow(LVUPDATE_DATA, 1)) as lines:
            assert await bounded(lines.readline()) == "general:"
            proxy.frozen.set()
            with pytest.raises(ConnectionLost, match="not responding to keepalive"):
                await bounded(_drain(lines))


def _relay_hosts(fleet: Fleet, port: int) -> Path:
    original = f"[127.0.0.1]:{fleet.port('lpar001')} "
    line = next(
        line
        for line in fleet.known_hosts_path.read_text().splitlines()
        if line.startswith(original)
    )
    path = fleet.out_dir / "relay_known_hosts"
    path.write_text(line.replace(original, f"[127.0.0.1]:{port} ") + "\n")
    return path
