"""What can go wrong in storage, in words an admin can act on.

StorageError
├── DatabaseMissing       `--db FILE` names no file (read-only commands never create one)
├── DatabaseTooNew        written by a newer lkubot: refuse rather than misread it
├── DatabaseInUse         another lkubot runs on this database (`storage.instance_lock`)
├── NotFound              no such request or run
├── ConcurrentChange      someone else changed the row first (compare-and-set lost)
└── BadAnchor             an anchored head hash given to check is not one

liveupdate.errors.Refused
├── LparLocked            a run, an admin hold or a clean-up already owns the LPAR
└── CleanupRefused        the run asked to be cleaned up after did not fail, or is not the latest
"""

from __future__ import annotations

from liveupdate.errors import Refused


class StorageError(Exception):
    pass


class DatabaseMissing(StorageError):
    pass


class DatabaseTooNew(StorageError):
    pass


class DatabaseInUse(StorageError):
    pass


class NotFound(StorageError):
    pass


class ConcurrentChange(StorageError):
    pass


class BadAnchor(StorageError):
    pass


class LparLocked(Refused):
    """Shown to the person who tried to launch: names who holds the LPAR and since when."""


class CleanupRefused(Refused):
    pass
