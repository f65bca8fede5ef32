"""How fast lkubot reads a live kernel update log: a verbose 100,000-line `geninstall -k`.

    .venv/bin/python bench/bench_lvlog.py [--lines 100000] [--rounds 5]

Summarises the real successful run padded with installp's own lines (what a verbose update of
many filesets prints), whole with `summarise_lvupdate_log` and line by line with `LogFollower`
as the run engine feeds it. CPU time of this process, median of the rounds, so other work on
the machine does not count. The correctness of the same log is a test
(tests/liveupdate/test_lvlog.py); this prints the figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from liveupdate.lvlog import LogFollower, summarise_lvupdate_log  # noqa: E402
from tests.liveupdate.samples import verbose_log  # noqa: E402


def cpu_seconds(work: Callable[[], object], rounds: int) -> float:
    """The median CPU time of `work` over `rounds` runs."""
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        work()
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def follow(lines: list[str]) -> None:
    follower = LogFollower()
    for line in lines:
        follower.feed(line)
    follower.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    text = verbose_log(args.lines)
    lines = text.splitlines()
    summary = summarise_lvupdate_log(text)
    if summary.lines != args.lines or summary.status != "succeeded":
        raise SystemExit(f"the padded log was misread: {summary.lines} lines, {summary.status}")

    whole = cpu_seconds(lambda: summarise_lvupdate_log(text), args.rounds)
    streamed = cpu_seconds(lambda: follow(lines), args.rounds)
    print(f"{args.lines:,} log lines, CPU time, median of {args.rounds} rounds:")
    print(f"  summarised whole:      {whole:.3f} s ({args.lines / whole:,.0f} lines/s)")
    print(f"  followed line by line: {streamed:.3f} s ({args.lines / streamed:,.0f} lines/s)")


if __name__ == "__main__":
    main()
