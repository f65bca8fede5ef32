"""The preview checklist and the preview result a request is opened from.

The run engine fills these in from what it read on the LPAR (pre stage and `geninstall -k -p`
or `llvupdate -P`); the Slack card shows each check with its evidence folded away; storage
keeps the whole result as the evidence an approval was given for.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from liveupdate.fingerprint import canonical_form, fingerprint_of

LPAR_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""The names people type in Slack (the inventory enforces the same rule)."""

LparName = Annotated[str, StringConstraints(pattern=LPAR_NAME_PATTERN)]
CheckKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
OneLine = Annotated[str, StringConstraints(pattern=r"^[^\r\n]*$", max_length=500)]


class UpdateKind(StrEnum):
    LKU = "lku"
    """Live Kernel Update, `geninstall -k`."""
    LLU = "llu"
    """Live Library Update, `llvupdate`."""


class CheckStatus(StrEnum):
    PASS = "pass"  # noqa: S105 (a check verdict, not a password)
    WARN = "warn"
    """Worth a look, does not block (e.g. cpu_reduction adds blackout time)."""
    FAIL = "fail"
    """Blocks: a request opened from a preview with a failed check cannot be approved."""


class PreviewOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class CheckItem(BaseModel):
    """One line of the pre-stage checklist: "HMC token: pass, hmc01 as hscroot"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: CheckKey
    """Stable machine name, e.g. `hmc_token`, `lvupdate_data.indent`, `free_disks`."""
    title: OneLine = Field(min_length=1)
    status: CheckStatus
    summary: OneLine
    """What the card shows next to the status."""
    evidence: str = ""
    """The command output behind the verdict, folded away on the card."""


class PreviewResult(BaseModel):
    """What a preview of one LPAR saw; a request is opened from one per target LPAR."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: UpdateKind
    lpar: LparName
    previewed_at: AwareDatetime
    oslevel: str
    """`oslevel -s`, e.g. 7300-03-01-2520."""
    media: str | None = None
    """The `-d` source of an LKU; None when none was given (and for LLU)."""
    filesets: tuple[str, ...] = ()
    """What geninstall installs (`update_all`, filesets, fix files); empty for LLU."""
    lvupdate_data: str = ""
    """The lvupdate.data file as read from the LPAR."""
    outcome: PreviewOutcome
    """The verdict of `geninstall -k -p` or `llvupdate -P`."""
    checks: tuple[CheckItem, ...] = ()
    raw_output: str = ""
    """The preview command's own output, verbatim."""

    @cached_property
    def fingerprint(self) -> str:
        """See `liveupdate.fingerprint` for what is hashed and how. Computed once: the model
        is frozen, and every request read from storage checks its previews' fingerprints."""
        return fingerprint_of(
            canonical_form(
                kind=self.kind.value,
                lpar=self.lpar,
                oslevel=self.oslevel,
                media=self.media,
                filesets=self.filesets,
                lvupdate_data=self.lvupdate_data,
                outcome=self.outcome.value,
            )
        )

    @property
    def failed_checks(self) -> tuple[CheckItem, ...]:
        return tuple(c for c in self.checks if c.status is CheckStatus.FAIL)

    @property
    def blocked(self) -> bool:
        """True when this preview cannot be approved: it failed or a check failed."""
        return self.outcome is PreviewOutcome.FAILED or bool(self.failed_checks)

    def worst_status(self) -> CheckStatus:
        order = (CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL)
        return max((c.status for c in self.checks), key=order.index, default=CheckStatus.PASS)
