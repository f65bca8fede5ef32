"""Who kept this machine's cores busy while a benchmark measured (Linux /proc).

The reference machine is shared and has two cores: a figure taken while other processes held
them says little about lkubot, so the benchmarks print this next to their figures.

    cpu = CpuUse({"lkubot": bot_pid, "LPARs": fleet_pid})
    cpu.start()
    ...
    print(cpu.stop())   # "of the 2 cores: lkubot 48%, LPARs 30%, other processes 1%"
"""

from __future__ import annotations

import os
import time


class CpuUse:
    """The share of the machine's cores each named process used, and all others together."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.cores = os.cpu_count() or 1

    def _seconds(self) -> dict[str, float]:
        with open("/proc/stat") as stat:
            fields = [int(n) for n in stat.readline().split()[1:]]
        used = {"machine": sum(fields) - fields[3] - fields[4]}  # all but idle and iowait
        for name, pid in self.pids.items():
            with open(f"/proc/{pid}/stat") as proc:
                times = proc.read().rsplit(")", 1)[1].split()
            used[name] = int(times[11]) + int(times[12])  # user and system time
        return {name: ticks / os.sysconf("SC_CLK_TCK") for name, ticks in used.items()}

    def start(self) -> None:
        self.began = time.monotonic()
        self.first = self._seconds()

    def stop(self) -> str:
        capacity = (time.monotonic() - self.began) * self.cores
        used = {name: spent - self.first[name] for name, spent in self._seconds().items()}
        others = used.pop("machine") - sum(used.values())
        shares = ", ".join(f"{name} {spent / capacity:.0%}" for name, spent in used.items())
        others_share = max(0.0, others) / capacity
        return f"of the {self.cores} cores: {shares}, other processes {others_share:.0%}"
