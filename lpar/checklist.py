"""The pre-stage checklist: each item's verdict from what one command printed.

Pure: `lpar.preview` reads the LPAR and hands each output here as a `Reading`; every function
returns `CheckItem`s whose summary says what was found and, when it is not a pass, what to do.
The evidence is the command and its output, folded away on the Slack card.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from liveupdate.checks import CheckItem, CheckStatus, PreviewOutcome, UpdateKind
from liveupdate.emgr import parse_emgr_list
from liveupdate.genld import parse_genld
from liveupdate.hmcauth import parse_hmcauth
from liveupdate.llu import parse_llvupdate_preview
from liveupdate.lspv import parse_lspv
from liveupdate.lvcheck import Finding, check_lvupdate_text
from liveupdate.lvdata import parse_lvupdate_data
from liveupdate.lvlog import summarise_lvupdate_log
from liveupdate.oslevel import parse_oslevel
from liveupdate.phases import PHASES

EVIDENCE_LIMIT = 20_000
"""Characters of output kept as one item's evidence; the preview's own output is kept whole
in `PreviewResult.raw_output`."""
_SUMMARY_LIMIT = 480
_LLU_MODE = re.compile(r"\bllu_mode\s*=\s*(\d)\b")
PREVIEW_SUCCEEDED = PHASES[0].message
"""`The live update preview succeeded.`: geninstall -k -p's verdict line."""


class Reading(BaseModel):
    """One command's result as the checklist sees it; `error` when it gave none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str
    exit_status: int | None = None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    """Why there is no exit status (unreachable, dropped, timed out), as a sentence."""

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    @property
    def output(self) -> str:
        return self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr

    @property
    def evidence(self) -> str:
        said = self.error if self.error is not None else self.output
        if self.error is None and self.exit_status not in (0, None):
            said = f"{said.rstrip()}\n(exit status {self.exit_status})"
        text = f"$ {self.command}\n{said}"
        return text if len(text) <= EVIDENCE_LIMIT else text[:EVIDENCE_LIMIT] + "\n[...]"

    def last_line(self) -> str:
        lines = self.output.strip().splitlines()
        return lines[-1].strip() if lines else "no output"

    def failure(self) -> str:
        """Why this command gave nothing usable, in a few words."""
        if self.error is not None:
            return self.error
        return f"`{self.command}` exited with status {self.exit_status}: {self.last_line()}"


def one_line(text: str) -> str:
    """A summary fit for `CheckItem.summary`: one line, bounded."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _SUMMARY_LIMIT else flat[: _SUMMARY_LIMIT - 3] + "..."


def _item(
    key: str, title: str, status: CheckStatus, summary: str, *readings: Reading, extra: str = ""
) -> CheckItem:
    evidence = "\n\n".join([*(r.evidence for r in readings), *([extra] if extra else [])])
    return CheckItem(
        key=key, title=title, status=status, summary=one_line(summary), evidence=evidence
    )


def check_connection(lpar: str, error: str) -> CheckItem:
    """The LPAR could not be reached at all: the one item of its checklist."""
    return CheckItem(
        key="connection",
        title="SSH connection",
        status=CheckStatus.FAIL,
        summary=one_line(error),
        evidence=f"{lpar}: {error}",
    )


def check_pre_command(index: int, reading: Reading) -> CheckItem:
    """An inventory pre command: it passes when it exits 0."""
    if reading.ok:
        return _item(f"pre.{index}", reading.command, CheckStatus.PASS, "exit 0", reading)
    return _item(f"pre.{index}", reading.command, CheckStatus.FAIL, reading.failure(), reading)


def check_oslevel(reading: Reading) -> tuple[CheckItem, str]:
    """The AIX level, and the level as text for the fingerprint ("" when unreadable)."""
    level = parse_oslevel(reading.stdout).level if reading.ok else None
    if level is None:
        why = reading.failure() if not reading.ok else "it printed no AIX level"
        return _item("oslevel", "AIX level", CheckStatus.FAIL, why, reading), ""
    return _item("oslevel", "AIX level", CheckStatus.PASS, level, reading), level


