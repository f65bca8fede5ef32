"""The AIX commands answer over SSH exactly as the captured samples show."""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from lpar import remote
from tests.sim.client import connect, fleet_of, run

FIXTURES = Path(__file__).parent.parent / "fixtures"


def sample_output(name: str) -> str:
    """A captured sample without its prompt lines (`# command` first, `#` last)."""
    lines = (FIXTURES / name).read_text().splitlines(keepends=True)
    if lines[0].startswith("# "):
        lines = lines[1:]
    if lines and lines[-1].strip() == "#":
        lines = lines[:-1]
    return "".join(lines)


SAMPLE_LPAR = {
    "lpars": {
        "lpar001": {
            "lparstat": {
                "Node Name": "nodeDemo1",
                "Partition Name": "nodeDemo1",
                "Partition Number": "13",
            },
            "hmc_token": {"address": "192.168.199.50", "user": "liveup"},
            "oslevel": "7300-02-02-2420",
        }
    }
}


async def test_state_commands_print_what_aix_printed(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, scenario=SAMPLE_LPAR) as fleet, await connect(fleet) as conn:
        lparstat = await run(conn, remote.lparstat())
        hmcauth = await run(conn, remote.hmcauth_list())
        emgr = await run(conn, remote.emgr_list())
        oslevel = await run(conn, remote.oslevel())
    assert lparstat.stdout == (FIXTURES / "lparstat-i-1.txt").read_text()
    assert hmcauth.stdout == sample_output("hmcauth-l-1.txt")
    assert emgr.stdout == sample_output("emgr-l-1.txt")
    assert oslevel.stdout == "7300-02-02-2420\n"
    assert {lparstat.exit_status, hmcauth.exit_status, emgr.exit_status} == {0}


async def test_a_missing_hmc_token_fails_the_preview_with_the_real_1430_246(
    tmp_path: Path,
) -> None:
    scenario = {"lpars": {"lpar001": {"hmc_token": None}}}
    async with fleet_of(tmp_path, scenario=scenario) as fleet, await connect(fleet) as conn:
        token = await run(conn, remote.hmcauth_list())
        preview = await run(
            conn, remote.geninstall(["update_all"], media="/mnt/7300-03-01", preview=True)
        )
    assert token.stdout == ""
    assert preview.exit_status != 0
    assert preview.stdout == (FIXTURES / "lku-preview-fail-hmcauth-1430-246.txt").read_text()


async def test_hmcauth_gives_the_token_the_preview_needs(tmp_path: Path) -> None:
    scenario = {"lpars": {"lpar001": {"hmc_token": None}}}
    async with fleet_of(tmp_path, scenario=scenario) as fleet, await connect(fleet) as conn:
        login = await run(conn, "hmcauth -u liveupdate -a hmc01.sim.test -p secret")
        preview = await run(conn, remote.geninstall(["all"], media=None, preview=True))
        token = await run(conn, remote.hmcauth_list())
    assert login.exit_status == 0
    assert token.stdout == "Address : hmc01.sim.test\nUser name: liveupdate\nPort : 12443\n"
    assert preview.exit_status == 0
    assert preview.stdout.splitlines()[-1].endswith(" The live update preview succeeded.")


async def test_hmcauth_without_p_reads_the_password_from_stdin(tmp_path: Path) -> None:
    scenario = {"lpars": {"lpar001": {"hmc_token": None}}}
    async with fleet_of(tmp_path, scenario=scenario) as fleet:
        async with await connect(fleet) as conn:
            result = await conn.run("hmcauth -a 127.0.0.1 -u liveup", input="XXXXXXXX\n")
        assert fleet.lpar("lpar001").state.hmc_token is not None
    assert result.exit_status == 0
    assert result.stdout == "Enter HMC password: "


