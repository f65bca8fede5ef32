"""The lvupdate.data checker: what AIX would ignore, refuse or do unexpectedly, and what to do.

`KNOWN_STANZAS` is the one table of the stanzas and keys lkubot knows, each with a short
description; every check that needs a key's meaning reads it from there. Facts and their
sources are in shared/aix/README.md; where a fact is unconfirmed the finding says so.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict

from liveupdate.lvdata import DataLine, LvUpdateData, parse_lvupdate_data

Severity = Literal["error", "warning", "info"]
ValueKind = Literal["yes_no", "disks", "number", "text"]


class KeySpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    description: str
    kind: ValueKind = "text"
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None


class StanzaSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    description: str
    keys: dict[str, KeySpec]
    open: bool = False
    """True when keys beyond the listed ones are normal (they are not flagged)."""
    required: bool = False


_CLONE = KeySpec(
    kind="yes_no",
    description="7.3 TL3: build the surrogate from the HMC profile (to raise maximum CPU or "
    "memory without a reboot); profile sync must be off while it is used. IBM's texts place "
    "it under hmc:, others under general:; both are accepted.",
)

KNOWN_STANZAS: dict[str, StanzaSpec] = {
    "general": StanzaSpec(
        description="How the operation behaves.",
        keys={
            "kext_check": KeySpec(
                kind="yes_no",
                description="Blank means yes; no goes ahead even with kernel extensions not "
                "known to be live update safe.",
            ),
            "cpu_reduction": KeySpec(
                kind="yes_no",
                description="Blank means no; yes takes CPU from the original LPAR when the frame "
                "lacks capacity for the surrogate (on 7.3 it adds about 6 s of blackout).",
            ),
            "clone_from_hmc_profile": _CLONE,
            "ipsec_auto_migrate": KeySpec(
                kind="yes_no",
                description="Carry IPsec tunnels over (7.3 TL3); IP filter rules are not carried.",
            ),
        },
    ),
    "disks": StanzaSpec(
        description="The free disks the operation uses.",
        required=True,
        keys={
            "nhdisk": KeySpec(
                kind="disks",
                required=True,
                description="Disk(s) for the surrogate's new rootvg: free, at least rootvg's size.",
            ),
            "mhdisk": KeySpec(
                kind="disks",
                required=True,
                description="Disk(s) to mirror the original rootvg: free, at least rootvg's size.",
            ),
            "tohdisk": KeySpec(kind="disks", description="Temporary disk(s) (use unconfirmed)."),
            "tshdisk": KeySpec(kind="disks", description="Temporary disk(s) (use unconfirmed)."),
        },
    ),
    "hmc": StanzaSpec(
        description="The HMC that manages the LPAR.",
        required=True,
        keys={
            "management_console": KeySpec(
                required=True, description="Host name or address of the HMC."
            ),
            "user": KeySpec(
                required=True,
                description="HMC user; must be the user of the LPAR's hmcauth token "
                "(else 1430-246).",
            ),
            "lpar_id": KeySpec(
                kind="number",
                minimum=1,
                description="Optional partition id for the surrogate; must differ from the "
                "current one.",
            ),
            "clone_from_hmc_profile": _CLONE,
        },
    ),
    "trace": StanzaSpec(
        description="Trace options for the operation.",
        open=True,
        keys={"trc_option": KeySpec(description="Options passed to trace.")},
    ),
    "llvupdate": StanzaSpec(
        description="Run a live library update after the kernel update (use unconfirmed).",
        keys={
            "llu": KeySpec(kind="yes_no", description="yes runs llvupdate after the update."),
            "retries": KeySpec(kind="number", minimum=0, description="Retries per process."),
            "timeout": KeySpec(
                kind="number",
                minimum=1,
                maximum=300,
                description="Seconds per process, at most 300.",
            ),
        },
    ),
}

_DISK = re.compile(r"^[A-Za-z_]+\d+$")
_NUMBER = re.compile(r"^\d+$")


class Finding(BaseModel):
    """One thing the checker has to say about an lvupdate.data file."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    line: int | None
    """Line number in the file; None when the finding is about something missing."""
    stanza: str | None = None
    key: str | None = None
    message: str


def _about(line: DataLine, severity: Severity, message: str) -> Finding:
    """A finding about one line, placed at its stanza and (for a key line) its key."""
    key = line.name if line.kind == "entry" else None
    return Finding(
        severity=severity, line=line.number, stanza=line.stanza, key=key, message=message
    )


