"""Fan-out of progress events to any number of subscribers, each with a bounded queue.

A subscriber that falls `limit` events behind stops receiving until it has read what it
holds, then gets one `Gap` saying how many it missed (it should re-render from snapshots),
then the events from that moment on. Publishing never blocks a run.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from lpar.progress import Gap, Progress


class _Subscriber:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._queue: deque[Progress] = deque()
        self._missed = 0
        self._ready = asyncio.Event()

    def put(self, event: Progress) -> None:
        if self._missed or len(self._queue) >= self._limit:
            self._missed += 1
        else:
            self._queue.append(event)
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[Progress]:
        return self

    async def __anext__(self) -> Progress:
        while True:
            if self._queue:
                return self._queue.popleft()
            if self._missed:
                gap, self._missed = Gap(missed=self._missed), 0
                return gap
            self._ready.clear()
            await self._ready.wait()


class ProgressBus:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._subscribers: set[_Subscriber] = set()

    def publish(self, event: Progress) -> None:
        for subscriber in self._subscribers:
            subscriber.put(event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Progress]]:
        subscriber = _Subscriber(self._limit)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
