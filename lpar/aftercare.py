"""What an update changed, read on the LPAR once the operation has ended: `config.diff`,
`genld -u`, `lparstat -i` and `oslevel -s`, compared with what was read before it started.

`compare_states` is pure: the engine reads, this decides what the summary says.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from liveupdate.configdiff import FileChange, parse_config_diff
from liveupdate.genld import StaleProcess, parse_genld
from liveupdate.lparstat import (
    LIMIT_LABELS,
    PARTITION_NUMBER,
    FieldChange,
    compare_lparstat,
    parse_lparstat,
)
from liveupdate.oslevel import parse_oslevel

COMPARED_LABELS: tuple[str, ...] = (PARTITION_NUMBER, *LIMIT_LABELS)
"""The surrogate always gets a new partition number; the limits change when the surrogate was
cloned from a raised HMC profile (clone_from_hmc_profile)."""

CONFIG_DIFF_KEPT = 1024 * 1024
"""Characters of config.diff kept for the full-diff attachment; the per-file summary is read
from all of it."""


class Readings(BaseModel):
    """What was read on the LPAR at one moment; None where a read failed (see `problems`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    oslevel: str | None = None
    lparstat: str | None = None
    genld: str | None = None
    config_diff: str | None = None
    problems: tuple[str, ...] = ()


class Aftercare(BaseModel):
    """The summary at the end of a run: what changed, and what still needs a restart."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    oslevel_before: str | None
    oslevel_after: str | None
    lparstat_changes: tuple[FieldChange, ...] = ()
    """Partition number and CPU/memory limits whose value differs after the update."""
    config_diff: tuple[FileChange, ...] = ()
    """Per file of /etc/check_config.files that changed: lines added, removed, first lines."""
    config_diff_text: str = ""
    """config.diff as read (at most `CONFIG_DIFF_KEPT` characters), for an attachment."""
    config_diff_truncated: bool = False
    stale_processes: tuple[StaleProcess, ...] = ()
    """`genld -u`: processes still running old code; restart them or offer an LLU."""
    problems: tuple[str, ...] = ()
    """Reads that failed, each a sentence; the run's outcome does not depend on them."""

    @property
    def level_changed(self) -> bool:
        return (
            self.oslevel_before is not None
            and self.oslevel_after is not None
            and self.oslevel_before != self.oslevel_after
        )


def _level(text: str | None) -> str | None:
    return parse_oslevel(text).level if text is not None else None


def compare_states(before: Readings, after: Readings) -> Aftercare:
    """The aftercare summary from the readings taken before and after the operation."""
    changes: tuple[FieldChange, ...] = ()
    if before.lparstat is not None and after.lparstat is not None:
        changes = tuple(
            compare_lparstat(
                parse_lparstat(before.lparstat), parse_lparstat(after.lparstat), COMPARED_LABELS
            )
        )
    diff = after.config_diff or ""
    return Aftercare(
        oslevel_before=_level(before.oslevel),
        oslevel_after=_level(after.oslevel),
        lparstat_changes=changes,
        config_diff=parse_config_diff(diff).files if diff.strip() else (),
        config_diff_text=diff[:CONFIG_DIFF_KEPT],
        config_diff_truncated=len(diff) > CONFIG_DIFF_KEPT,
        stale_processes=parse_genld(after.genld).processes if after.genld else (),
        problems=(*before.problems, *after.problems),
    )
