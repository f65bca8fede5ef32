"""Faults a simulated LPAR can be told to show, from a scenario file, a flag or a test.

Every fault is optional and read at the moment it matters, so a test may change
`lpar.state.faults` while an operation runs. Phases are named by the keys of
`sim.aix.transcript.PHASE_KEYS` (e.g. `alt_disk_copy`, `blackout`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sim.aix.transcript import load_transcript


def _known_phase(phase: str) -> str:
    keys = load_transcript().phase_keys
    if phase not in keys:
        raise ValueError(f"unknown phase {phase!r}; the phases are: {', '.join(keys)}")
    return phase


Phase = Annotated[str, AfterValidator(_known_phase)]


class _Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PreviewFailure(_Fault):
    """The preview (`geninstall -k -p`, and the preview inside `geninstall -k`) fails."""

    # SIMULATED WORDING: a 1430 message of the simulator's own, not captured from AIX.
    lines: list[str] = Field(
        default_factory=lambda: [
            "1430-907 FAILED: The live update preview found a condition that prevents "
            "the live update (simulated fault).",
        ],
        min_length=1,
    )
    exit_code: int = Field(default=1, ge=1, le=255)


class PhaseFailure(_Fault):
    """The operation prints the phase's line, then fails with a 1430 error and exit code."""

    phase: Phase
    # SIMULATED WORDING by default: the real message of a mid-run failure depends on the cause.
    error: str = Field(
        default="1430-908 FAILED: The live update operation failed (simulated fault).",
        pattern=r"^1430-\d{3} ",
    )
    advice: list[str] = Field(default_factory=list)
    exit_code: int = Field(default=1, ge=1, le=255)


class ConnectionDrop(_Fault):
    """From the phase's line on, the SSH server drops every connection for `seconds`
    (virtual), while the operation carries on."""

    phase: Phase = "blackout"
    seconds: float = Field(gt=0)


class Hang(_Fault):
    """After the phase's line the operation prints nothing more for `seconds` (virtual),
    or for ever (until killed before the point of no return, or the fleet stops)."""

    phase: Phase
    seconds: float | None = Field(default=None, gt=0)


class SlowProgress(_Fault):
    """Every phase from `phase` on takes `factor` times as long as in the transcript."""

    factor: float = Field(gt=1)
    phase: Phase = "starting"


class LluTimeouts(_Fault):
    """These LLU processes never answer: every attempt of `llvupdate` times out.
    `pids` names them; `count` takes the first N candidates instead."""

    pids: list[int] = Field(default_factory=list)
    count: int = Field(default=0, ge=0)


class LluUnreported(_Fault):
    """`llvupdate` moves these processes but says nothing about them on its output; with
    `in_own_log` their results are still written to its `-l` log. SIMULATED: IBM has not
    published where llvupdate reports each process, so lkubot must not count on either."""

    pids: list[int] = Field(min_length=1)
    in_own_log: bool = True


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    preview: PreviewFailure | None = None
    fail_at: PhaseFailure | None = None
    drop: ConnectionDrop | None = None
    hang: Hang | None = None
    slow: SlowProgress | None = None
    llu_timeouts: LluTimeouts | None = None
    llu_unreported: LluUnreported | None = None
    logs_unwritable: bool = False
    """The shell cannot create a detached start's log (its directory is missing, the file
    system full): the start says so on stderr and starts nothing."""
