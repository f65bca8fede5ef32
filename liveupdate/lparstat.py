"""`lparstat -i`: the partition's configuration, label by label.

Lines are `Label<padded>: value` (`Maximum Virtual CPUs                       : 8`), also as
`grep` prints them without padding (`Maximum Virtual CPUs :8`). A live kernel update can change
the CPU and memory limits (clone_from_hmc_profile); `compare_lparstat` says which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from liveupdate.text import KeptLine, output_lines

_FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 ./()%-]{0,60}?)\s*:\s*(.*)$")
_MEMORY = re.compile(r"^(\d+)\s*(MB|GB|TB)?$", re.IGNORECASE)
_UNIT_MB = {"MB": 1, "GB": 1024, "TB": 1024 * 1024}
_PROGRAMS = frozenset({"lparstat", "grep", "egrep", "cat", "more", "pg"})

ONLINE_VIRTUAL_CPUS = "Online Virtual CPUs"
MAXIMUM_VIRTUAL_CPUS = "Maximum Virtual CPUs"
MINIMUM_VIRTUAL_CPUS = "Minimum Virtual CPUs"
DESIRED_VIRTUAL_CPUS = "Desired Virtual CPUs"
ENTITLED_CAPACITY = "Entitled Capacity"
MINIMUM_CAPACITY = "Minimum Capacity"
MAXIMUM_CAPACITY = "Maximum Capacity"
ONLINE_MEMORY = "Online Memory"
MAXIMUM_MEMORY = "Maximum Memory"
MINIMUM_MEMORY = "Minimum Memory"
DESIRED_MEMORY = "Desired Memory"
PARTITION_NUMBER = "Partition Number"

LIMIT_LABELS: tuple[str, ...] = (
    ONLINE_VIRTUAL_CPUS,
    MAXIMUM_VIRTUAL_CPUS,
    MINIMUM_VIRTUAL_CPUS,
    DESIRED_VIRTUAL_CPUS,
    ENTITLED_CAPACITY,
    MINIMUM_CAPACITY,
    MAXIMUM_CAPACITY,
    ONLINE_MEMORY,
    MAXIMUM_MEMORY,
    MINIMUM_MEMORY,
    DESIRED_MEMORY,
)
"""The CPU and memory limits a run summary compares before and after an update."""

KNOWN_LABELS: frozenset[str] = frozenset(
    {"Node Name", "Partition Name", PARTITION_NUMBER, "Type", "Mode", *LIMIT_LABELS}
)
"""Labels that only `lparstat -i` prints together; used to recognise its output."""


class FieldChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    before: str | None
    after: str | None

    def describe(self) -> str:
        """ "Maximum Virtual CPUs 8 -> 10"."""
        return f"{self.label} {self.before or '(none)'} -> {self.after or '(none)'}"


class LparStat(BaseModel):
    """Every label and value of `lparstat -i`, as printed, with typed accessors for limits."""

    model_config = ConfigDict(frozen=True)

    fields: dict[str, str]
    unknown_lines: tuple[KeptLine, ...] = ()

    def text(self, label: str) -> str | None:
        """The value as printed; None when absent or printed as `-`."""
        value = self.fields.get(label)
        return None if value in (None, "", "-") else value

    def integer(self, label: str) -> int | None:
        value = self.text(label)
        return int(value) if value is not None and value.isdigit() else None

    def number(self, label: str) -> float | None:
        value = self.text(label)
        try:
            return float(value.rstrip("%")) if value is not None else None
        except ValueError:
            return None

    def megabytes(self, label: str) -> int | None:
        value = self.text(label)
        match = _MEMORY.match(value) if value is not None else None
        if match is None:
            return None
        return int(match[1]) * _UNIT_MB[(match[2] or "MB").upper()]

    @property
    def partition_number(self) -> int | None:
        return self.integer(PARTITION_NUMBER)

    @property
    def online_virtual_cpus(self) -> int | None:
        return self.integer(ONLINE_VIRTUAL_CPUS)

    @property
    def maximum_virtual_cpus(self) -> int | None:
        return self.integer(MAXIMUM_VIRTUAL_CPUS)

    @property
    def minimum_virtual_cpus(self) -> int | None:
        return self.integer(MINIMUM_VIRTUAL_CPUS)

    @property
    def entitled_capacity(self) -> float | None:
        return self.number(ENTITLED_CAPACITY)

    @property
    def minimum_capacity(self) -> float | None:
        return self.number(MINIMUM_CAPACITY)

    @property
    def maximum_capacity(self) -> float | None:
        return self.number(MAXIMUM_CAPACITY)

    @property
    def online_memory_mb(self) -> int | None:
        return self.megabytes(ONLINE_MEMORY)

    @property
    def maximum_memory_mb(self) -> int | None:
        return self.megabytes(MAXIMUM_MEMORY)

    @property
    def minimum_memory_mb(self) -> int | None:
        return self.megabytes(MINIMUM_MEMORY)


def parse_lparstat(text: str) -> LparStat:
    """Labels and values of `lparstat -i` in the order printed (the first of a repeated label)."""
    fields: dict[str, str] = {}
    unknown: list[KeptLine] = []
    for number, line in output_lines(text, _PROGRAMS):
        match = _FIELD.match(line)
        if match:
            fields.setdefault(" ".join(match[1].split()), match[2].strip())
        elif line.strip():
            unknown.append(KeptLine(line=number, text=line))
    return LparStat(fields=fields, unknown_lines=tuple(unknown))


def compare_lparstat(
    before: LparStat, after: LparStat, labels: Iterable[str] | None = LIMIT_LABELS
) -> list[FieldChange]:
    """The fields whose printed value differs; `labels=None` compares every label."""
    if labels is None:
        labels = list(dict.fromkeys([*before.fields, *after.fields]))
    changes = []
    for label in labels:
        old, new = before.fields.get(label), after.fields.get(label)
        if _normalised(old) != _normalised(new):
            changes.append(FieldChange(label=label, before=old, after=new))
    return changes


def _normalised(value: str | None) -> str | None:
    return " ".join(value.split()) if value is not None else None
