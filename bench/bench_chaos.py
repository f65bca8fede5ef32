"""Chaos: many live kernel updates while lkubot is killed with SIGKILL at random moments, then
started again on the same database; every run's end checked against the resilience target of
DESIGN.md ("nothing lost ... a run is launched at most once, whatever happens").

Setup, all on 127.0.0.1: `--runs` simulated LPARs (one-approval group, a prep and a post
command each, at `--speed`), the Slack emulator in this process, and `lkubot run --http` in
its own process. Runs go in rounds of `--parallel`: each is previewed and approved, then all
are launched together. The kill moments are random (seeded by `--seed`) but taken from the
outside world's own records, not the clock: the bot dies on the N-th event of the round
(a command an LPAR receives, a Web API call Slack answers, a line the operation logs), with
N drawn uniformly over the events a round makes (measured by a first round without kills).
Each round takes 1 to `--max-kills` kills; after each, lkubot is started again at once, and a
launch click that died with it (nothing recorded) is clicked again, as a person would. In a
share `--storms` of the rounds Slack also answers every call with 429 for a minute of its
time (one second here), from a random event of the round on.

At the end of each round every run is checked with `tests.resilience.invariants` (started
exactly once, phases once and in order, one status message edited in place, one summary,
every notice once, the card showing the end, the lock released, the audit chain intact).
Outcomes that only the documented crash windows produce are counted apart: a message posted
again because lkubot died between Slack's post and its own save (each extra copy must have
such a kill after it), and a run failed on a prep or post command in doubt. Starts sent
again after a kill, and those of them the LPAR's shell refused (the first had left), are
counted too.

    .venv/bin/python bench/bench_chaos.py [--runs 48] [--parallel 4] [--seed 1]

Exit status 0 when there are no invariant violations, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from liveupdate.requests import RequestState  # noqa: E402
from sim.aix import CommandRecord  # noqa: E402
from sim.slack import Call  # noqa: E402
from tests.resilience.chaos import Card, ChaosWorld, chaos_world  # noqa: E402
from tests.resilience.invariants import (  # noqa: E402
    expected_after_kills,
    violations,
    window_duplicates,
)

SLACK_MINUTE = 60.0
"""Slack seconds of 429s in a storm."""
ROUND_WITHIN = 180.0
"""Seconds a round may take, kills and restarts included, before it counts as a violation."""


@dataclass
class Tally:
    runs: int = 0
    kills: int = 0
    violations: list[str] = field(default_factory=list)
    window_duplicates: int = 0
    failed_in_doubt: int = 0
    starts_again: int = 0
    starts_refused: int = 0
    storms: int = 0
    launches_again: int = 0
    moments: list[str] = field(default_factory=list)


class Killer:
    """Counts the round's events, kills the bot at the chosen ones and starts Slack's minute
    of 429s at `storm_at` (see the module)."""

    def __init__(self, world: ChaosWorld, at: list[int], storm_at: int | None = None) -> None:
        self.world = world
        self.at = sorted(at)
        self.storm_at = storm_at
        self.storms = 0
        self.count = 0
        self.killed = asyncio.Event()
        self.moments: list[str] = []

    def tick(self, what: str) -> None:
        bot = self.world.bot
        if bot is None or not bot.running:
            return  # events while lkubot is down do not count: it is being started again
        self.count += 1
        if self.storm_at is not None and self.count >= self.storm_at:
            self.storm_at = None
            self.storms += 1
            self.world.slack.inject_rate_limit("*", SLACK_MINUTE)
        if self.at and self.count >= self.at[0]:
            self.at.pop(0)
            self.world.kill_bot()
            self.moments.append(what)
            self.killed.set()


def watch(world: ChaosWorld, cards: list[Card], tick: Callable[[str], None]) -> ExitStack:
    """Call `tick` on every command the round's LPARs receive and every Slack call."""
    stack = ExitStack()
    for card in cards:
        lpar = card.lpar

        def on_command(record: CommandRecord, lpar: str = lpar) -> None:
            tick(f"{lpar} received `{record.command[:60]}`")

        stack.enter_context(world.fleet.lpar(lpar).watching_commands(on_command))

    def on_call(call: Call) -> None:
        tick(f"Slack answered {call.method} ({call.status})")

    stack.enter_context(world.slack.watching_calls(on_call))
    return stack


async def watch_logs(world: ChaosWorld, cards: list[Card], tick: Callable[[str], None]) -> None:
    """Call `tick` on every line the round's operations write to their logs."""

    async def one(card: Card) -> None:
        lpar = world.fleet.lpar(card.lpar)
        suffix = f"lkubot-{card.request_id}-1.log"
        seen = 0
        while True:
            log = next((f for p, f in lpar.logs.items() if p.endswith(suffix)), None)
            if log is None:
                await asyncio.sleep(0.01)
                continue
            grown = asyncio.ensure_future(log.grown())
            for line in log.lines[seen:]:
                tick(f"{card.lpar} logged {line[:50]!r}")
            seen = len(log.lines)
            await grown

    await asyncio.gather(*(one(card) for card in cards))