def check_hmc_token(reading: Reading, lvupdate_data: str | None, hmc: str | None) -> CheckItem:
    """`hmcauth -l` against the `hmc:` stanza of lvupdate.data and the inventory's HMC."""
    title = "HMC token"
    if not reading.ok:
        return _item("hmc_token", title, CheckStatus.FAIL, reading.failure(), reading)
    tokens = parse_hmcauth(reading.stdout)
    wanted = parse_lvupdate_data(lvupdate_data).stanzas().get("hmc", {}) if lvupdate_data else {}
    console, user = wanted.get("management_console") or hmc, wanted.get("user")
    if not tokens.authenticated:
        return _item(
            "hmc_token",
            title,
            CheckStatus.FAIL,
            "No HMC token: geninstall -k would stop with 1430-246. Run "
            f"`hmcauth -u {user or 'USER'} -a {console or 'HMC'}` on the LPAR (the token is lost "
            "at every reboot).",
            reading,
        )
    token = next((t for t in tokens.tokens if t.address == console), tokens.first)
    if user and token.user != user:
        return _item(
            "hmc_token",
            title,
            CheckStatus.FAIL,
            f"The token is for user {token.user}, but lvupdate.data says user = {user}: AIX "
            f"would stop with 1430-246. Run `hmcauth -u {user} -a {token.address}`, or fix "
            "the hmc: stanza.",
            reading,
        )
    if console and token.address != console:
        return _item(
            "hmc_token",
            title,
            CheckStatus.WARN,
            f"The token is for {token.address}, but {console} is expected (lvupdate.data or "
            "the inventory): check which HMC manages this LPAR.",
            reading,
        )
    return _item("hmc_token", title, CheckStatus.PASS, f"{token.address} as {token.user}", reading)


def _finding_line(finding: Finding) -> str:
    where = f"line {finding.line}: " if finding.line is not None else ""
    return f"{finding.severity}: {where}{finding.message}"


def check_lvupdate_data(reading: Reading) -> CheckItem:
    """lvupdate.data as AIX would read it (`liveupdate.lvcheck`)."""
    title = "lvupdate.data"
    if not reading.ok:
        return _item("lvupdate_data", title, CheckStatus.FAIL, reading.failure(), reading)
    findings = check_lvupdate_text(reading.stdout)
    listed = "\n".join(_finding_line(f) for f in findings)
    for severity, status in (("error", CheckStatus.FAIL), ("warning", CheckStatus.WARN)):
        found = [f for f in findings if f.severity == severity]
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            return _item(
                "lvupdate_data",
                title,
                status,
                _finding_line(found[0]) + more,
                reading,
                extra=listed,
            )
    notes = f"; {len(findings)} note(s)" if findings else ""
    return _item(
        "lvupdate_data", title, CheckStatus.PASS, f"no problems found{notes}", reading, extra=listed
    )


def check_free_disks(lspv: Reading, lvupdate_data: str | None) -> CheckItem:
    """The disks lvupdate.data names for the surrogate (nhdisk) and the mirror (mhdisk) must
    exist and be in no volume group."""
    title = "Free disks"
    if not lspv.ok:
        return _item("free_disks", title, CheckStatus.FAIL, lspv.failure(), lspv)
    stanza = parse_lvupdate_data(lvupdate_data).stanzas().get("disks", {}) if lvupdate_data else {}
    named = [(key, disk) for key in ("nhdisk", "mhdisk") for disk in stanza.get(key, "").split()]
    if not named:
        return _item(
            "free_disks",
            title,
            CheckStatus.FAIL,
            "lvupdate.data names no nhdisk or mhdisk: name free disks (volume group None in "
            "lspv) for the surrogate and the mirror.",
            lspv,
        )
    volumes = parse_lspv(lspv.stdout)
    problems = []
    for key, name in named:
        disk = volumes.disk(name)
        if disk is None:
            problems.append(f"{name} ({key}) is not on this LPAR")
        elif not disk.free:
            problems.append(f"{name} ({key}) belongs to {disk.volume_group}")
    if problems:
        return _item(
            "free_disks",
            title,
            CheckStatus.FAIL,
            "; ".join(problems) + ": name free disks (volume group None in lspv) in lvupdate.data.",
            lspv,
        )
    free = ", ".join(f"{name} ({key})" for key, name in named)
    return _item("free_disks", title, CheckStatus.PASS, f"{free} free", lspv)


def check_efixes(reading: Reading, kind: UpdateKind) -> CheckItem:
    """Interim fixes waiting for a reboot (`*Q*`) stop a live kernel update."""
    title = "Interim fixes"
    if not reading.ok:
        return _item("efixes", title, CheckStatus.WARN, reading.failure(), reading)
    fixes = parse_emgr_list(reading.stdout).fixes
    pending = [fix.label for fix in fixes if fix.reboot_required]
    if pending:
        status = CheckStatus.FAIL if kind is UpdateKind.LKU else CheckStatus.WARN
        return _item(
            "efixes",
            title,
            status,
            f"{', '.join(pending)} need(s) a reboot (state *Q*): live update will not run "
            "until the LPAR has rebooted.",
            reading,
        )
    return _item(
        "efixes",
        title,
        CheckStatus.PASS,
        f"{len(fixes)} installed, none waiting for a reboot",
        reading,
    )


