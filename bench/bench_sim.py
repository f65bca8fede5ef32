"""How much one `lkubot sim` process costs per LPAR, and how fast 500 LPARs answer at once.

Starts `lkubot sim --count 1` and `--count 500` as separate processes and reads their resident
memory once idle; then opens one asyncssh connection per LPAR and times 500 concurrent
`oslevel -s` calls (three rounds, median). Run: .venv/bin/python bench/bench_sim.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncssh
import yaml

COUNT = 500
ROUNDS = 3
LKUBOT = Path(sys.executable).parent / "lkubot"


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"No VmRSS for process {pid}.")


async def start_sim(count: int, out: Path) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        str(LKUBOT), "sim", "--count", str(count), "--inventory-out", str(out),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    ready = await asyncio.wait_for(process.stdout.readline(), 120)
    if not ready.startswith(b"lkubot sim: ready"):
        raise RuntimeError(f"lkubot sim did not start: {ready!r}")
    await asyncio.sleep(1.0)  # let start-up garbage settle
    return process


async def stop_sim(process: asyncio.subprocess.Process) -> None:
    process.terminate()
    await asyncio.wait_for(process.wait(), 60)


async def connect_all(out: Path) -> list[asyncssh.SSHClientConnection]:
    inventory = yaml.safe_load((out / "lpars.yml").read_text())
    key = asyncssh.read_private_key(out / "keys" / "lkubot_ed25519")
    known_hosts = asyncssh.read_known_hosts(str(out / "known_hosts"))
    return list(
        await asyncio.gather(
            *(
                asyncssh.connect(
                    "127.0.0.1",
                    entry["port"],
                    username="root",
                    client_keys=[key],
                    known_hosts=known_hosts,
                )
                for entry in inventory["lpars"].values()
            )
        )
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        one = await start_sim(1, Path(tmp) / "one")
        base_kib = resident_kib(one.pid)
        await stop_sim(one)

        out = Path(tmp) / "many"
        many = await start_sim(COUNT, out)
        idle_kib = resident_kib(many.pid)
        began = time.perf_counter()
        connections = await connect_all(out)
        connect_seconds = time.perf_counter() - began
        rounds = []
        for _ in range(ROUNDS):
            began = time.perf_counter()
            results = await asyncio.gather(*(c.run("oslevel -s", check=True) for c in connections))
            rounds.append(time.perf_counter() - began)
            assert all(r.stdout == "7300-02-02-2420\n" for r in results)
        busy_kib = resident_kib(many.pid)
        for connection in connections:
            connection.close()
        await stop_sim(many)

    per_lpar = (idle_kib - base_kib) / (COUNT - 1)
    print(f"lkubot sim, {COUNT} LPARs in one process:")
    print(f"  resident memory: {base_kib / 1024:.1f} MiB with 1 LPAR, {idle_kib / 1024:.1f} MiB "
          f"with {COUNT} idle: {per_lpar:.0f} KiB per idle LPAR")  # fmt: skip
    print(f"  {COUNT} SSH logins at once: {connect_seconds:.2f} s")
    each = ", ".join(f"{r:.2f}" for r in rounds)
    print(f"  {COUNT} concurrent `oslevel -s` over open connections: median "
          f"{statistics.median(rounds):.2f} s (rounds: {each})")  # fmt: skip
    print(f"  resident memory with {COUNT} connections open: {busy_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
