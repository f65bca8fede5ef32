"""Follow an operation log on an LPAR across SSH drops.

`follow_log` runs `tail -n +K -f LOG` and yields each complete line with its line number. When
the connection drops (the live update blackout is the likely moment) it reconnects with backoff
and resumes after the last line it yielded, so no line is lost or repeated. It reports the
outage as `LinkDown` / `LinkUp` events, so the caller can save its progress, tell people, and
decide when an outage has lasted too long; it never gives up by itself.

Close it when done, e.g. `async with contextlib.aclosing(follow_log(...)) as events:`; closing
ends the remote `tail`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from pydantic import BaseModel, ConfigDict, Field

from lpar import remote
from lpar.inventory import Lpar
from lpar.ssh import CommandTimeout, ConnectionLost, Connections, SshError, UnreachableError


class LogLine(BaseModel):
    """Line `number` of the log (the first line is 1), without its newline."""

    model_config = ConfigDict(frozen=True)

    number: int
    text: str


class LinkDown(BaseModel):
    """The LPAR could not be reached; the next attempt is in `retry_in` seconds."""

    model_config = ConfigDict(frozen=True)

    attempt: int
    down_for: float
    """Seconds since the first failed attempt of this outage."""
    retry_in: float
    reason: str


class LinkUp(BaseModel):
    """Following resumed after an outage of `down_for` seconds."""

    model_config = ConfigDict(frozen=True)

    down_for: float
    resumed_at: int
    """The line number following resumes from."""


FollowEvent = LogLine | LinkDown | LinkUp


class Backoff(BaseModel):
    """Waits between reconnect attempts: `first`, growing by `factor`, at most `slowest`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first: float = Field(default=1.0, gt=0)
    factor: float = Field(default=2.0, ge=1)
    slowest: float = Field(default=60.0, gt=0)

    def delay(self, attempt: int) -> float:
        """The wait before attempt `attempt` + 1 (attempts count from 1)."""
        return float(min(self.slowest, self.first * self.factor ** min(attempt - 1, 64)))


class LogUnavailable(SshError):
    """`tail` ended on its own: the log is missing or unreadable on the LPAR."""


_TRANSIENT = (UnreachableError, ConnectionLost, CommandTimeout)
"""Worth retrying. Host key, authentication and key file errors are not: they need an admin."""


async def follow_log(
    ssh: Connections,
    lpar: Lpar,
    log: str,
    *,
    consumed: int,
    backoff: Backoff | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[FollowEvent]:
    """Lines of `log` after the first `consumed` ones, as they are written, for ever.

    Raises `LogUnavailable` if `tail` exits (the file is gone), and the non-transient
    `SshError`s (host key, authentication, key file) as they come.
    """
    pace = backoff or Backoff()
    attempt = 0
    down_since = 0.0
    while True:
        try:
            async with ssh.stream(lpar, remote.follow(log, consumed + 1)) as lines:
                if attempt:
                    yield LinkUp(down_for=clock() - down_since, resumed_at=consumed + 1)
                    attempt = 0
                async for text in lines:
                    consumed += 1
                    yield LogLine(number=consumed, text=text)
                raise LogUnavailable(
                    lpar.name,
                    f"{lpar.name}: following {log} stopped: tail exited with status "
                    f"{lines.exit_status} ({lines.stderr.strip() or 'no message'}). Check that "
                    "the file exists on the LPAR and that the lkubot user can read it.",
                )
        except _TRANSIENT as exc:
            if not attempt:
                down_since = clock()
            attempt += 1
            # A half-dead connection would be reused by the next attempt; start afresh.
            await ssh.disconnect(lpar)
            wait = pace.delay(attempt)
            yield LinkDown(
                attempt=attempt, down_for=clock() - down_since, retry_in=wait, reason=str(exc)
            )
            await sleep(wait)
