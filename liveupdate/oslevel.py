"""`oslevel -s`: the AIX level, e.g. `7300-02-02-2420` (version, technology level, service
pack, build year and week). `oslevel -r` (`7300-02`) and plain `oslevel` (`7.3.0.0`) are read
too, with the parts they lack left empty.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from liveupdate.text import KeptLine, output_lines

_LEVEL = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2})(?:-(\d{4}))?)?$")
_BASE = re.compile(r"^(\d)\.(\d)\.\d+\.\d+$")


class OsLevel(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: str | None
    """The level as printed."""
    version: str | None
    """`7300` for AIX 7.3."""
    technology_level: int | None
    service_pack: int | None
    build: str | None
    """Year and week of the build, `2420`."""
    unknown_lines: tuple[KeptLine, ...] = ()

    @property
    def release(self) -> str | None:
        """`7.3` for version `7300`."""
        return f"{self.version[0]}.{self.version[1]}" if self.version else None


def parse_oslevel(text: str) -> OsLevel:
    """The first level printed by `oslevel` in the text."""
    unknown: list[KeptLine] = []
    found: OsLevel | None = None
    for number, line in output_lines(text, {"oslevel"}):
        value = line.strip()
        level, base = _LEVEL.match(value), _BASE.match(value)
        if found is None and level:
            found = OsLevel(
                level=value,
                version=level[1],
                technology_level=int(level[2]),
                service_pack=int(level[3]) if level[3] else None,
                build=level[4],
            )
        elif found is None and base:
            found = OsLevel(
                level=value,
                version=f"{base[1]}{base[2]}00",
                technology_level=None,
                service_pack=None,
                build=None,
            )
        elif value:
            unknown.append(KeptLine(line=number, text=line))
    if found is None:
        found = OsLevel(
            level=None, version=None, technology_level=None, service_pack=None, build=None
        )
    return found.model_copy(update={"unknown_lines": tuple(unknown)})