async def launch_all(world: ChaosWorld, cards: list[Card], tally: Tally, *, again: bool) -> None:
    """Click [Launch] on every card whose request is still approved (a click that died with
    the bot recorded nothing, so a person clicks again)."""
    for card in cards:
        if world.request_state(card.request_id) is RequestState.APPROVED:
            if again:
                tally.launches_again += 1
            await world.launch(card)


async def play_round(
    world: ChaosWorld,
    lpars: list[str],
    kill_at: list[int],
    tally: Tally,
    storm_at: int | None = None,
) -> int:
    """One round; returns how many events it counted."""
    cards = list(await asyncio.gather(*(world.approved_request(name) for name in lpars)))
    killer = Killer(world, kill_at, storm_at)
    logs = asyncio.get_running_loop().create_task(watch_logs(world, cards, killer.tick))
    deadline = time.monotonic() + ROUND_WITHIN
    try:
        with watch(world, cards, killer.tick):
            await launch_all(world, cards, tally, again=False)
            while time.monotonic() < deadline:
                settled = asyncio.ensure_future(
                    asyncio.gather(*(world.settled(card, ROUND_WITHIN) for card in cards))
                )
                killed = asyncio.ensure_future(killer.killed.wait())
                await asyncio.wait(
                    {settled, killed},
                    timeout=deadline - time.monotonic(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if killed.done():
                    settled.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await settled
                    killer.killed.clear()
                    await world.restart_bot()
                    await launch_all(world, cards, tally, again=True)
                    continue
                killed.cancel()
                if settled.done() and all(settled.result()):
                    break
                tally.violations.append(f"round of {lpars}: not settled within the bound")
                break
    finally:
        logs.cancel()
    tally.moments += killer.moments
    tally.storms += killer.storms
    for card in cards:
        expected = expected_after_kills(world, card)
        tally.violations += violations(world, card, expected)
        tally.window_duplicates += window_duplicates(world, card)
        tally.failed_in_doubt += expected.state is RequestState.FAILED
        starts = [
            c
            for c in world.fleet.lpar(card.lpar).commands
            if (c.operation or c.start_refused) and f"lkubot-{card.request_id}-" in c.command
        ]
        tally.starts_again += max(0, len(starts) - 1)
        tally.starts_refused += sum(c.start_refused for c in starts)
    tally.runs += len(cards)
    return killer.count


async def main(args: argparse.Namespace) -> int:
    # A killed bot's connections make asyncio warn about writes to dead sockets; noise here.
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    rng = random.Random(args.seed)
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        async with chaos_world(
            Path(args.keep or scratch), lpars=args.runs, speed=args.speed
        ) as world:
            names = [f"lpar{n:03d}" for n in range(1, args.runs + 1)]
            rounds = [names[i : i + args.parallel] for i in range(0, len(names), args.parallel)]
            # The first round runs without kills: the baseline, and how many events a round makes.
            events = await play_round(world, rounds[0], [], tally)
            for lpars in rounds[1:]:
                kills = rng.sample(range(1, events + 1), rng.randint(1, args.max_kills))
                storm = rng.randint(1, events) if rng.random() < args.storms else None
                await play_round(world, lpars, kills, tally, storm)
            await world.stop_bot()
            tally.kills = world.kills
    print_report(args, tally, time.monotonic() - started)
    return 1 if tally.violations else 0


def print_report(args: argparse.Namespace, tally: Tally, seconds: float) -> None:
    print(
        f"bench_chaos: seed {args.seed}, LPARs at {args.speed:g}x, {args.parallel} runs per "
        f"round, {seconds:.0f} s"
    )
    print(f"  runs                      {tally.runs}")
    print(f"  kills (SIGKILL, restart)  {tally.kills}")
    print(f"  Slack 429 storms          {tally.storms} (a minute of Slack's time each)")
    print(f"  invariant violations      {len(tally.violations)}")
    print(f"  launch clicks redone      {tally.launches_again} (lkubot died before recording them)")
    print(f"  failed, command in doubt  {tally.failed_in_doubt} (prep or post cut by a kill)")
    print(f"  starts sent again         {tally.starts_again} ({tally.starts_refused} refused by "
          "the LPAR's shell: the first had left)")  # fmt: skip
    print(f"  documented window hit     {tally.window_duplicates} message posted again (lkubot "
          "died between Slack's post and its save)")  # fmt: skip
    for moment in tally.moments:
        print(f"    killed when {moment}")
    for violation in tally.violations:
        print(f"  VIOLATION {violation}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=48)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--speed", type=float, default=120.0)
    parser.add_argument("--max-kills", type=int, default=5)
    parser.add_argument("--storms", type=float, default=0.5)
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the database, the bots' logs and the fleet in DIR"
    )
    arguments = parser.parse_args()
    if arguments.keep:
        Path(arguments.keep).mkdir(parents=True, exist_ok=True)
    sys.exit(asyncio.run(main(arguments)))
