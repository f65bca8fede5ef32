"""A run's journal: what the engine did outside the operation's log, folded from its saved steps.

Each step is one of the step events of `lpar.progress`, saved before it is published. Folded,
they say which stages ran and how far (a stage resumes after its last saved result), whether
the operation's start was sent (then it is sent again only while none of its log was read:
the shell refuses a second start), whether a command was in flight when lkubot stopped (then
it is in doubt and not sent again), and how the run ended. The run engine resumes from it;
snapshots are built from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from liveupdate.runs import RunStep
from lpar.aftercare import Aftercare
from lpar.progress import (
    STEP_EVENT,
    AftercareRecorded,
    CancelRequested,
    CommandFinished,
    CommandOutcome,
    CommandStarted,
    LinkLost,
    LinkRestored,
    OperationSent,
    RunEnded,
    RunUnknown,
    Stage,
    StageFinished,
    StageStarted,
    StateCaptured,
    StepEvent,
)


def step_key(run_id: str, seq: int) -> str:
    return f"{run_id}#{seq}"


def read_step(run_id: str, step: RunStep) -> StepEvent:
    """A saved step as the event it was, with its key."""
    event = STEP_EVENT.validate_json(step.payload)
    return event.model_copy(update={"key": step_key(run_id, step.seq)})


@dataclass
class StageRecord:
    planned: tuple[str, ...] = ()
    started: bool = False
    running: dict[int, str] = field(default_factory=dict)
    """Commands sent whose result is not known (in flight, or in doubt after a restart)."""
    finished: list[CommandOutcome] = field(default_factory=list)
    ended: StageFinished | None = None

    @property
    def in_doubt(self) -> str | None:
        """A command that was sent and never reported back."""
        return next(iter(self.running.values()), None) if self.ended is None else None


@dataclass
class Journal:
    stages: dict[Stage, StageRecord] = field(default_factory=dict)
    captured: StateCaptured | None = None
    sent: OperationSent | None = None
    link_down_since: datetime | None = None
    unknown: RunUnknown | None = None
    cancel: CancelRequested | None = None
    aftercare: Aftercare | None = None
    ended: RunEnded | None = None

    @classmethod
    def from_steps(cls, run_id: str, steps: Iterable[RunStep]) -> Journal:
        journal = cls()
        for step in steps:
            journal.apply(read_step(run_id, step))
        return journal

    def stage(self, name: Stage) -> StageRecord:
        return self.stages.setdefault(name, StageRecord())

    def apply(self, event: StepEvent) -> None:
        match event:
            case StageStarted():
                record = self.stage(event.stage)
                record.started, record.planned = True, event.commands
            case CommandStarted():
                self.stage(event.stage).running[event.index] = event.command
            case CommandFinished():
                record = self.stage(event.stage)
                record.running.pop(event.index, None)
                record.finished.append(event.outcome)
            case StageFinished():
                self.stage(event.stage).ended = event
            case StateCaptured():
                self.captured = event
            case OperationSent():
                self.sent = event
            case LinkLost():
                self.link_down_since = self.link_down_since or event.at
            case LinkRestored():
                self.link_down_since = None
                self.unknown = None
            case RunUnknown():
                self.unknown = event
            case CancelRequested():
                self.cancel = event
            case AftercareRecorded():
                self.aftercare = event.aftercare
            case RunEnded():
                self.ended = event