async def test_the_other_reading_commands(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        lspv = await run(conn, remote.lspv())
        mode = await run(conn, remote.llu_mode())
        ipsec = await run(conn, "lsdev -Cc ipsec")
        data = await run(conn, remote.read_file("/var/adm/ras/liveupdate/lvupdate.data"))
        genld = await run(conn, remote.genld())
        missing = await run(conn, remote.read_file(remote.CONFIG_DIFF))
    assert lspv.stdout.splitlines()[0].split() == [
        "hdisk0",
        lspv.stdout.split()[1],
        "rootvg",
        "active",
    ]
    assert lspv.stdout.splitlines()[1].split()[2] == "None"
    assert mode.stdout == "llu_mode = 1\n"
    assert ipsec.stdout.splitlines()[0] == "ipsec_v4 Available  IP Version 4 Security Extension"
    assert data.stdout.startswith("general:\n        kext_check =\n")
    assert "management_console = hmc01.sim.test" in data.stdout
    assert genld.stdout == ""
    assert (missing.exit_status, missing.stderr) == (
        2,
        "cat: 0652-050 Cannot open /var/adm/ras/config.diff.\n",
    )


async def test_stage_commands_of_the_example_inventory_change_state(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet:
        async with await connect(fleet) as conn:
            stop = await run(conn, "stopsrc -s pfcdaemon")
            stop_again = await run(conn, "stopsrc -s pfcdaemon")
            rmdev = await run(conn, "rmdev -l ipsec_v4")
            ipsec = await run(conn, "lsdev -Cc ipsec")
            start = await run(conn, "startsrc -s pfcdaemon")
            unknown = await run(conn, "startsrc -s nosuchd")
            raso = await run(conn, "raso -po llu_mode=2")
        state = fleet.lpar("lpar001").state
        assert state.subsystems["pfcdaemon"] is True
        assert state.llu_mode == 2
    assert stop.stdout == "0513-044 The pfcdaemon Subsystem was requested to stop.\n"
    assert stop_again.exit_status == 1
    assert "0513-004" in stop_again.stderr
    assert rmdev.stdout == "ipsec_v4 Defined\n"
    assert ipsec.stdout.splitlines()[0] == "ipsec_v4 Defined    IP Version 4 Security Extension"
    assert start.stdout.startswith("0513-059 The pfcdaemon Subsystem has been started.")
    assert (unknown.exit_status, unknown.stderr) == (
        1,
        "0513-085 The nosuchd Subsystem is not on file.\n",
    )
    assert raso.stdout == "Setting llu_mode to 2 in nextboot file\nSetting llu_mode to 2\n"


@pytest.mark.parametrize(
    "command",
    [
        "/etc/rc.d/ipfilter.sh unload",
        "oslevel -r",
        "lparstat -i | grep Max",
        "oslevel -s; reboot",
        "echo $(id)",
        "tail -n 5 /etc/motd",
    ],
)
async def test_anything_not_simulated_exits_127(tmp_path: Path, command: str) -> None:
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        result = await run(conn, command)
    assert result.exit_status == 127
    assert "not simulated" in result.stderr
    assert result.stdout == ""


async def test_a_scenario_teaches_an_lpar_its_own_commands(tmp_path: Path) -> None:
    scenario = {
        "defaults": {
            "commands": [
                {"command": "/etc/rc.d/ipfilter.sh unload", "output": "filters unloaded"},
                {"command": "/opt/app/bin/check 'with quotes'", "exit_code": 3},
            ]
        }
    }
    async with fleet_of(tmp_path, scenario=scenario) as fleet, await connect(fleet) as conn:
        unload = await run(conn, "/etc/rc.d/ipfilter.sh unload")
        check = await run(conn, '/opt/app/bin/check "with quotes"')
    assert (unload.exit_status, unload.stdout) == (0, "filters unloaded\n")
    assert check.exit_status == 3


async def test_hmcauth_without_a_password_fails_and_keeps_no_token(tmp_path: Path) -> None:
    scenario = {"lpars": {"lpar001": {"hmc_token": None}}}
    async with fleet_of(tmp_path, scenario=scenario) as fleet, await connect(fleet) as conn:
        result = await conn.run("hmcauth -u liveup -a 127.0.0.1", stdin=asyncssh.DEVNULL)
        assert fleet.lpar("lpar001").state.hmc_token is None
    assert result.exit_status == 1
    assert "no password" in result.stderr