def check_llu_mode(reading: Reading, kind: UpdateKind, lvupdate_data: str | None) -> CheckItem:
    """`raso -o llu_mode`: 0 off, 1 every capable process, 2 processes that opt in."""
    title = "LLU mode"
    found = _LLU_MODE.search(reading.stdout) if reading.ok else None
    if found is None:
        status = CheckStatus.FAIL if kind is UpdateKind.LLU else CheckStatus.WARN
        why = reading.failure() if not reading.ok else "no llu_mode value printed"
        return _item("llu_mode", title, status, why, reading)
    mode = int(found[1])
    meaning = {0: "off", 1: "on for every capable process", 2: "on for processes that opt in"}
    summary = f"llu_mode = {mode} ({meaning.get(mode, 'unknown')})"
    wants_llu = kind is UpdateKind.LLU or (
        lvupdate_data is not None
        and (parse_lvupdate_data(lvupdate_data).value("llvupdate", "llu") or "") == "yes"
    )
    if mode == 0 and wants_llu:
        status = CheckStatus.FAIL if kind is UpdateKind.LLU else CheckStatus.WARN
        return _item(
            "llu_mode",
            title,
            status,
            f"{summary}: run `raso -po llu_mode=1`; processes become capable only after they "
            "restart with the mode on.",
            reading,
        )
    return _item("llu_mode", title, CheckStatus.PASS, summary, reading)


def check_genld(reading: Reading, kind: UpdateKind) -> CheckItem:
    """`genld -u`: processes still running old code."""
    title = "Processes on old code"
    if not reading.ok:
        return _item("genld", title, CheckStatus.WARN, reading.failure(), reading)
    processes = parse_genld(reading.stdout).processes
    if not processes:
        return _item("genld", title, CheckStatus.PASS, "none", reading)
    names = ", ".join(f"{p.name} ({p.pid})" for p in processes[:5])
    more = f" and {len(processes) - 5} more" if len(processes) > 5 else ""
    if kind is UpdateKind.LLU:
        return _item("genld", title, CheckStatus.PASS, f"{names}{more}", reading)
    return _item(
        "genld",
        title,
        CheckStatus.WARN,
        f"{names}{more} still run old code: restart them or offer a live library update.",
        reading,
    )


def check_lku_preview(reading: Reading) -> tuple[CheckItem, PreviewOutcome]:
    """`geninstall -k -p`: the verdict of AIX's own preview."""
    title = "geninstall -k -p"
    if reading.ok and PREVIEW_SUCCEEDED in reading.stdout:
        return (
            _item("preview", title, CheckStatus.PASS, PREVIEW_SUCCEEDED, reading),
            PreviewOutcome.PASSED,
        )
    if reading.error is not None:
        return (
            _item("preview", title, CheckStatus.FAIL, reading.error, reading),
            PreviewOutcome.FAILED,
        )
    errors = [e for e in summarise_lvupdate_log(reading.output).errors if e.fatal]
    said = f"{errors[0].code} {errors[0].message}" if errors else reading.last_line()
    return (
        _item(
            "preview",
            title,
            CheckStatus.FAIL,
            f"exit status {reading.exit_status}: {said}",
            reading,
        ),
        PreviewOutcome.FAILED,
    )


def check_llu_preview(reading: Reading) -> tuple[CheckItem, PreviewOutcome]:
    """`llvupdate -P`: which processes a live library update would move."""
    title = "llvupdate -P"
    if not reading.ok:
        return (
            _item("preview", title, CheckStatus.FAIL, reading.failure(), reading),
            PreviewOutcome.FAILED,
        )
    preview = parse_llvupdate_preview(reading.stdout)
    if not preview.processes:
        return (
            _item(
                "preview",
                title,
                CheckStatus.WARN,
                "No process requires a live library update: there is nothing to do.",
                reading,
            ),
            PreviewOutcome.PASSED,
        )
    pids = ", ".join(str(p.pid) for p in preview.processes[:10])
    more = f" and {len(preview.processes) - 10} more" if len(preview.processes) > 10 else ""
    return (
        _item(
            "preview",
            title,
            CheckStatus.PASS,
            f"{len(preview.processes)} process(es) would move to the new library: {pids}{more}",
            reading,
        ),
        PreviewOutcome.PASSED,
    )
