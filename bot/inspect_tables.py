"""The readable form of `lkubot inspect`: rich tables, one layout per kind.

Text from the inspected file goes into `Text` objects, never into markup, so a `[general]`
in a paste is printed as written.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from liveupdate.configdiff import ConfigDiff
from liveupdate.emgr import EmgrList
from liveupdate.genld import GenldReport
from liveupdate.hmcauth import HmcAuth
from liveupdate.llu import LluPreview, LluReport
from liveupdate.lparstat import LparStat
from liveupdate.lvcheck import Finding, check_lvupdate_data
from liveupdate.lvdata import LvUpdateData
from liveupdate.lvlog import LiveUpdateSummary
from liveupdate.oslevel import OsLevel
from liveupdate.text import KeptLine

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column)
    return table


def _cells(*values: object) -> list[Text]:
    return [Text("" if value is None else str(value)) for value in values]


def _pairs(title: str, pairs: Iterable[tuple[str, object]]) -> Table:
    table = _table(title, "field", "value")
    for label, value in pairs:
        table.add_row(*_cells(label, "-" if value is None else value))
    return table


def _unknown(lines: Iterable[KeptLine]) -> list[RenderableType]:
    kept = list(lines)
    if not kept:
        return []
    table = _table("Lines not understood (kept as they were)", "line", "text")
    for line in kept:
        table.add_row(*_cells(line.line, line.text))
    return [table]


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}h {minute:02d}m {second:02d}s" if hours else f"{minute}m {second:02d}s"


def findings_table(findings: list[Finding]) -> Table:
    table = _table("Findings", "line", "severity", "where", "what to do")
    for finding in findings:
        where = ":".join(part for part in (finding.stanza, finding.key) if part)
        severity = Text(finding.severity, style=_SEVERITY_STYLE[finding.severity])
        line = "-" if finding.line is None else finding.line
        table.add_row(Text(str(line)), severity, Text(where), Text(finding.message))
    return table


def _log(summary: LiveUpdateSummary) -> list[RenderableType]:
    head = _pairs(
        "Live update",
        [
            ("status", summary.status),
            ("point of no return passed", "yes" if summary.point_of_no_return_passed else "no"),
            ("blackout", _duration(summary.blackout_seconds)),
            ("total (measured)", _duration(summary.total_seconds)),
            ("total (reported by AIX)", _duration(summary.reported_total_seconds)),
            ("modified files", ", ".join(summary.modified_files) or "-"),
        ],
    )
    phases = _table("Phases", "n", "started", "took", "message")
    for phase in summary.phases:
        number = f"{phase.index}/{summary.total_phases}" if phase.index else "?"
        row = _cells(number, phase.started_at.isoformat(sep=" "), _duration(phase.seconds))
        style = "bold magenta" if phase.blackout else ""
        phases.add_row(*row, Text(phase.message, style=style))
    parts: list[RenderableType] = [head, phases]
    if summary.errors:
        errors = _table("Errors", "code", "message", "advice")
        for error in summary.errors:
            errors.add_row(*_cells(error.code, error.message, "\n".join(error.advice)))
        parts.append(errors)
    return parts + _unknown(KeptLine(line=n, text=text) for n, text in summary.unknown_lines)


def _data(data: LvUpdateData) -> list[RenderableType]:
    table = _table("lvupdate.data (as AIX reads it)", "stanza", "key", "value")
    for stanza, values in data.stanzas().items():
        if not values:
            table.add_row(*_cells(stanza, "", ""))
        for key, value in values.items():
            table.add_row(*_cells(stanza, key, value))
    return [table, findings_table(check_lvupdate_data(data))]


def _diff(diff: ConfigDiff) -> list[RenderableType]:
    table = _table("config.diff", "file", "added", "removed", "first changes")
    for change in diff.files:
        sample = "\n".join(change.sample)
        table.add_row(*_cells(change.path or "?", change.added, change.removed, sample))
    return [table, *_unknown(diff.unknown_lines)]


def _llu_preview(preview: LluPreview) -> list[RenderableType]:
    if preview.none_required and not preview.processes:
        return [Text("No process requires a live library update.")]
    table = _table("Live library update preview", "pid", "libraries")
    for process in preview.processes:
        table.add_row(*_cells(process.pid, "\n".join(process.libraries)))
    return [table, *_unknown(preview.unknown_lines)]


def _llu_report(report: LluReport) -> list[RenderableType]:
    table = _table("Live library update", "pid", "outcome", "detail")
    for result in report.processes:
        table.add_row(*_cells(result.pid, result.outcome, result.detail))
    return [table, *_unknown(report.unknown_lines)]


def _genld(report: GenldReport) -> list[RenderableType]:
    table = _table("Processes still running old objects (genld -u)", "pid", "name")
    for process in report.processes:
        table.add_row(*_cells(process.pid, process.name))
    return [table, *_unknown(report.unknown_lines)]


def _lparstat(stat: LparStat) -> list[RenderableType]:
    return [_pairs("lparstat -i", stat.fields.items()), *_unknown(stat.unknown_lines)]


def _oslevel(level: OsLevel) -> list[RenderableType]:
    return [
        _pairs(
            "oslevel",
            [
                ("level", level.level),
                ("release", level.release),
                ("technology level", level.technology_level),
                ("service pack", level.service_pack),
                ("build", level.build),
            ],
        ),
        *_unknown(level.unknown_lines),
    ]


def _emgr(fixes: EmgrList) -> list[RenderableType]:
    table = _table("Interim fixes", "id", "state", "label", "installed", "reboot", "abstract")
    for fix in fixes.fixes:
        installed = fix.installed_at.isoformat(sep=" ") if fix.installed_at else None
        reboot = Text("REBOOT REQUIRED", style="bold red") if fix.reboot_required else Text("")
        row = _cells(fix.id, f"{fix.state} ({fix.state_name})", fix.label, installed)
        table.add_row(*row, reboot, Text(fix.abstract))
    return [table, *_unknown(fixes.unknown_lines)]


def _hmcauth(auth: HmcAuth) -> list[RenderableType]:
    if not auth.authenticated:
        return [Text("No HMC token: run hmcauth on the LPAR before a live kernel update.")]
    table = _table("HMC tokens", "address", "user", "port")
    for token in auth.tokens:
        table.add_row(*_cells(token.address, token.user, token.port))
    return [table, *_unknown(auth.unknown_lines)]


def render(parsed: BaseModel) -> list[RenderableType]:
    """What to print for a reading (the result of one of `liveupdate.detect.PARSERS`)."""
    if isinstance(parsed, LiveUpdateSummary):
        return _log(parsed)
    if isinstance(parsed, LvUpdateData):
        return _data(parsed)
    if isinstance(parsed, ConfigDiff):
        return _diff(parsed)
    if isinstance(parsed, LluReport):
        return _llu_report(parsed)
    if isinstance(parsed, LluPreview):
        return _llu_preview(parsed)
    if isinstance(parsed, GenldReport):
        return _genld(parsed)
    if isinstance(parsed, LparStat):
        return _lparstat(parsed)
    if isinstance(parsed, OsLevel):
        return _oslevel(parsed)
    if isinstance(parsed, EmgrList):
        return _emgr(parsed)
    if isinstance(parsed, HmcAuth):
        return _hmcauth(parsed)
    raise TypeError(f"no table for a {type(parsed).__name__}")
