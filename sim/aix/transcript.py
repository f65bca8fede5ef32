"""The real `geninstall -k` transcript shipped with the simulator, turned into a timed script.

`data/lku-success-1.log` is a verbatim capture of a successful Live Kernel Update. Each of its
phase lines gets a short key (the names scenarios use for faults at a phase) and its offset in
seconds from the first line, so a replay can print the same messages at the same pace on any
virtual clock. The keys are the simulator's own vocabulary, not AIX's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files

TRANSCRIPT_RESOURCE = "data/lku-success-1.log"
TIMESTAMP_FORMAT = "%m/%d/%Y-%H:%M:%S"
BANNER = "Non-interruptable live update operation begins in 10 seconds."
COMPLETED_PREFIX = "Live AIX update completed in "

# Message -> key. The completion line carries a duration, so it is matched by its prefix.
PHASE_KEYS: dict[str, str] = {
    "The live update preview succeeded.": "preview_succeeded",
    BANNER: "banner",
    "Live AIX update is starting.": "starting",
    "Initializing live update on original LPAR.": "initializing",
    "Validating original LPAR environment.": "validating",
    "Beginning live update operation on original LPAR.": "beginning",
    "Requesting resources required for live update.": "requesting_resources",
    "Notifying applications of impending live update.": "notifying_applications",
    "Creating rootvg for boot of surrogate.": "creating_rootvg",
    "Starting alt_disk_copy.": "alt_disk_copy",
    "Completed alt_disk_copy.": "alt_disk_copy_done",
    "Rootvg for the surrogate is ready.": "rootvg_ready",
    "Starting the surrogate LPAR.": "starting_surrogate",
    "Surrogate AIX boot started.": "surrogate_boot",
    "Surrogate AIX reboot started.": "surrogate_reboot",
    "Surrogate LPAR AIX is running.": "surrogate_running",
    "Creating mirror of original LPAR's rootvg.": "mirroring",
    "Original rootvg mirror is active.": "mirror_active",
    "Moving workload to surrogate LPAR.": "moving_workload",
    "Blackout Time started.": "blackout",
    "Blackout Time end.": "blackout_end",
    "Workload is running on surrogate LPAR.": "workload_on_surrogate",
    "Completing transfer of system resources from the original to the surrogate LPAR.": (
        "transferring_resources"
    ),
    "Starting cleanup of the original LPAR.": "cleanup",
    "Shutting down the Original LPAR.": "shutdown_original",
    "Deleting the original LPAR.": "deleting_original",
    COMPLETED_PREFIX: "completed",
}

_TIMED_LINE = re.compile(r"^(?P<stamp>\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d) (?P<message>.+)$")


class TranscriptError(Exception):
    """The packaged transcript does not have the shape the replay relies on."""


@dataclass(frozen=True)
class Step:
    """One phase line: printed `offset` seconds after the transcript's first line."""

    key: str
    message: str
    offset: float
    timestamped: bool


@dataclass(frozen=True)
class Transcript:
    steps: tuple[Step, ...]
    trailer: tuple[str, ...]  # the config-change lines after the completion line

    @property
    def phase_keys(self) -> tuple[str, ...]:
        return tuple(step.key for step in self.steps)

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)


def _key_of(message: str) -> str:
    if message.startswith(COMPLETED_PREFIX):
        return PHASE_KEYS[COMPLETED_PREFIX]
    try:
        return PHASE_KEYS[message]
    except KeyError:
        raise TranscriptError(f"The transcript line {message!r} has no phase key.") from None


def parse_transcript(text: str) -> Transcript:
    steps: list[Step] = []
    trailer: list[str] = []
    first: datetime | None = None
    offset = 0.0
    for line in text.splitlines():
        if steps and steps[-1].key == "completed":
            trailer.append(line)
            continue
        timed = _TIMED_LINE.match(line)
        if timed is None:
            # The banner is the one untimed line; it is printed together with its predecessor.
            steps.append(Step(_key_of(line), line, offset, timestamped=False))
            continue
        stamp = datetime.strptime(timed["stamp"], TIMESTAMP_FORMAT)
        first = first or stamp
        offset = (stamp - first).total_seconds()
        steps.append(Step(_key_of(timed["message"]), timed["message"], offset, timestamped=True))
    if not steps or steps[-1].key != "completed":
        raise TranscriptError("The transcript does not end with a completion line.")
    return Transcript(tuple(steps), tuple(trailer))


@cache
def load_transcript() -> Transcript:
    """The packaged real transcript (read once)."""
    text = files("sim.aix").joinpath(TRANSCRIPT_RESOURCE).read_text(encoding="utf-8")
    return parse_transcript(text)


def format_timestamp(when: datetime) -> str:
    return when.strftime(TIMESTAMP_FORMAT)


def format_duration(seconds: float) -> str:
    """`0h 10m 58s`, as the completion line prints it."""
    total = round(seconds)
    return f"{total // 3600}h {total % 3600 // 60}m {total % 60}s"
