"""The event loop `lkubot run` serves on: uvloop, where it is installed (every platform but
Windows), else asyncio's own.

Slack waits for every ack while the same loop follows the runs, edits status messages and
answers people. uvloop runs the loop's callbacks and sockets in C: with 50 slash commands in
flight while 50 runs stream (`bench/bench_ack.py`, quiet 2-core machine), the ack's p99 went
from 36-63 ms to 26-36 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the loop, for `asyncio.Runner(loop_factory=...)`."""
    try:
        import uvloop
    except ImportError:  # Windows: uvloop is not built for it, and not installed there
        return asyncio.new_event_loop
    return uvloop.new_event_loop
