"""Time in the emulator: the wall clock for timestamps, and Slack's rate-limit clock, which
may run faster than real time."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime


def utc_now() -> datetime:
    """Wall-clock time, for message timestamps and the call record."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class SlackClock:
    speed: float = 1.0

    def now(self) -> float:
        """Slack seconds on a monotonic scale."""
        return time.monotonic() * self.speed

    def real(self, slack_seconds: float) -> float:
        return slack_seconds / self.speed

    def retry_after(self, slack_seconds: float) -> int:
        """What Slack's Retry-After header says: whole real seconds the client must wait."""
        return max(1, math.ceil(self.real(slack_seconds)))
