"""`lkubot inventory check` and the health checks behind it, against simulated LPARs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result

from bot.cli import main
from lpar.health import check_lpar, check_lpars
from lpar.inventory import Inventory, load_inventory
from lpar.ssh import Connections
from sim.aix.state import CannedCommand
from tests.lpar.conftest import WAIT, fleet_of, silent_server

LEVEL = "7300-02-02-2420"


async def _check(*args: str, env: dict[str, str] | None = None) -> Result:
    # The command runs its own event loop; the fleet keeps serving from this one meanwhile.
    runner = CliRunner()
    async with asyncio.timeout(WAIT):
        return await asyncio.to_thread(
            runner.invoke, main, ["inventory", "check", *args], env=env, catch_exceptions=False
        )


def _rows(output: str) -> dict[str, list[str]]:
    """The table's rows by LPAR name (the sentences after the table start with names too)."""
    rows: dict[str, list[str]] = {}
    for line in output.splitlines():
        if line.startswith("lpar0"):
            rows.setdefault(line.split()[0], line.split())
    return rows


async def test_a_healthy_fleet_passes_with_level_and_token_per_lpar(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, 3) as fleet:
        result = await _check("--inventory", str(fleet.inventory_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{fleet.inventory_path}: valid, 3 LPARs in 2 groups."
    assert lines[1].split() == ["LPAR", "address", "oslevel", "HMC", "token", "result"]
    rows = _rows(result.output)
    assert list(rows) == ["lpar001", "lpar002", "lpar003"]
    for name, row in rows.items():
        assert row == [
            name,
            f"127.0.0.1:{fleet.port(name)}",
            LEVEL,
            f"liveupdate@{fleet.lpar(name).state.hmc_token.address}",  # type: ignore[union-attr]
            "ok",
        ]
    assert lines[-1] == "3 of 3 LPARs reachable; 0 failed, 0 warnings."


async def test_the_inventory_comes_from_lkubot_inventory_by_default(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, 1) as fleet:
        result = await _check(env={"LKUBOT_INVENTORY": str(fleet.inventory_path)})
    assert result.exit_code == 0, result.output
    assert list(_rows(result.output)) == ["lpar001"]


async def test_a_refused_host_key_fails_that_lpar_and_the_check(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, 3) as fleet:
        # lpar002 presents a key known_hosts does not hold for it.
        known = fleet.known_hosts_path.read_text().splitlines()
        kept = [
            line for line in known if not line.startswith(f"[127.0.0.1]:{fleet.port('lpar002')} ")
        ]
        fleet.known_hosts_path.write_text("".join(line + "\n" for line in kept))
        result = await _check("--inventory", str(fleet.inventory_path))
        commands = [c.command for c in fleet.lpar("lpar002").commands]
    assert result.exit_code == 1
    rows = _rows(result.output)
    assert rows["lpar001"][-1] == "ok"
    assert rows["lpar002"][2:] == ["-", "none", "FAILED"]
    assert rows["lpar003"][-1] == "ok"
    assert f"lpar002 (127.0.0.1:{fleet.port('lpar002')}): the host key is not in" in result.output
    assert f"ssh-keyscan -p {fleet.port('lpar002')} 127.0.0.1 >> " in result.output
    assert result.output.splitlines()[-1] == "2 of 3 LPARs reachable; 1 failed, 0 warnings."
    assert commands == []


async def test_a_missing_or_foreign_hmc_token_is_a_warning(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, 2) as fleet:
        fleet.lpar("lpar001").state.hmc_token = None
        text = fleet.inventory_path.read_text()
        lpar002_hmc = fleet.lpar("lpar002").state.placement.hmc
        head, tail = text.split("  lpar002:\n")
        fleet.inventory_path.write_text(
            head + "  lpar002:\n" + tail.replace(f"hmc: {lpar002_hmc}", "hmc: hmc09.sim.test", 1)
        )
        result = await _check("--inventory", str(fleet.inventory_path))
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert rows["lpar001"][3:] == ["none", "warning"]
    assert rows["lpar002"][-1] == "warning"
    assert (
        "lpar001: no HMC token; a live update would stop with 1430-246. Run "
        f"`hmcauth -u USER -a {fleet.lpar('lpar001').state.placement.hmc}` on the LPAR"
    ) in result.output
    assert (
        f"lpar002: the HMC token is for {lpar002_hmc}, but the inventory names the HMC "
        "hmc09.sim.test."
    ) in result.output
    assert result.output.splitlines()[-1] == "2 of 2 LPARs reachable; 0 failed, 2 warnings."


async def test_an_invalid_inventory_is_listed_line_by_line_and_nothing_is_contacted(
    tmp_path: Path,
) -> None:
    async with fleet_of(tmp_path, 2) as fleet:
        text = fleet.inventory_path.read_text()
        fleet.inventory_path.write_text(
            text.replace(f"port: {fleet.port('lpar002')}", "port: ssh").replace(
                "group: test", "group: tset", 1
            )
        )
        result = await _check("--inventory", str(fleet.inventory_path))
        contacted = [c for name in fleet.names for c in fleet.lpar(name).commands]
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 3
    assert ': lpars.lpar001.group: names the group "tset"' in lines[0]
    assert ': lpars.lpar002.port: must be a number from 1 to 65535, not "ssh"' in lines[1]
    assert lines[2] == f"{fleet.inventory_path}: 2 problems; lkubot will not start."
    assert contacted == []


def test_no_connect_only_validates() -> None:
    example = Path(__file__).resolve().parents[2] / "lpars.example.yml"
    result = CliRunner().invoke(
        main, ["inventory", "check", "--no-connect", "--inventory", str(example)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"{example}: valid, 2 LPARs in 2 groups.\n"


# --- the library behind it -----------------------------------------------------------------


async def test_an_lpar_whose_level_cannot_be_read_fails(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, 1) as fleet, Connections() as ssh:
        fleet.lpar("lpar001").state.commands.append(
            CannedCommand(command="oslevel -s", output="oslevel: not found", exit_code=127)
        )
        health = await check_lpar(ssh, load_inventory(fleet.inventory_path).lpar("lpar001"))
    assert not health.ok
    assert health.failure == "lpar001: `oslevel -s` exited with status 127: oslevel: not found"
    assert health.oslevel is None


async def test_lpars_are_checked_concurrently(tmp_path: Path) -> None:
    # Eight LPARs that accept TCP but never speak SSH: each takes its whole connect timeout.
    # Checked one after another, the first result would come before the second login began;
    # checked together, all eight logins have begun when the first result comes.
    async with fleet_of(tmp_path, 1) as fleet, silent_server() as server, Connections() as ssh:
        inventory: Inventory = load_inventory(fleet.inventory_path)
        template = inventory.lpar("lpar001")
        silent = [
            template.model_copy(
                update={"name": f"hung{n}", "port": server.port, "connect_timeout": 0.5}
            )
            for n in range(8)
        ]
        seen: list[tuple[str, int]] = []
        results = await asyncio.wait_for(
            check_lpars(ssh, silent, on_checked=lambda h: seen.append((h.lpar, server.accepted))),
            timeout=WAIT,
        )
    assert [health.lpar for health in results] == [f"hung{n}" for n in range(8)]
    assert sorted(lpar for lpar, _ in seen) == sorted(health.lpar for health in results)
    assert all("did not complete the SSH login within 0.5 s" in str(h.failure) for h in results)
    assert [begun for _, begun in seen] == [8] * 8
