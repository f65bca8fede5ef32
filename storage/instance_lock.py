"""One running lkubot per database: an exclusive lock on a file next to it.

Two bots on one database would both follow the same runs and could both start one. `Bot.running`
holds `InstanceLock(db)` for its whole life, and a second bot is refused with `DatabaseInUse`,
naming the process that holds the lock. The lock is the kernel's (`flock`), so it is released
however the process ends, a crash or `kill -9` included; the file stays, holding the last
holder's process id. Commands that only read or export (`lkubot audit`, `lkubot history`) do
not take it. `flock` is local to one machine: keep the database on a local disk, as SQLite
itself asks.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from storage.errors import DatabaseInUse


class InstanceLock:
    """`with InstanceLock(db):` holds `DB.lock` exclusively, or raises `DatabaseInUse`."""

    def __init__(self, db: str | os.PathLike[str]) -> None:
        self.db = Path(db)
        self.path = self.db.with_name(self.db.name + ".lock")
        self._fd: int | None = None

    def __enter__(self) -> Self:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DatabaseInUse(
                f"Another lkubot (process {holder}) is running on {self.db}: two would follow, "
                "and could start, the same runs. Stop it first, or point LKUBOT_DB at another "
                "file."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
