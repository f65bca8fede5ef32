"""/var/adm/ras/config.diff after a live update: per-file differences of the files listed in
/etc/check_config.files.

SIMULATED LAYOUT: AIX's exact layout was never published (the bot parses it tolerantly), so
this writes, per changed file, a header line naming the file followed by a unified diff.
The file contents are plausible excerpts, not captures.
"""

from __future__ import annotations

import difflib
from datetime import datetime

_BEFORE_AFTER: dict[str, tuple[str, str]] = {
    "/etc/inittab": (
        "init:2:initdefault:\n"
        "brc::sysinit:/sbin/rc.boot 3 >/dev/console 2>&1 # Phase 3 of system boot\n"
        "rc:23456789:wait:/etc/rc 2>&1 | alog -tboot > /dev/console # Multi-User checks\n"
        "srcmstr:23456789:respawn:/usr/sbin/srcmstr # System Resource Controller\n"
        "rctcpip:23456789:wait:/etc/rc.tcpip > /dev/console 2>&1 # Start TCP/IP daemons\n"
        "cron:23456789:respawn:/usr/sbin/cron\n",
        "init:2:initdefault:\n"
        "brc::sysinit:/sbin/rc.boot 3 >/dev/console 2>&1 # Phase 3 of system boot\n"
        "rc:23456789:wait:/etc/rc 2>&1 | alog -tboot > /dev/console # Multi-User checks\n"
        "srcmstr:23456789:respawn:/usr/sbin/srcmstr # System Resource Controller\n"
        "rctcpip:23456789:wait:/etc/rc.tcpip > /dev/console 2>&1 # Start TCP/IP daemons\n"
        "cron:23456789:respawn:/usr/sbin/cron\n"
        "clcomd:23456789:once:/usr/bin/startsrc -s clcomd\n",
    ),
    "/etc/services": (
        "ftp             21/tcp\nssh             22/tcp\ntelnet          23/tcp\n",
        "ftp             21/tcp\nssh             22/tcp\ntelnet          23/tcp\n"
        "rsync           873/tcp\n",
    ),
}


def _before_after(path: str) -> tuple[str, str]:
    generic = f"# {path}\n"
    return _BEFORE_AFTER.get(path, (generic, generic + "# changed by the update\n"))


def watched_files(check_config_files: str) -> list[str]:
    """The paths in /etc/check_config.files (`s PATH` or `d PATH` lines)."""
    paths = []
    for line in check_config_files.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] in ("s", "d"):
            paths.append(words[1])
    return paths


def render_config_diff(changed: list[str], before: datetime, after: datetime) -> str:
    parts = []
    for path in changed:
        old, new = _before_after(path)
        parts.append(f"File {path} has been modified.\n")
        parts.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"{path} (saved {before:%m/%d/%Y-%H:%M:%S})",
                tofile=f"{path} ({after:%m/%d/%Y-%H:%M:%S})",
            )
        )
        parts.append("\n")
    return "".join(parts)
