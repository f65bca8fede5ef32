"""Previewing 200 simulated LPARs at once against previewing one, and the same reads done with
Ansible ad-hoc `raw` commands.

Starts `lkubot sim --count 200 --speed 4` as a separate process (AIX's 40 s preview takes
10 s) and times `Engine.preview` on the event loop `lkubot run` serves on, each round with a
fresh engine (so the SSH logins count): first all 200 concurrently, cold (a fresh process
against LPARs nobody has logged in to yet: a bot's first group preview of the morning), then
one LPAR and all 200 in turn, three times each. The headline is the cold 200 against the
median of one (target: under 1.5), then the warm median; the extra seconds the 200 cost over
one do not depend on the speed factor. Each round says who kept the two cores busy, so a round
slowed by other processes on this shared machine shows as such.

With `--ansible VENV` (a virtualenv holding ansible-core, e.g. made with
`python3 -m venv /tmp/ansible && /tmp/ansible/bin/pip install ansible-core`), it also times
the same eight reads as `ansible all -m raw -a CMD -f 200`, one ad-hoc command after the other
(raw, because AIX LPARs need no Python for it), for one LPAR and for all 200.

Run: .venv/bin/python bench/bench_preview.py [--ansible /tmp/ansible]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import CpuUse
from bot.eventloop import loop_factory
from liveupdate.checks import PreviewOutcome, UpdateKind
from lpar import remote
from lpar.engine import Engine
from lpar.inventory import Inventory, load_inventory
from storage.run_records import StoredRunRecords
from storage.store import AsyncStore

COUNT = 200
SPEED = 4.0
ROUNDS = 3
LKUBOT = Path(sys.executable).parent / "lkubot"


async def start_sim(out: Path) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        str(LKUBOT), "sim", "--count", str(COUNT), "--speed", str(SPEED),
        "--inventory-out", str(out), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    ready = await asyncio.wait_for(process.stdout.readline(), 120)
    if not ready.startswith(b"lkubot sim: ready"):
        raise RuntimeError(f"lkubot sim did not start: {ready!r}")
    return process


async def time_previews(
    inventory: Inventory, store: AsyncStore, names: list[str], cpu: CpuUse, what: str
) -> float:
    async with Engine(inventory, StoredRunRecords(store)) as engine:
        cpu.start()
        began = time.perf_counter()
        results = await asyncio.gather(*(engine.preview(UpdateKind.LKU, name) for name in names))
        seconds = time.perf_counter() - began
        print(f"  {what}: {seconds:.2f} s; {cpu.stop()}", flush=True)
    failed = [r.lpar for found in results for r in found if r.outcome is not PreviewOutcome.PASSED]
    if failed:
        raise RuntimeError(f"previews failed on {failed[:5]}")
    return seconds


def ansible_inventory(inventory: Inventory, path: Path) -> None:
    lines = ["[lpars]"]
    for lpar in inventory.lpars.values():
        lines.append(f"{lpar.name} ansible_host={lpar.host} ansible_port={lpar.port}")
    some = next(iter(inventory.lpars.values()))
    lines += [
        "[lpars:vars]",
        "ansible_user=root",
        f"ansible_ssh_private_key_file={some.key}",
        "ansible_ssh_common_args='-o UserKnownHostsFile="
        f"{some.known_hosts} -o StrictHostKeyChecking=yes'",
    ]
    path.write_text("\n".join(lines) + "\n")


def time_ansible(venv: Path, hosts_file: Path, pattern: str, commands: list[str]) -> float:
    env = {**os.environ, "ANSIBLE_HOST_KEY_CHECKING": "True", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "0"}
    began = time.perf_counter()
    for command in commands:
        done = subprocess.run(
            [str(venv / "bin" / "ansible"), pattern, "-i", str(hosts_file), "-m", "raw",
             "-a", command, "-f", str(COUNT), "-o"],
            env=env, capture_output=True, text=True, timeout=1800, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"ansible {command}: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - began


async def main(ansible: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fleet"
        sim = await start_sim(out)
        store = await AsyncStore.open(Path(tmp) / "lkubot.db")
        try:
            inventory = load_inventory(out / "lpars.yml")
            names = list(inventory.lpars)
            cpu = CpuUse({"lkubot": os.getpid(), "LPARs": sim.pid})
            cold = await time_previews(inventory, store, names, cpu, f"{COUNT} LPARs, cold")
            ones, manys = [], []
            for _ in range(ROUNDS):
                ones.append(await time_previews(inventory, store, names[:1], cpu, "1 LPAR"))
                manys.append(await time_previews(inventory, store, names, cpu, f"{COUNT} LPARs"))
            one, many = statistics.median(ones), statistics.median(manys)
            print(
                f"preview of 1 LPAR: {one:.2f} s (median of {ROUNDS}); of {COUNT} concurrently: "
                f"cold {cold:.2f} s, warm {many:.2f} s (median of {ROUNDS})"
            )
            print(
                f"ratio cold {cold / one:.2f}, warm {many / one:.2f} (target < 1.5); {COUNT} "
                f"cost {cold - one:.2f} s more cold, {many - one:.2f} s warm"
            )
            if ansible is not None:
                lpar = inventory.lpars[names[0]]
                commands = [
                    c.line
                    for c in (
                        remote.oslevel(), remote.hmcauth_list(),
                        remote.read_file(lpar.lvupdate_data), remote.lspv(), remote.emgr_list(),
                        remote.llu_mode(), remote.genld(),
                        remote.geninstall(["update_all"], media=lpar.media, preview=True),
                    )
                ]  # fmt: skip
                hosts = Path(tmp) / "hosts.ini"
                ansible_inventory(inventory, hosts)
                a_one = time_ansible(ansible, hosts, names[0], commands)
                a_many = time_ansible(ansible, hosts, "lpars", commands)
                print(
                    f"ansible -m raw, the same 8 reads: 1 LPAR {a_one:.2f} s; {COUNT} LPARs "
                    f"{a_many:.2f} s (ratio {a_many / a_one:.2f}); lkubot is "
                    f"{a_many / many:.1f}x faster on {COUNT}"
                )
        finally:
            await store.close()
            sim.terminate()
            await asyncio.wait_for(sim.wait(), 60)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ansible", type=Path, help="a virtualenv with ansible-core")
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(main(parser.parse_args().ansible))
