"""The run's status message: one message in the card's thread, edited in place as the run
goes on (by `bot.status_card`), and re-rendered from a `RunSnapshot` alone, so a restarted
bot edits the same message into the same blocks.

It shows: phase n of N with a text progress bar, elapsed time, the milestones of a live
kernel update with the current one highlighted, the blackout (highlighted while it lasts,
then with its measured length), the prep and post stages with each command's result, a lost
link, the 1430 messages, and [Cancel] until the point of no return.

The ~25 phase lines of AIX are grouped into `MILESTONES`; the status card edits the message
when a milestone starts (and for the other events that matter), not for every line.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
)

from bot.views import actions
from bot.views.blocks import MAX_SECTION_TEXT, confirmation, context, section
from bot.views.message import SlackMessage
from bot.views.text import (
    clip,
    code_block,
    duration,
    escape,
    escape_note,
    inline_code,
    slack_date,
)
from liveupdate.checks import UpdateKind
from liveupdate.phases import phase_named
from liveupdate.policy import mention
from lpar.progress import CommandOutcome
from lpar.snapshot import RunSnapshot, StageView

BAR_WIDTH = 20
_LAST_LINES = 1200


class Milestone(BaseModel):
    """A group of consecutive live update phases that the status message shows as one step."""

    model_config = ConfigDict(frozen=True)

    number: int
    title: str
    first_phase: int
    """`liveupdate.phases` index of the phase that starts it."""


def _milestones(*steps: tuple[str, str]) -> tuple[Milestone, ...]:
    return tuple(
        Milestone(number=n, title=title, first_phase=phase_named(message).index)
        for n, (title, message) in enumerate(steps, start=1)
    )


MILESTONES = _milestones(
    ("Preview and start", "The live update preview succeeded."),
    ("Cloning rootvg for the surrogate", "Creating rootvg for boot of surrogate."),
    ("Booting the surrogate LPAR", "Starting the surrogate LPAR."),
    ("Mirroring rootvg, preparing the move", "Creating mirror of original LPAR's rootvg."),
    ("Blackout: moving the workload", "Blackout Time started."),
    ("Workload on the surrogate", "Blackout Time end."),
    ("Cleaning up the original LPAR", "Starting cleanup of the original LPAR."),
)


def milestone_of(phase_index: int | None) -> Milestone | None:
    """The milestone a known phase belongs to (None for an unknown phase)."""
    if phase_index is None:
        return None
    reached = [m for m in MILESTONES if m.first_phase <= phase_index]
    return reached[-1] if reached else None


def starts_milestone(phase_index: int | None) -> bool:
    """True for the first phase of a milestone: the status card edits for these."""
    return any(m.first_phase == phase_index for m in MILESTONES)


STAGE_TITLES = {"prep": "Prep", "lu": "Live update", "post": "Post", "cancel": "Cancel"}
STAGE_EMOJI = {
    "pending": ":white_circle:",
    "running": ":arrow_forward:",
    "done": ":white_check_mark:",
    "failed": ":x:",
    "skipped": ":heavy_minus_sign:",
}
OUTCOME_TITLES = {
    "succeeded": ":tada: succeeded",
    "failed": ":x: failed",
    "cancelled": ":black_square_for_stop: cancelled",
    "unverified": ":grey_question: ended, result unconfirmed",
}
KIND_TITLES = {UpdateKind.LKU: "live kernel update", UpdateKind.LLU: "live library update"}


def render_run_status(snapshot: RunSnapshot) -> SlackMessage:
    """The status message for the run as `snapshot` shows it."""
    blocks: list[Block] = [section(_headline(snapshot))]
    if snapshot.kind is UpdateKind.LKU and (snapshot.phases or snapshot.outcome is None):
        blocks.append(section(_progress(snapshot)))
    alerts = _alerts(snapshot)
    if alerts:
        blocks.append(section("\n".join(alerts)))
    blocks.extend(section(_stage(view)) for view in snapshot.stages if view.stage != "lu")
    blocks.append(context(_where(snapshot)))
    if snapshot.cancellable:
        blocks.append(
            ActionsBlock(block_id=actions.RUN_ACTIONS_BLOCK, elements=[_cancel_button(snapshot)])
        )
    return SlackMessage.build(status_text(snapshot), blocks)


def status_text(snapshot: RunSnapshot) -> str:
    """One line: the notification text of the status message."""
    run = snapshot.run
    head = f"{run.request_id} on {run.lpar}"
    if snapshot.outcome is not None:
        return f"{head}: {snapshot.outcome} after {duration(snapshot.elapsed_seconds)}"
    if snapshot.link_down_since is not None:
        return f"{head}: out of contact, lkubot keeps trying"
    if snapshot.in_blackout:
        return f"{head}: blackout"
    if snapshot.phase_index is not None:
        return f"{head}: phase {snapshot.phase_index} of {snapshot.total_phases}"
    running = next((v for v in snapshot.stages if v.state == "running"), None)
    stage = STAGE_TITLES[running.stage].lower() if running else "starting"
    return f"{head}: {stage}"


def _headline(snapshot: RunSnapshot) -> str:
    run = snapshot.run
    kind = KIND_TITLES[snapshot.kind]
    if snapshot.outcome is not None:
        state = f"{OUTCOME_TITLES[snapshot.outcome]} after {duration(snapshot.elapsed_seconds)}"
    else:
        state = f":arrows_counterclockwise: running for {duration(snapshot.elapsed_seconds)}"
    return f"*{run.request_id}: {kind} on {escape(run.lpar)}* · {state}"


def _progress(snapshot: RunSnapshot) -> str:
    n, total = snapshot.phase_index or 0, snapshot.total_phases
    filled = round(BAR_WIDTH * n / total) if total else 0
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    where = f"phase {n} of {total}" if n else "the live update has not started yet"
    lines = [f"`{bar}` {where}"]
    current = milestone_of(snapshot.phase_index)
    for milestone in MILESTONES:
        if current is None or milestone.number > current.number:
            lines.append(f":white_circle: {milestone.title}")
        elif milestone.number < current.number or snapshot.outcome == "succeeded":
            lines.append(f":white_check_mark: {milestone.title}")
        elif snapshot.outcome is not None:
            lines.append(f":x: *{milestone.title}*: {_current_phase(snapshot)}")
        else:
            lines.append(f":arrow_forward: *{milestone.title}*: {_current_phase(snapshot)}")
    return clip("\n".join(lines), MAX_SECTION_TEXT)


def _current_phase(snapshot: RunSnapshot) -> str:
    if not snapshot.phases:
        return escape(snapshot.current_phase or "")
    phase = snapshot.phases[-1]
    return f"{escape(phase.message)} (since {phase.started_at:%H:%M:%S} LPAR time)"


def _alerts(snapshot: RunSnapshot) -> list[str]:
    alerts = []
    if snapshot.in_blackout and snapshot.outcome is None:
        started = next((p for p in reversed(snapshot.phases) if p.blackout), None)
        since = f" since {started.started_at:%H:%M:%S} LPAR time" if started else ""
        alerts.append(
            f":black_circle: *BLACKOUT in progress*{since}: the workload is frozen while it "
            "moves to the surrogate."
        )
    elif snapshot.blackout_seconds is not None:
        alerts.append(f":stopwatch: Blackout: *{duration(snapshot.blackout_seconds)}*")
    if snapshot.link_down_since is not None and snapshot.outcome is None:
        alerts.append(
            f":satellite: No contact with {escape(snapshot.run.lpar)} since "
            f"{slack_date(snapshot.link_down_since)}; lkubot keeps trying and resumes where "
            "it stopped. The operation itself goes on on the LPAR."
        )
    if snapshot.point_of_no_return and snapshot.outcome is None:
        alerts.append(":lock: Past the point of no return: the update can no longer be cancelled.")
    if snapshot.cancel_requested_by is not None and snapshot.outcome is None:
        alerts.append(
            f":hourglass_flowing_sand: Cancel requested by {mention(snapshot.cancel_requested_by)}."
        )
    for error in snapshot.errors:
        mark = ":x:" if error.fatal else ":warning:"
        alerts.append(f"{mark} `{error.code}` {clip(escape(error.message), 300)}")
    if snapshot.message and snapshot.outcome is None:
        alerts.append(clip(escape_note(snapshot.message), 500))
    return alerts


def _stage(view: StageView) -> str:
    title = STAGE_TITLES[view.stage]
    lines = [f"{STAGE_EMOJI[view.state]} *{title}*" + _stage_count(view)]
    lines.extend(command_line(outcome) for outcome in view.commands)
    if view.running is not None:
        lines.append(f":arrow_forward: {inline_code(view.running)} running")
    failed = next((c for c in view.commands if not c.ok), None)
    text = "\n".join(lines)
    if view.state == "failed" and failed is not None and failed.last_lines:
        text += "\n" + code_block("\n".join(failed.last_lines), _LAST_LINES)
    elif view.state == "failed" and view.detail:
        text += "\n" + clip(escape(view.detail), 500)
    return clip(text, MAX_SECTION_TEXT)


def _stage_count(view: StageView) -> str:
    if view.state == "pending" and not view.commands:
        return ""
    if not view.commands and view.running is None and view.state in ("done", "skipped"):
        return " · no commands"
    return ""


def command_line(outcome: CommandOutcome) -> str:
    """ "✅ `stopsrc -s pfcdaemon` · exit 0 · 0.4 s" """
    if outcome.exit_status is None:
        why = f": {escape(outcome.error)}" if outcome.error else ""
        return f":grey_question: {inline_code(outcome.command)} · result unknown{why}"
    mark = ":white_check_mark:" if outcome.ok else ":x:"
    return (
        f"{mark} {inline_code(outcome.command)} · exit {outcome.exit_status} · "
        f"{outcome.seconds:.1f} s"
    )


def _where(snapshot: RunSnapshot) -> str:
    run = snapshot.run
    parts = [f"Run `{run.id}`", f"log on the LPAR: {inline_code(run.log_path)}"]
    if run.remote_pid is not None:
        parts.append(f"pid {run.remote_pid}")
    return " · ".join(parts)


def _cancel_button(snapshot: RunSnapshot) -> ButtonElement:
    run = snapshot.run
    cleanup = " and cleans up with clvupdate" if snapshot.kind is UpdateKind.LKU else ""
    return ButtonElement(
        text="Cancel",
        action_id=actions.CANCEL_RUN,
        value=run.id,
        style="danger",
        confirm=confirmation(
            f"Stop the update on {run.lpar}?",
            f"lkubot stops {run.id} on {escape(run.lpar)} (kill -TERM){cleanup}. "
            "Nothing is installed; preview again to retry.",
            "Stop it",
            "Keep running",
            "danger",
        ),
    )
