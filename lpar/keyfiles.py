"""The SSH files every connection reads (known_hosts, lkubot's private key), parsed once for as
long as they stay the same.

A fleet shares one known_hosts file with an entry per LPAR, and asyncssh decodes and imports
every key in it each time the file is read: about 15 µs an entry, so opening N connections
at once costs N² imports on the event loop (200 LPARs: 3 ms per login, 0.6 s in all, before
the last login even starts). `ParsedFiles` keeps the last parse of each file together with
the file's identity (device, inode, size, modification time) and parses again as soon as any
of them changes: a key accepted with `ssh-keyscan >> known_hosts` is trusted at the next
login, exactly as when the file was read every time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import asyncssh

T = TypeVar("T")

_Identity = tuple[int, int, int, int]


class ParsedFiles(Generic[T]):
    """`parse(path)` of each file, redone only when the file has changed since."""

    def __init__(self, parse: Callable[[str], T]) -> None:
        self._parse = parse
        self._parsed: dict[str, tuple[_Identity, T]] = {}

    def read(self, path: Path) -> T:
        """The parsed file; `OSError` and the parser's own errors pass through, uncached."""
        name = str(path)
        # Looked at before the parse: a change made during it shows as a new identity at the
        # next read, so the worst case is one parse too many, never a stale answer.
        stat = os.stat(name)
        identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        known = self._parsed.get(name)
        if known is not None and known[0] == identity:
            return known[1]
        parsed = self._parse(name)
        self._parsed[name] = (identity, parsed)
        return parsed


class SshFiles:
    """The known_hosts files and private keys the connections of one engine read."""

    def __init__(self) -> None:
        self.known_hosts: ParsedFiles[asyncssh.SSHKnownHosts] = ParsedFiles(
            asyncssh.read_known_hosts
        )
        self.keys: ParsedFiles[asyncssh.SSHKey] = ParsedFiles(asyncssh.read_private_key)
