"""Progress fan-out: every subscriber gets every event in order, and a slow one gets a Gap
instead of holding a run up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from lpar.bus import ProgressBus
from lpar.progress import Gap, LinkLost, Progress

AT = datetime(2025, 1, 29, 9, 0, tzinfo=UTC)


def lost(n: int) -> LinkLost:
    return LinkLost(key=f"LU-1-1#{n}", request_id="LU-1", run_id="LU-1-1", lpar="l", at=AT,
                    reason="dropped")  # fmt: skip


async def test_a_slow_subscriber_gets_a_gap_then_the_events_from_then_on() -> None:
    bus = ProgressBus(limit=3)
    async with bus.subscribe() as slow, bus.subscribe() as quick:
        for n in range(1, 7):
            bus.publish(lost(n))
        got = [await anext(slow) for _ in range(4)]
        bus.publish(lost(7))
        got.append(await anext(slow))

        assert [getattr(e, "key", None) for e in got[:3]] == ["LU-1-1#1", "LU-1-1#2", "LU-1-1#3"]
        assert got[3] == Gap(missed=3)
        assert got[4] == lost(7)
        assert [await anext(quick) for _ in range(3)] == [lost(1), lost(2), lost(3)]


async def test_a_subscriber_waits_for_the_next_event_and_leaves_cleanly() -> None:
    bus = ProgressBus(limit=10)
    async with bus.subscribe() as events:

        async def next_event() -> Progress:
            return await anext(events)

        waiting = asyncio.create_task(next_event())
        await asyncio.sleep(0)
        bus.publish(lost(1))
        async with asyncio.timeout(1):
            assert await waiting == lost(1)
    bus.publish(lost(2))  # nobody listens: nothing to do, nothing kept