def _shown(line: DataLine) -> str:
    return f"{line.name}{line.separator}{line.value}".strip()


def _nearest(name: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _check_stanza_header(line: DataLine, first_seen: dict[str, int]) -> Iterator[Finding]:
    name = line.name
    if line.indented:
        yield _about(
            line,
            "warning",
            f"The stanza header `{name}:` is indented; start it at column 1.",
        )
    if name not in KNOWN_STANZAS:
        guess = _nearest(name, list(KNOWN_STANZAS))
        hint = f" Did you mean `{guess}:`?" if guess else ""
        yield _about(
            line,
            "warning",
            f"Unknown stanza `{name}:`; live update does not read it.{hint}",
        )
    if name in first_seen:
        yield _about(
            line,
            "warning",
            f"`{name}:` appears again (first on line {first_seen[name]}); "
            "put all its keys under one header.",
        )
    else:
        first_seen[name] = line.number


def _unknown_key_message(stanza: str, key: str) -> str:
    spec = KNOWN_STANZAS[stanza]
    guess = _nearest(key, list(spec.keys))
    if guess:
        return f"Unknown key `{key}` in `{stanza}:`. Did you mean `{guess}`?"
    homes = [name for name, other in KNOWN_STANZAS.items() if key in other.keys]
    if homes:
        return f"`{key}` belongs under `{homes[0]}:`, not `{stanza}:`; move it there."
    return f"Unknown key `{key}` in `{stanza}:`; live update does not read it."


def _check_value(line: DataLine, spec: KeySpec) -> Iterator[Finding]:
    value, key = line.value, line.name

    if spec.kind == "yes_no" and value not in ("", "yes", "no"):
        yield _about(line, "error", f"`{key} = {value}`: write yes or no (or leave it blank).")
    elif spec.kind == "number" and value:
        if not _NUMBER.match(value):
            yield _about(
                line, "error", f"`{key} = {value}` is not a whole number; write digits only."
            )
        elif spec.minimum is not None and int(value) < spec.minimum:
            yield _about(line, "error", f"`{key} = {value}` is below the minimum {spec.minimum}.")
        elif spec.maximum is not None and int(value) > spec.maximum:
            yield _about(line, "error", f"`{key} = {value}` is above the maximum {spec.maximum}.")
    elif spec.kind == "disks":
        for disk in value.split():
            if not _DISK.match(disk):
                yield _about(
                    line,
                    "warning",
                    f"`{disk}` does not look like an AIX disk name (hdiskN); name a free disk "
                    "as `lspv` shows it.",
                )


def _check_lines(data: LvUpdateData) -> Iterator[Finding]:
    first_header: dict[str, int] = {}
    first_key: dict[tuple[str, str], int] = {}
    for line in data.lines:
        if line.kind == "other":
            yield _about(
                line,
                "error",
                "AIX cannot read this line: write a stanza header `name:` at column 1 "
                "or an indented `key = value`.",
            )
        elif line.kind == "stanza":
            yield from _check_stanza_header(line, first_header)
        elif line.kind == "entry":
            yield from _check_entry(line, first_key)


def _check_entry(line: DataLine, first_key: dict[tuple[str, str], int]) -> Iterator[Finding]:
    stanza, key = line.stanza, line.name
    if stanza is None:
        yield _about(
            line,
            "error",
            f"`{key}` comes before any stanza header; put it under the stanza it "
            "belongs to, indented.",
        )
        return
    if not line.indented:
        yield _about(
            line,
            "error",
            f"`{_shown(line)}` starts at column 1, so AIX silently ignores it; "
            "indent it with a tab or spaces.",
        )
        return
    if (stanza, key) in first_key:
        yield _about(
            line,
            "error",
            f"`{key}` is set twice in `{stanza}:` (first on line "
            f"{first_key[stanza, key]}); keep one line so the file says one thing.",
        )
        return
    first_key[stanza, key] = line.number
    spec = KNOWN_STANZAS.get(stanza)
    if spec is None:
        return  # the unknown stanza was reported once, at its header
    if key not in spec.keys:
        if not spec.open:
            yield _about(
                line,
                "warning",
                _unknown_key_message(stanza, key),
            )
        return
    yield from _check_value(line, spec.keys[key])


def _entry(data: LvUpdateData, stanza: str, key: str) -> DataLine | None:
    for line in data.entries():
        if line.stanza == stanza and line.name == key and line.indented:
            return line
    return None


def _header(data: LvUpdateData, stanza: str) -> DataLine | None:
    return next((line for line in data.headers() if line.name == stanza), None)


def _check_required(data: LvUpdateData) -> Iterator[Finding]:
    stanzas = data.stanzas()
    for name, spec in KNOWN_STANZAS.items():
        header = _header(data, name)
        if header is None and spec.required:
            keys = " and ".join(key for key, k in spec.keys.items() if k.required)
            yield Finding(
                severity="error",
                line=None,
                stanza=name,
                message=f"There is no `{name}:` stanza; add one with {keys}.",
            )
            continue
        for key, key_spec in spec.keys.items():
            if key_spec.required and header is not None and not stanzas[name].get(key):
                entry = _entry(data, name, key)
                yield Finding(
                    severity="error",
                    line=entry.number if entry else header.number,
                    stanza=name,
                    key=key,
                    message=f"`{name}:` needs `{key}` with a value: {key_spec.description}",
                )


def _check_disks(data: LvUpdateData) -> Iterator[Finding]:
    named: dict[str, set[str]] = {
        key: set((data.value("disks", key) or "").split()) for key in KNOWN_STANZAS["disks"].keys
    }
    keys = list(named)
    for position, first in enumerate(keys):
        for second in keys[position + 1 :]:
            shared = sorted(named[first] & named[second])
            if not shared:
                continue
            entry = _entry(data, "disks", second)
            both_needed = {first, second} == {"nhdisk", "mhdisk"}
            yield Finding(
                severity="error" if both_needed else "warning",
                line=entry.number if entry else None,
                stanza="disks",
                key=second,
                message=f"{', '.join(shared)} is named in both `{first}` and `{second}`; "
                "each needs its own free disk.",
            )


def _yes(data: LvUpdateData, stanza: str, key: str) -> DataLine | None:
    entry = _entry(data, stanza, key)
    return entry if entry is not None and entry.value == "yes" else None


def _check_combinations(data: LvUpdateData) -> Iterator[Finding]:
    clone = _yes(data, "hmc", "clone_from_hmc_profile") or _yes(
        data, "general", "clone_from_hmc_profile"
    )
    reduction = _yes(data, "general", "cpu_reduction")
    if clone and reduction:
        yield _about(
            reduction,
            "error",
            "`cpu_reduction = yes` and `clone_from_hmc_profile = yes` exclude each other; "
            "set cpu_reduction to no while cloning from the HMC profile.",
        )
    if clone:
        yield _about(
            clone,
            "warning",
            "Before the update, turn the LPAR's HMC profile sync off; after it, remove "
            "this line and turn profile sync back on.",
        )
    elif reduction:
        yield _about(
            reduction,
            "info",
            "CPU reduction is on: on AIX 7.3 it always engages and adds about 6 s of blackout.",
        )
    notes = (
        ("general", "kext_check", "no", "Kernel extension check is off: the update goes ahead "
         "even with kernel extensions not known to be live update safe."),
        ("general", "ipsec_auto_migrate", "yes", "IPsec tunnels are carried over, IP filter "
         "rules are not: still unload filter rules in the prep stage."),
        ("llvupdate", "llu", "yes", "A live library update runs after the kernel update; "
         "raso llu_mode must be on for processes to take part."),
    )  # fmt: skip
    for stanza, key, value, message in notes:
        entry = _entry(data, stanza, key)
        if entry is not None and entry.value == value:
            yield _about(entry, "info", message)


def check_lvupdate_data(data: LvUpdateData) -> list[Finding]:
    """Every finding about the file, in line order (findings about missing things last)."""
    findings = [
        *_check_lines(data),
        *_check_required(data),
        *_check_disks(data),
        *_check_combinations(data),
    ]
    return sorted(findings, key=lambda f: (f.line is None, f.line or 0))


def check_lvupdate_text(text: str) -> list[Finding]:
    """Parse and check lvupdate.data text in one step."""
    return check_lvupdate_data(parse_lvupdate_data(text))


def has_errors(findings: list[Finding]) -> bool:
    return any(finding.severity == "error" for finding in findings)
