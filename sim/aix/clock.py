"""The virtual clock of a simulated LPAR: AIX's time runs `speed` times faster than the wall.

Waits are expressed in virtual time and converted to wall time, so a live update that takes
11 minutes on a real LPAR takes 11 minutes / speed here, while the timestamps it prints still
advance as AIX's would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta


class VirtualClock:
    """AIX time for one LPAR: `origin` at the moment of creation, then `speed` x wall time."""

    def __init__(
        self,
        origin: datetime,
        speed: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"The speed factor must be positive, not {speed}.")
        self.origin = origin
        self.speed = speed
        self._monotonic = monotonic
        self._wall_origin = monotonic()

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=(self._monotonic() - self._wall_origin) * self.speed)

    def wall_seconds(self, virtual_seconds: float) -> float:
        return max(0.0, virtual_seconds / self.speed)

    async def sleep(self, virtual_seconds: float) -> None:
        await asyncio.sleep(self.wall_seconds(virtual_seconds))

    async def sleep_until(self, when: datetime) -> None:
        # Sleeping to a deadline, not for a duration, keeps a long replay from drifting.
        await asyncio.sleep(self.wall_seconds((when - self.now()).total_seconds()))
