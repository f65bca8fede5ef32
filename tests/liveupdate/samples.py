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
