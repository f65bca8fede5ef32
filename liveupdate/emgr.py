"""`emgr -l`: the interim fixes installed, from its fixed-width table.

    ID  STATE LABEL      INSTALL TIME      UPDATED BY ABSTRACT
    === ===== ========== ================= ========== ======================================
    1    S    81112ma    02/01/25 08:46:29            ifix for openssh Jan CVEs

A state with `Q` (shown `*Q*`) means the fix needs a reboot: live update refuses to run until
it has had one. The `===` row gives the column widths; a paste that lost the alignment is
still read, with the UPDATED BY column then left empty (it cannot be told from the abstract).
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from liveupdate.text import KeptLine, output_lines

_ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\d\d/\d\d/\d\d \d\d:\d\d:\d\d)(?:\s+(.*))?$")
_SEPARATOR = re.compile(r"^=+(?:\s+=+)+$")
_HEADER = re.compile(r"^\s*ID\s+STATE\s+LABEL\b")
_NO_FIXES = re.compile(r"^There is no efix data on this system\.?$", re.IGNORECASE)

STATES = {
    "S": "stable",
    "M": "mounted",
    "U": "unmounted",
    "Q": "reboot required",
    "B": "broken",
    "I": "installing",
    "R": "removing",
    "T": "testing",
    "P": "patched",
    "N": "not patched",
    "SP": "stable and patched",
    "SN": "stable, not patched",
    "QP": "reboot required, patched",
    "QN": "reboot required, not patched",
    "RQ": "removal needs a reboot",
}
"""emgr's state codes, for display."""


class InterimFix(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    state: str
    """As printed, e.g. `S` or `*Q*`."""
    label: str
    installed_at: datetime | None
    updated_by: str | None
    abstract: str

    @property
    def reboot_required(self) -> bool:
        return "Q" in self.state

    @property
    def state_name(self) -> str:
        return STATES.get(self.state.strip("*"), self.state)


class EmgrList(BaseModel):
    model_config = ConfigDict(frozen=True)

    fixes: tuple[InterimFix, ...]
    no_fixes: bool
    """emgr said "There is no efix data on this system."."""
    unknown_lines: tuple[KeptLine, ...] = ()

    @property
    def reboot_required(self) -> bool:
        return any(fix.reboot_required for fix in self.fixes)


def _columns(separator: str) -> list[tuple[int, int]]:
    return [(match.start(), match.end()) for match in re.finditer(r"=+", separator)]


def _installed(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, "%m/%d/%y %H:%M:%S")
    except ValueError:
        return None


def _fix(line: str, match: re.Match[str], columns: list[tuple[int, int]]) -> InterimFix:
    rest = (match[5] or "").strip()
    updated_by: str | None = None
    # With the table's alignment intact, UPDATED BY and ABSTRACT are told apart by column.
    if len(columns) >= 6 and line[columns[3][0] : columns[3][1]] == match[4]:
        updated_by = line[columns[4][0] : columns[5][0]].strip() or None
        rest = line[columns[5][0] :].strip()
    return InterimFix(
        id=int(match[1]),
        state=match[2],
        label=match[3],
        installed_at=_installed(match[4]),
        updated_by=updated_by,
        abstract=rest,
    )


def parse_emgr_list(text: str) -> EmgrList:
    """Every interim fix in the table, in order."""
    fixes: list[InterimFix] = []
    unknown: list[KeptLine] = []
    columns: list[tuple[int, int]] = []
    no_fixes = False
    for number, line in output_lines(text, {"emgr"}):
        row = _ROW.match(line)
        if row:
            fixes.append(_fix(line, row, columns))
        elif _SEPARATOR.match(line.strip()):
            columns = _columns(line)
        elif _NO_FIXES.match(line.strip()):
            no_fixes = True
        elif line.strip() and not _HEADER.match(line):
            unknown.append(KeptLine(line=number, text=line))
    return EmgrList(fixes=tuple(fixes), no_fixes=no_fixes, unknown_lines=tuple(unknown))
