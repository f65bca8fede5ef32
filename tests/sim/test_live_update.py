"""A Live Kernel Update started the way lkubot starts it: detached, followed, checked, cancelled."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path

from lpar import remote
from tests.sim.client import (
    SPEED,
    UPDATE,
    connect,
    eventually,
    fleet_of,
    follow_until_exit,
    log_path,
    run,
    start_detached,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
STAMP = re.compile(r"^(\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d) (.*)$")


def timeline(lines: list[str]) -> list[tuple[float, str]]:
    """(seconds since the first timestamp, message) per line; untimed lines reuse the last."""
    first: datetime | None = None
    offset = 0.0
    found = []
    for line in lines:
        match = STAMP.match(line)
        if match:
            stamp = datetime.strptime(match[1], "%m/%d/%Y-%H:%M:%S")
            first = first or stamp
            offset = (stamp - first).total_seconds()
            line = match[2]
        found.append((offset, line))
    return found


async def wait_for_line(fleet, log: str, text: str) -> None:
    lines = fleet.lpar("lpar001").logs[log].lines
    await eventually(lambda: any(text in line for line in lines))


async def test_the_run_replays_the_real_transcript_on_the_virtual_clock(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        begun = time.monotonic()
        await start_detached(conn, UPDATE, log_path())
        lines = await follow_until_exit(conn, log_path())
        took = time.monotonic() - begun
    real = (FIXTURES / "lku-success-1.log").read_text().splitlines()
    assert re.fullmatch(r"lkubot-pid: \d+", lines[0])
    assert lines[-1] == "lkubot-exit: 0"
    # Same messages, same gaps between timestamps: the 21 s blackout reads 21 s.
    assert timeline(lines[1:-1]) == timeline(real)
    blackout = dict((m, t) for t, m in timeline(lines[1:-1]))
    assert blackout["Blackout Time end."] - blackout["Blackout Time started."] == 21
    assert "Live AIX update completed in 0h 10m 58s." in lines[-5]
    # 40 s of preview, 10 s of banner and 658 s of update, divided by the speed.
    assert 708 / SPEED <= took < 708 / SPEED + 2.0


async def test_a_successful_update_leaves_what_aix_leaves(tmp_path: Path) -> None:
    scenario = {
        "lpars": {
            "lpar001": {
                "lvupdate_data": (
                    "general:\n        cpu_reduction = no\n"
                    "disks:\n        nhdisk = hdisk1\n        mhdisk = hdisk2\n"
                    "hmc:\n        management_console = hmc01.sim.test\n"
                    "        user = liveupdate\n        clone_from_hmc_profile = yes\n"
                ),
                "after_update": {"raised_profile": {"Maximum Virtual CPUs": "10"}},
            }
        }
    }
    async with (
        fleet_of(tmp_path, count=2, scenario=scenario) as fleet,
        await connect(fleet) as conn,
    ):
        before = await run(conn, remote.lparstat())
        await start_detached(conn, UPDATE, log_path())
        await follow_until_exit(conn, log_path())
        oslevel = await run(conn, remote.oslevel())
        after = await run(conn, remote.lparstat())
        diff = await run(conn, remote.read_file(remote.CONFIG_DIFF))
        genld = await run(conn, remote.genld())
        lspv = await run(conn, remote.lspv())
        llu = await run(conn, remote.llvupdate_preview())
    assert oslevel.stdout == "7300-03-01-2446\n"
    number = re.compile(r"^Partition Number +: (\d+)$", re.M)
    old_id, new_id = number.search(before.stdout)[1], number.search(after.stdout)[1]
    assert old_id != new_id
    assert "Maximum Virtual CPUs                       : 8\n" in before.stdout
    assert "Maximum Virtual CPUs                       : 10\n" in after.stdout
    assert diff.stdout.startswith("File /etc/inittab has been modified.\n--- /etc/inittab")
    assert "\n+clcomd:" in diff.stdout
    assert genld.stdout == (
        "Proc_pid: 5046728 Proc_name: topasrec\nProc_pid: 4391388 Proc_name: sshd\n"
    )
    # The surrogate booted from nhdisk; the original rootvg disk is free now.
    disks = {line.split()[0]: line.split()[2] for line in lspv.stdout.splitlines()}
    assert (disks["hdisk0"], disks["hdisk1"], disks["hdisk2"]) == ("None", "rootvg", "None")
    assert "An LLU-capable library is newer for process 4391388." in llu.stdout


async def test_the_maxima_stay_unless_the_surrogate_is_cloned_from_the_profile(
    tmp_path: Path,
) -> None:
    scenario = {"defaults": {"after_update": {"raised_profile": {"Maximum Memory": "65536 MB"}}}}
    async with fleet_of(tmp_path, scenario=scenario) as fleet, await connect(fleet) as conn:
        await start_detached(conn, UPDATE, log_path())
        await follow_until_exit(conn, log_path())
        after = await run(conn, remote.lparstat())
    assert "Maximum Memory                             : 36864 MB\n" in after.stdout


async def test_an_interim_fix_update_keeps_the_level_and_adds_the_fix(tmp_path: Path) -> None:
    fix = remote.geninstall(["IJ52421s2a.241031.epkg.Z"], media="/tmp", preview=False)
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        await start_detached(conn, fix, log_path())
        await follow_until_exit(conn, log_path())
        oslevel = await run(conn, remote.oslevel())
        emgr = await run(conn, remote.emgr_list())
    assert oslevel.stdout == "7300-02-02-2420\n"
    assert "IJ52421s2a" in emgr.stdout


async def test_ps_and_tail_from_an_offset_while_and_after_it_runs(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        await start_detached(conn, UPDATE, log_path())
        first = await run(conn, remote.tail(log_path(), 1))
        pid = int(first.stdout.splitlines()[0].removeprefix(remote.PID_MARKER))
        running = await run(conn, remote.is_running(pid))
        lines = await follow_until_exit(conn, log_path(), from_line=2)
        ended = await run(conn, remote.is_running(pid))
        rest = await run(conn, remote.tail(log_path(), len(lines)))
    assert (running.exit_status, running.stdout.strip()) == (0, str(pid))
    assert lines[0].endswith("The live update preview succeeded.")
    assert (ended.exit_status, ended.stdout) == (1, "")
    assert rest.stdout.splitlines() == lines[-2:]


async def test_a_second_update_is_refused_while_one_runs(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        await start_detached(conn, UPDATE, log_path("LU-1"))
        second = await run(conn, UPDATE)
        llu = await run(conn, remote.llvupdate(pids=None, retries=1, timeout=30, log="/tmp/l"))
        await follow_until_exit(conn, log_path("LU-1"))
    assert second.exit_status == 1
    assert second.stdout.startswith("1430-906 FAILED: A live update operation is already running")
    assert llu.exit_status == 1


async def test_a_start_sent_again_while_its_log_exists_is_refused_as_a_shell_would(
    tmp_path: Path,
) -> None:
    # lkubot sends the start again when it cannot tell whether the first one left: the
    # shell's noclobber refuses the redirection, in the background job, so it exits 0 and
    # says why on stderr; nothing starts.
    start = remote.start_detached(UPDATE, log_path())
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        first = await run(conn, start)
        again = await run(conn, start)
        lines = await follow_until_exit(conn, log_path())
        after_the_end = await run(conn, start)
    assert (first.exit_status, first.stderr) == (0, "")
    assert (again.exit_status, again.stderr) == (0, f"ksh: {log_path()}: file already exists\n")
    assert after_the_end.stderr == again.stderr
    received = [c for c in fleet.lpar("lpar001").commands if c.command == start.line]
    assert [(c.operation, c.start_refused) for c in received] == [
        (UPDATE.line, False),
        (None, True),
        (None, True),
    ]
    assert [line for line in lines if line.startswith(remote.PID_MARKER)] == [lines[0]]
    assert lines[-1] == "lkubot-exit: 0"


async def test_kill_before_the_point_of_no_return_stops_it_and_clvupdate_cleans_up(
    tmp_path: Path,
) -> None:
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        await start_detached(conn, UPDATE, log_path())
        pid_line = (await run(conn, remote.tail(log_path(), 1))).stdout.splitlines()[0]
        pid = int(pid_line.removeprefix(remote.PID_MARKER))
        killed = await run(conn, remote.terminate(pid))
        lines = await follow_until_exit(conn, log_path())
        retry = await run(conn, remote.geninstall(["all"], media=None, preview=True))
        cleanup = await run(conn, remote.clvupdate())
        again = await run(conn, remote.geninstall(["all"], media=None, preview=True))
    assert killed.exit_status == 0
    assert lines == [pid_line, "lkubot-exit: 143"]
    assert retry.exit_status == 1
    assert retry.stdout.startswith("1430-905 FAILED:")
    assert cleanup.exit_status == 0
    assert again.exit_status == 0


async def test_kill_after_the_point_of_no_return_changes_nothing(tmp_path: Path) -> None:
    async with fleet_of(tmp_path) as fleet, await connect(fleet) as conn:
        await start_detached(conn, UPDATE, log_path())
        await wait_for_line(fleet, log_path(), "Non-interruptable")
        pid = int(fleet.lpar("lpar001").logs[log_path()].lines[0].split()[-1])
        killed = await run(conn, remote.terminate(pid))
        lines = await follow_until_exit(conn, log_path())
        gone = await run(conn, remote.terminate(pid))
    assert killed.exit_status == 0
    assert lines[-1] == "lkubot-exit: 0"
    assert gone.exit_status == 1
    assert "0403-003 The specified process does not exist." in gone.stderr


async def test_an_operation_run_in_the_session_dies_with_it_before_the_point_of_no_return(
    tmp_path: Path,
) -> None:
    async with fleet_of(tmp_path, speed=50.0) as fleet:
        lpar = fleet.lpar("lpar001")
        async with await connect(fleet) as conn:
            process = await conn.create_process(str(UPDATE))
            await eventually(lambda: lpar.running("geninstall -k") is not None)
            process.close()
        await eventually(lambda: lpar.running("geninstall -k") is None)
        assert lpar.state.lku_cleanup_pending is True
