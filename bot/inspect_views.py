"""The JSON that `lkubot inspect --json` and `lkubot check-config --json` print.

One model per kind, holding exactly the fields the command promises (README, "Reading AIX
output"); scripts depend on these names, so change them only compatibly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from liveupdate.configdiff import ConfigDiff
from liveupdate.emgr import EmgrList
from liveupdate.genld import GenldReport
from liveupdate.hmcauth import HmcAuth
from liveupdate.llu import LluPreview, LluReport, Outcome
from liveupdate.lparstat import LparStat
from liveupdate.lvcheck import Finding, Severity, check_lvupdate_data
from liveupdate.lvdata import LvUpdateData
from liveupdate.lvlog import LiveUpdateSummary, RunStatus
from liveupdate.oslevel import OsLevel


class PhaseView(BaseModel):
    message: str
    started_at: datetime
    seconds: int | None


class ErrorView(BaseModel):
    code: str
    message: str


class LvUpdateLogView(BaseModel):
    kind: Literal["lvupdate-log"] = "lvupdate-log"
    status: RunStatus
    blackout_seconds: int | None
    total_seconds: int | None
    reported_total_seconds: int | None
    point_of_no_return_passed: bool
    phases: list[PhaseView]
    errors: list[ErrorView]
    modified_files: list[str]


class FindingView(BaseModel):
    severity: Severity
    line: int | None
    message: str


class LvUpdateDataView(BaseModel):
    kind: Literal["lvupdate-data"] = "lvupdate-data"
    stanzas: dict[str, dict[str, str]]
    findings: list[FindingView]


class FileView(BaseModel):
    path: str | None
    added: int
    removed: int


class ConfigDiffView(BaseModel):
    kind: Literal["config-diff"] = "config-diff"
    files: list[FileView]


class LluProcessView(BaseModel):
    pid: int
    libraries: list[str]


class LluPreviewView(BaseModel):
    kind: Literal["llvupdate-preview"] = "llvupdate-preview"
    processes: list[LluProcessView]


class LluResultView(BaseModel):
    pid: int
    outcome: Outcome


class LluReportView(BaseModel):
    kind: Literal["llvupdate-report"] = "llvupdate-report"
    processes: list[LluResultView]


class GenldProcessView(BaseModel):
    pid: int
    name: str


class GenldView(BaseModel):
    kind: Literal["genld"] = "genld"
    processes: list[GenldProcessView]


class LparStatView(BaseModel):
    kind: Literal["lparstat"] = "lparstat"
    fields: dict[str, str]


class OsLevelView(BaseModel):
    kind: Literal["oslevel"] = "oslevel"
    version: str | None
    technology_level: int | None
    service_pack: int | None
    build: str | None


class FixView(BaseModel):
    id: int
    state: str
    label: str
    reboot_required: bool


class EmgrView(BaseModel):
    kind: Literal["emgr"] = "emgr"
    fixes: list[FixView]


class HmcAuthView(BaseModel):
    kind: Literal["hmcauth"] = "hmcauth"
    authenticated: bool
    address: str | None
    user: str | None
    port: int | None


class CheckedFindingView(FindingView):
    stanza: str | None
    key: str | None


class CheckConfigView(BaseModel):
    """`lkubot check-config --json`."""

    file: str
    errors: int
    warnings: int
    findings: list[CheckedFindingView]


def _log_view(summary: LiveUpdateSummary) -> LvUpdateLogView:
    return LvUpdateLogView(
        status=summary.status,
        blackout_seconds=summary.blackout_seconds,
        total_seconds=summary.total_seconds,
        reported_total_seconds=summary.reported_total_seconds,
        point_of_no_return_passed=summary.point_of_no_return_passed,
        phases=[
            PhaseView(message=p.message, started_at=p.started_at, seconds=p.seconds)
            for p in summary.phases
        ],
        errors=[ErrorView(code=e.code, message=e.message) for e in summary.errors],
        modified_files=list(summary.modified_files),
    )


def _data_view(data: LvUpdateData) -> LvUpdateDataView:
    return LvUpdateDataView(
        stanzas=data.stanzas(),
        findings=[
            FindingView(severity=f.severity, line=f.line, message=f.message)
            for f in check_lvupdate_data(data)
        ],
    )


def to_view(parsed: BaseModel) -> BaseModel:
    """The promised JSON fields of a reading (the result of one of `liveupdate.detect.PARSERS`)."""
    if isinstance(parsed, LiveUpdateSummary):
        return _log_view(parsed)
    if isinstance(parsed, LvUpdateData):
        return _data_view(parsed)
    if isinstance(parsed, ConfigDiff):
        return ConfigDiffView(
            files=[FileView(path=f.path, added=f.added, removed=f.removed) for f in parsed.files]
        )
    if isinstance(parsed, LluPreview):
        return LluPreviewView(
            processes=[
                LluProcessView(pid=p.pid, libraries=list(p.libraries)) for p in parsed.processes
            ]
        )
    if isinstance(parsed, LluReport):
        return LluReportView(
            processes=[LluResultView(pid=p.pid, outcome=p.outcome) for p in parsed.processes]
        )
    if isinstance(parsed, GenldReport):
        return GenldView(
            processes=[GenldProcessView(pid=p.pid, name=p.name) for p in parsed.processes]
        )
    if isinstance(parsed, LparStat):
        return LparStatView(fields=parsed.fields)
    if isinstance(parsed, OsLevel):
        return OsLevelView(
            version=parsed.version,
            technology_level=parsed.technology_level,
            service_pack=parsed.service_pack,
            build=parsed.build,
        )
    if isinstance(parsed, EmgrList):
        return EmgrView(
            fixes=[
                FixView(id=f.id, state=f.state, label=f.label, reboot_required=f.reboot_required)
                for f in parsed.fixes
            ]
        )
    if isinstance(parsed, HmcAuth):
        first = parsed.first
        return HmcAuthView(
            authenticated=parsed.authenticated,
            address=first.address,
            user=first.user,
            port=first.port,
        )
    raise TypeError(f"no JSON view for a {type(parsed).__name__}")


def check_config_view(file: str, findings: list[Finding]) -> CheckConfigView:
    return CheckConfigView(
        file=file,
        errors=sum(f.severity == "error" for f in findings),
        warnings=sum(f.severity == "warning" for f in findings),
        findings=[
            CheckedFindingView(
                severity=f.severity, line=f.line, stanza=f.stanza, key=f.key, message=f.message
            )
            for f in findings
        ],
    )
