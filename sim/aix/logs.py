"""Log files on a simulated LPAR: written by a running operation, read and followed by `tail`."""

from __future__ import annotations

import asyncio


class LogFile:
    """A file that only grows, line by line, and wakes whoever follows it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self._grown = asyncio.Event()

    def write(self, text: str) -> None:
        self.lines.extend(text.splitlines())
        self._grown.set()
        # A fresh event per append: followers that woke up wait for the next one.
        self._grown = asyncio.Event()

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)

    async def grown(self) -> None:
        """Return at the next append."""
        await self._grown.wait()
