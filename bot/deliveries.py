"""Each delivery from Slack is acted on once.

Slack sends a delivery again when it did not see the ack in time (`X-Slack-Retry-Num`). The
first attempt may well be running (a preview, a launch), so a repeat must not start the work
twice; but when the first attempt never reached lkubot the repeat is all there is. So lkubot
remembers what it has seen, by what makes a delivery unique (its response URL or trigger id,
which Slack repeats unchanged in a retry), and acks a repeat without acting on it.

A second click by the same person is not a repeat: Slack issues it a new trigger id, it reaches
the rules, and storage refuses the second vote (told privately, counted once).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

REMEMBERED = 20_000
"""Deliveries remembered at most; far more than a team makes in the window below."""
WINDOW = 30 * 60.0
"""Seconds a delivery is remembered: Slack retries within minutes; a response URL lives 30."""


class RecentDeliveries:
    """A bounded memory of delivery keys, oldest forgotten first."""

    def __init__(
        self,
        *,
        size: int = REMEMBERED,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._size = size
        self._window = window
        self._clock = clock

    def first_time(self, key: str) -> bool:
        """True the first time `key` is offered (within the window); False for a repeat."""
        now = self._clock()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._window and len(self._seen) < self._size:
                break
            del self._seen[oldest]
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


def delivery_key(body: dict[str, Any]) -> str:
    """What identifies one delivery: the same in a retry, different for a new action."""
    for field in ("response_url", "trigger_id"):
        value = body.get(field)
        if isinstance(value, str) and value:
            return f"{field}:{value}"
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return "body:" + hashlib.sha256(canonical.encode()).hexdigest()


def once_per_delivery(
    recent: RecentDeliveries,
) -> Callable[..., Awaitable[BoltResponse]]:
    """A global bolt middleware that acks a repeated delivery and drops it."""

    async def middleware(
        req: AsyncBoltRequest,
        resp: BoltResponse,
        body: dict[str, Any],
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse:
        if recent.first_time(delivery_key(body)):
            await next()
            return resp
        retry = req.headers.get("x-slack-retry-num", ["-"])[0]
        log.info("dropped a repeated delivery (Slack retry %s)", retry)
        return BoltResponse(status=200, body="")

    return middleware
