"""Faults from a scenario or set at run time: each shows the way the bot will meet it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncssh
import pytest

from lpar import remote
from sim.aix.faults import ConnectionDrop, Faults
from tests.sim.client import (
    PREVIEW,
    UPDATE,
    connect,
    eventually,
    fleet_of,
    follow_until_exit,
    log_path,
    run,
    start_detached,
)
from tests.sim.test_live_update import timeline


def faults(**kinds: object) -> dict[str, object]:
    return {"lpars": {"lpar001": {"faults": kinds}}}


async def test_a_preview_failure(tmp_path: Path) -> None:
    lines = ["1430-244 FAILED: AHAFS is mounted.", "Unmount /aha and retry."]
    scenario = faults(preview={"lines": lines, "exit_code": 2})
    async with fleet_of(tmp_path, scenario=scenario) as fleet, await connect(fleet) as conn:
        preview = await run(conn, PREVIEW)
        await start_detached(conn, UPDATE, log_path())
        run_lines = await follow_until_exit(conn, log_path())
    assert (preview.exit_status, preview.stdout.splitlines()) == (2, lines)
    assert run_lines[1:] == [*lines, "lkubot-exit: 2"]


async def test_a_failure_at_a_named_phase(tmp_path: Path) -> None:
    failure = {
        "phase": "alt_disk_copy",
        "error": "1430-237 FAILED: alt_disk_copy of rootvg failed.",
        "advice": ["See /var/adm/ras/liveupdate/logs/lvupdlog for details."],
        "exit_code": 4,
    }
    async with (
        fleet_of(tmp_path, scenario=faults(fail_at=failure)) as fleet,
        await connect(fleet) as conn,
    ):
        await start_detached(conn, UPDATE, log_path())
        lines = await follow_until_exit(conn, log_path())
        cleanup = await run(conn, remote.clvupdate())
    assert lines[-4].endswith(" Starting alt_disk_copy.")
    assert lines[-3].endswith(" 1430-237 FAILED: alt_disk_copy of rootvg failed.")
    assert lines[-2:] == [
        "See /var/adm/ras/liveupdate/logs/lvupdlog for details.",
        "lkubot-exit: 4",
    ]
    assert cleanup.stdout == "The cleanup of the previous live update operation completed.\n"
    assert fleet.lpar("lpar001").state.oslevel == "7300-02-02-2420"


async def test_the_ssh_server_drops_every_connection_during_the_blackout(tmp_path: Path) -> None:
    drop = {"phase": "blackout", "seconds": 600}
    async with fleet_of(tmp_path, scenario=faults(drop=drop)) as fleet:
        lpar = fleet.lpar("lpar001")
        async with await connect(fleet) as conn:
            await start_detached(conn, UPDATE, log_path())
            follow = await conn.create_process(str(remote.follow(log_path(), 1)))
            seen = (await follow.stdout.read()).splitlines()  # ends when the link drops
        with pytest.raises((OSError, asyncssh.Error)):
            await connect(fleet)
        await eventually(lambda: lpar.reachable)
        async with await connect(fleet) as conn:
            rest = await follow_until_exit(conn, log_path(), from_line=len(seen) + 1)
    # The link dropped at the blackout's start (its last line may not have been sent), and
    # resuming from the saved offset loses and repeats nothing.
    assert "Blackout Time started." in seen[-1] + rest[0]
    assert not any("Blackout Time end." in line for line in seen)
    assert seen + rest == lpar.logs[log_path()].lines
    assert rest[-1] == "lkubot-exit: 0"
    launches = [c for c in lpar.commands if c.operation and c.operation.startswith("geninstall")]
    assert len(launches) == 1


async def test_a_drop_set_at_run_time(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet:
        lpar = fleet.lpar("lpar001")
        lpar.state.faults.drop = ConnectionDrop(phase="surrogate_boot", seconds=300)
        async with await connect(fleet) as conn:
            await start_detached(conn, UPDATE, log_path())
            follow = await conn.create_process(str(remote.follow(log_path(), 1)))
            seen = (await follow.stdout.read()).splitlines()
    assert "Surrogate AIX reboot started." not in "".join(seen)
    assert "Starting the surrogate LPAR." in "".join(seen)


async def test_a_hang_prints_nothing_more_and_keeps_running(tmp_path: Path) -> None:
    async with (
        fleet_of(tmp_path, scenario=faults(hang={"phase": "mirroring"})) as fleet,
        await connect(fleet) as conn,
    ):
        log = fleet.lpar("lpar001").logs
        await start_detached(conn, UPDATE, log_path())
        await eventually(lambda: log[log_path()].lines[-1].endswith("rootvg."))
        pid = int(log[log_path()].lines[0].split()[-1])
        await asyncio.sleep(0.5)  # 500 virtual seconds: the phase takes 50
        assert log[log_path()].lines[-1].endswith(" Creating mirror of original LPAR's rootvg.")
        assert (await run(conn, remote.is_running(pid))).exit_status == 0


async def test_a_hang_for_a_while_delays_the_rest(tmp_path: Path) -> None:
    async with (
        fleet_of(tmp_path, scenario=faults(hang={"phase": "mirroring", "seconds": 300})) as fleet,
        await connect(fleet) as conn,
    ):
        await start_detached(conn, UPDATE, log_path())
        lines = await follow_until_exit(conn, log_path())
    at = {message: offset for offset, message in timeline(lines[1:-1])}
    assert (
        at["Original rootvg mirror is active."] - at["Creating mirror of original LPAR's rootvg."]
        == 350
    )
    assert "Live AIX update completed in 0h 15m 58s." in lines[-5]


async def test_slow_progress_stretches_every_phase(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        fleet.lpar("lpar001").state.faults = Faults.model_validate({"slow": {"factor": 2}})
        await start_detached(conn, UPDATE, log_path())
        lines = await follow_until_exit(conn, log_path())
    at = {message: offset for offset, message in timeline(lines[1:-1])}
    assert at["Blackout Time end."] - at["Blackout Time started."] == 42
    assert "Live AIX update completed in 0h 21m 56s." in lines[-5]


LLU_PROCESSES = [
    {"pid": 4391388, "name": "sshd"},
    {"pid": 4784408, "name": "syslogd"},
    {"pid": 5177620, "name": "cron", "module": "/usr/lib/libc.a(_shr.o)"},
]


async def test_llu_with_processes_timing_out_then_cleanup(tmp_path: Path) -> None:
    scenario = {
        "lpars": {
            "lpar001": {
                "llu_processes": LLU_PROCESSES,
                "faults": {"llu_timeouts": {"pids": [4784408]}},
            }
        }
    }
    operation = remote.llvupdate(pids=None, retries=1, timeout=60, log="/tmp/llu.log")
    async with fleet_of(tmp_path, scenario=scenario) as fleet, await connect(fleet) as conn:
        preview = await run(conn, remote.llvupdate_preview())
        await start_detached(conn, operation, log_path("LU-18"))
        lines = await follow_until_exit(conn, log_path("LU-18"))
        own_log = await run(conn, remote.tail("/tmp/llu.log", 1))
        after = await run(conn, remote.llvupdate_preview())
        cleanup = await run(conn, remote.cllvupdate())
        idle = await run(conn, remote.cllvupdate())
    assert preview.stdout.splitlines() == [
        "llvupdate preview",
        "An LLU-capable library is newer for process 4391388.",
        "Library needs to be updated /usr/lib/libc.a(_shr_64.o)",
        "Validating new module /usr/lib/libc.a(_shr_64.o)",
        "An LLU-capable library is newer for process 4784408.",
        "Library needs to be updated /usr/lib/libc.a(_shr_64.o)",
        "An LLU-capable library is newer for process 5177620.",
        "Library needs to be updated /usr/lib/libc.a(_shr.o)",
        "Validating new module /usr/lib/libc.a(_shr.o)",
    ]
    assert lines[-1] == "lkubot-exit: 1"
    assert "Attempt 2 of 2 for process 4784408 (syslogd) timed out after 60 seconds." in lines
    assert "Process 4391388 (sshd) now uses the new /usr/lib/libc.a(_shr_64.o)." in lines
    assert own_log.stdout.splitlines() == lines[1:-1]
    assert "process 4784408." in after.stdout
    assert "4391388" not in after.stdout
    assert cleanup.stdout == "Clean up of the failed Live library Update operation completed.\n"
    assert idle.stdout == "No clean up is required\n"


async def test_llu_with_nothing_to_do(tmp_path: Path) -> None:
    scenario = {"lpars": {"lpar001": {"llu_processes": LLU_PROCESSES, "llu_mode": 0}}}
    async with fleet_of(tmp_path, scenario=scenario) as fleet, await connect(fleet) as conn:
        preview = await run(conn, remote.llvupdate_preview())
        update = await run(conn, remote.llvupdate(pids=[4391388], retries=0, timeout=5, log="/l"))
    assert preview.stdout == (
        "llvupdate preview\nNo process requires a Live library Update operation.\n"
    )
    assert (update.exit_status, update.stdout) == (
        0,
        "No process requires a Live library Update operation.\n",
    )
