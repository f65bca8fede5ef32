"""`lkubot sim` as a process: one line when ready, a complete inventory, a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncssh
import yaml
from click.testing import CliRunner

from bot.cli import main
from tests.sim.client import WAIT, run

LKUBOT = Path(sys.executable).parent / "lkubot"


async def test_lkubot_sim_serves_until_sigterm(tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    process = await asyncio.create_subprocess_exec(
        str(LKUBOT), "sim", "--count", "3", "--speed", "1000", "--inventory-out", str(out),
        "--approvers", "U0ALICE01,U0BOB0001", "--admins", "U0CAROL01", "--channel", "C0DEMO0001",
        "--fault", "lpar003={preview: {}}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        ready = await asyncio.wait_for(process.stdout.readline(), WAIT)
        assert ready.decode().startswith("lkubot sim: ready: 3 simulated LPARs on 127.0.0.1")
        inventory = yaml.safe_load((out / "lpars.yml").read_text())
        assert inventory["admins"] == ["U0CAROL01"]
        assert inventory["groups"]["prod"]["approvers"] == ["U0ALICE01", "U0BOB0001"]
        assert inventory["groups"]["test"]["channel"] == "C0DEMO0001"
        async with asyncssh.connect(
            "127.0.0.1", inventory["lpars"]["lpar003"]["port"], username="root",
            client_keys=[str(out / "keys" / "lkubot_ed25519")],
            known_hosts=str(out / "known_hosts"),
        ) as conn:  # fmt: skip
            preview = await run(conn, "geninstall -k -p update_all")
        assert preview.exit_status == 1
        assert "1430-907" in preview.stdout
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), WAIT) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "geninstall -k -p update_all" in (out / "commands.log").read_text()


def test_bad_flags_are_refused_with_the_reason(tmp_path: Path) -> None:
    runner = CliRunner()
    out = str(tmp_path / "fleet")
    fault = runner.invoke(main, ["sim", "--count", "2", "--inventory-out", out,
                                 "--fault", "lpar002={drop: {secs: 9}}"])  # fmt: skip
    approvers = runner.invoke(
        main, ["sim", "--count", "2", "--inventory-out", out, "--approvers", "alice"]
    )
    assert fault.exit_code == 1
    assert "--fault: lpars.lpar002.faults.drop.secs: Extra inputs are not permitted" in fault.output
    assert approvers.exit_code == 2
    assert "Slack user or user group ids" in approvers.output
    assert not os.path.exists(out)
