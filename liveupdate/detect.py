"""Which AIX output a text is, and the parser for each kind.

Every parser reads any text without raising, so a kind is recognised by how much of the text
its parser explains (phases, stanzas, hunks, processes, fields...), not by trying and failing.
The kind that explains most wins; ties go to the earlier kind in `KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

from pydantic import BaseModel

from liveupdate.configdiff import ConfigDiff, parse_config_diff
from liveupdate.emgr import EmgrList, parse_emgr_list
from liveupdate.genld import GenldReport, parse_genld
from liveupdate.hmcauth import HmcAuth, parse_hmcauth
from liveupdate.llu import LluPreview, LluReport, parse_llvupdate_preview, parse_llvupdate_report
from liveupdate.lparstat import KNOWN_LABELS, LparStat, parse_lparstat
from liveupdate.lvcheck import KNOWN_STANZAS
from liveupdate.lvdata import LvUpdateData, parse_lvupdate_data
from liveupdate.lvlog import LiveUpdateSummary, summarise_lvupdate_log
from liveupdate.oslevel import OsLevel, parse_oslevel
from liveupdate.text import output_lines

Kind = Literal[
    "lvupdate-log",
    "lvupdate-data",
    "config-diff",
    "llvupdate-preview",
    "llvupdate-report",
    "genld",
    "lparstat",
    "oslevel",
    "emgr",
    "hmcauth",
]
KINDS: tuple[Kind, ...] = get_args(Kind)

PARSERS: dict[Kind, Callable[[str], BaseModel]] = {
    "lvupdate-log": summarise_lvupdate_log,
    "lvupdate-data": parse_lvupdate_data,
    "config-diff": parse_config_diff,
    "llvupdate-preview": parse_llvupdate_preview,
    "llvupdate-report": parse_llvupdate_report,
    "genld": parse_genld,
    "lparstat": parse_lparstat,
    "oslevel": parse_oslevel,
    "emgr": parse_emgr_list,
    "hmcauth": parse_hmcauth,
}


def parse_as(kind: Kind, text: str) -> BaseModel:
    """Read `text` as output of the given kind."""
    return PARSERS[kind](text)


def evidence(parsed: BaseModel) -> int:
    """How many things in the text this reading recognised (0: it is not this kind)."""
    if isinstance(parsed, LiveUpdateSummary):
        return (
            len(parsed.phases)
            + 2 * len(parsed.errors)
            + int(parsed.point_of_no_return_passed)
            + len(parsed.modified_files)
        )
    if isinstance(parsed, LvUpdateData):
        return sum(
            1
            for line in parsed.lines
            if (line.kind == "stanza" and line.name in KNOWN_STANZAS)
            or (
                line.kind == "entry"
                and line.stanza in KNOWN_STANZAS
                and line.name in KNOWN_STANZAS[line.stanza].keys
            )
        )
    if isinstance(parsed, ConfigDiff):
        # Only hunks count: a line naming a file alone (the trailer of a live update log
        # says "File /etc/inittab has been modified.") does not make a diff.
        return sum(f.hunks + f.added + f.removed for f in parsed.files if f.hunks)
    if isinstance(parsed, LluReport):
        return 2 * sum(1 for p in parsed.processes if p.outcome != "unknown")
    if isinstance(parsed, LluPreview):
        return sum(1 + len(p.libraries) for p in parsed.processes) + 2 * parsed.none_required
    if isinstance(parsed, GenldReport):
        return 2 * len(parsed.processes)
    if isinstance(parsed, LparStat):
        return sum(1 for label in parsed.fields if label in KNOWN_LABELS)
    if isinstance(parsed, OsLevel):
        return int(parsed.level is not None)
    if isinstance(parsed, EmgrList):
        return 2 * len(parsed.fixes) + 2 * parsed.no_fixes
    if isinstance(parsed, HmcAuth):
        return sum(
            (t.address is not None) + (t.user is not None) + (t.port is not None)
            for t in parsed.tokens
        )
    raise TypeError(f"no evidence rule for {type(parsed).__name__}")


def detect(text: str) -> tuple[Kind, BaseModel] | None:
    """The kind of output `text` is, with its reading; None when no kind fits."""
    best: tuple[int, Kind, BaseModel] | None = None
    for kind in KINDS:
        parsed = parse_as(kind, text)
        found = evidence(parsed)
        if found and (best is None or found > best[0]):
            best = (found, kind, parsed)
    return (best[1], best[2]) if best else None


def fits(kind: Kind, text: str, parsed: BaseModel) -> bool:
    """True when `text` reads as `kind`. Empty `hmcauth -l` output fits: it means no token."""
    if evidence(parsed):
        return True
    return kind == "hmcauth" and not any(line.strip() for _, line in output_lines(text))
