"""Failures a test asks for: a storm of 429s on a method for a while, or an error answer for
the next few calls. Pure: times are Slack seconds passed in by the caller."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

ALL_METHODS = "*"


@dataclass(frozen=True)
class InjectedError:
    error: str
    status: int = 200


class Faults:
    def __init__(self) -> None:
        self._storms: dict[str, float] = {}
        self._errors: dict[str, deque[InjectedError]] = {}

    def start_storm(self, method: str, seconds: float, now: float) -> None:
        """Answer every call of `method` ("*": of every method) with 429 until now + seconds."""
        self._storms[method] = max(self._storms.get(method, now), now + seconds)

    def storm_left(self, method: str, now: float) -> float | None:
        """Slack seconds left in a storm covering `method`, or None when there is none."""
        ends = [self._storms.get(m, now) for m in (method, ALL_METHODS)]
        left = max(ends) - now
        return left if left > 0 else None

    def add_errors(self, method: str, error: InjectedError, count: int) -> None:
        self._errors.setdefault(method, deque()).extend([error] * count)

    def take_error(self, method: str) -> InjectedError | None:
        """The error the next call of `method` must answer with, if one is queued."""
        for key in (method, ALL_METHODS):
            queued = self._errors.get(key)
            if queued:
                return queued.popleft()
        return None
