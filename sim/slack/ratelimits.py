"""Slack's per-method rate limits as token buckets, on Slack's (scalable) clock.

Pure: every call takes `now` in Slack seconds, so the emulator can run Slack's clock faster
than real time (`EmulatorConfig.speed`) and tests can check the arithmetic with fixed times.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.slack.config import EmulatorConfig, RateLimit


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Admits or refuses each call; Slack counts per app per workspace per method, and
    chat.postMessage per channel too."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def admit(self, method: str, channel: str | None, now: float) -> float | None:
        """None when the call may go ahead (and is counted), else the Slack seconds to wait."""
        limit = self._config.rate_limit(method)
        if limit is None:
            return None
        key = (method, (channel or "") if limit.per_channel else "")
        bucket = self._buckets.setdefault(key, _Bucket(tokens=limit.burst, updated=now))
        _refill(bucket, limit, now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / _per_second(limit)


def _per_second(limit: RateLimit) -> float:
    return limit.per_minute / 60


def _refill(bucket: _Bucket, limit: RateLimit, now: float) -> None:
    elapsed = max(0.0, now - bucket.updated)
    bucket.tokens = min(limit.burst, bucket.tokens + elapsed * _per_second(limit))
    bucket.updated = now
