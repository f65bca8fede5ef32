"""The phases of a Live Kernel Update, in the order AIX prints them.

A status card says "phase n of N" from this list, highlights the blackout, and offers Cancel
only before the point of no return. The messages are AIX's own (`samples/lku-success-1.log`);
AIX levels that print other progress lines still work: the log reader reports those as phases
without a number.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

POINT_OF_NO_RETURN_BANNER = "Non-interruptable live update operation begins in 10 seconds."
"""Printed without a timestamp; after it the operation can no longer be cancelled."""

# The delay and the spelling are matched loosely so that another AIX level's banner still
# marks the point of no return: missing it would leave a Cancel button that cannot work.
POINT_OF_NO_RETURN_PATTERN = r"non-?interrupt[ai]ble live update operation begins"


class Phase(BaseModel):
    """One known phase of a live kernel update."""

    model_config = ConfigDict(frozen=True)

    index: int
    """1-based position in `PHASES`."""
    message: str
    """AIX's message that starts the phase, as printed after the timestamp."""
    blackout: bool = False
    """True for the phase during which the workload is frozen."""
    cancellable: bool = False
    """True while the operation may still be cancelled (before the point of no return)."""


_MESSAGES = (
    "The live update preview succeeded.",
    "Live AIX update is starting.",
    "Initializing live update on original LPAR.",
    "Validating original LPAR environment.",
    "Beginning live update operation on original LPAR.",
    "Requesting resources required for live update.",
    "Notifying applications of impending live update.",
    "Creating rootvg for boot of surrogate.",
    "Starting alt_disk_copy.",
    "Completed alt_disk_copy.",
    "Rootvg for the surrogate is ready.",
    "Starting the surrogate LPAR.",
    "Surrogate AIX boot started.",
    "Surrogate AIX reboot started.",
    "Surrogate LPAR AIX is running.",
    "Creating mirror of original LPAR's rootvg.",
    "Original rootvg mirror is active.",
    "Moving workload to surrogate LPAR.",
    "Blackout Time started.",
    "Blackout Time end.",
    "Workload is running on surrogate LPAR.",
    "Completing transfer of system resources from the original to the surrogate LPAR.",
    "Starting cleanup of the original LPAR.",
    "Shutting down the Original LPAR.",
    "Deleting the original LPAR.",
)
BLACKOUT_STARTED = "Blackout Time started."
BLACKOUT_ENDED = "Blackout Time end."
OPERATION_STARTED = "Live AIX update is starting."
"""AIX counts its reported total ("completed in 0h 10m 58s") from this line."""

PHASES: tuple[Phase, ...] = tuple(
    Phase(
        index=number,
        message=message,
        blackout=message == BLACKOUT_STARTED,
        # Only the preview comes before the banner; every later phase is past it.
        cancellable=number == 1,
    )
    for number, message in enumerate(_MESSAGES, start=1)
)
TOTAL_PHASES = len(PHASES)


def _key(message: str) -> str:
    return " ".join(message.lower().split()).rstrip(".")


_BY_MESSAGE = {phase.message: phase for phase in PHASES}
_BY_KEY = {_key(phase.message): phase for phase in PHASES}


def find_phase(message: str) -> Phase | None:
    """The known phase a message starts (case, spacing and the final period are ignored)."""
    return _BY_MESSAGE.get(message) or _BY_KEY.get(_key(message))


def phase_named(message: str) -> Phase:
    """The known phase with this exact message; for code that refers to phases by message."""
    phase = find_phase(message)
    if phase is None:
        raise KeyError(f"{message!r} is not a known live update phase")
    return phase


BLACKOUT_PHASE = phase_named(BLACKOUT_STARTED)
