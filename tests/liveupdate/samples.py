"""The real captured samples (tests/fixtures/) and variants built from them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

_STAMP = re.compile(r"^(\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d)")
_FORMAT = "%m/%d/%Y-%H:%M:%S"


@cache
def sample(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def success_lines() -> list[str]:
    """The real successful live kernel update log, line by line."""
    return sample("lku-success-1.log").splitlines()


def verbose_log(total: int = 100_000) -> str:
    """The real successful run with installp's own lines in the middle, `total` lines in all,
    as a verbose `geninstall -k` of many filesets prints them."""
    lines = success_lines()
    verbose = [
        f"installp: APPLYING software for: bos.rte.{n} 7.3.3.0" for n in range(total - len(lines))
    ]
    return "\n".join([*lines[:20], *verbose, *lines[20:]])


def shifted(lines: list[str], start: datetime) -> list[str]:
    """The same log with every timestamp moved so that the first one is `start`."""
    first = datetime.strptime(_STAMP.match(lines[0])[1], _FORMAT)  # type: ignore[index]
    delta: timedelta = start - first

    def move(line: str) -> str:
        match = _STAMP.match(line)
        if not match:
            return line
        moved = datetime.strptime(match[1], _FORMAT) + delta
        return moved.strftime(_FORMAT) + line[match.end() :]

    return [move(line) for line in lines]


def line_index(lines: list[str], text: str) -> int:
    """The position of the first line that contains `text`."""
    return next(n for n, line in enumerate(lines) if text in line)
