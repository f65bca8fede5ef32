"""The final summary of a run, posted once in the card's thread when the run has ended.

Success: total time (lkubot's clock and AIX's own), the measured blackout, the AIX level
before and after, config.diff per file (path, +added/-removed, the first changed lines; the
whole diff shown when it fits, else attached as a file), `genld -u` leftovers with an
[LLU preview] button, and `lparstat -i` limits that changed. Failure or cancel: the failing
step, each 1430 code with its message and AIX's advice, and what to do next. A live library
update lists each process's result, with the `cllvupdate -u` offer when processes failed.

Like the status message it is built from a `RunSnapshot` alone.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
)

from bot.views import actions
from bot.views.blocks import MAX_SECTION_TEXT, confirmation, context, fields, section
from bot.views.message import SlackMessage
from bot.views.remedies import remedy
from bot.views.run_status import KIND_TITLES, OUTCOME_TITLES, command_line
from bot.views.text import clip, code_block, duration, escape, escape_note, inline_code, plural
from liveupdate.checks import UpdateKind
from liveupdate.configdiff import FileChange
from liveupdate.llu import LluReport
from liveupdate.lparstat import FieldChange
from lpar.aftercare import Aftercare
from lpar.snapshot import RunSnapshot

DIFF_INLINE = 1800
"""config.diff up to this many characters is shown whole; a longer one is attached."""
_FILES_SHOWN = 10
_PROCESSES_SHOWN = 25
_LLU_EMOJI = {
    "succeeded": ":white_check_mark:",
    "failed": ":x:",
    "timed_out": ":alarm_clock:",
    "unknown": ":grey_question:",
}


class TextAttachment(BaseModel):
    """A text to upload as a file next to the summary (`bot.slack_client.upload_text`)."""

    model_config = ConfigDict(frozen=True)

    filename: str
    title: str
    content: str


class RunSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    message: SlackMessage
    attachment: TextAttachment | None = None
    """The full config.diff, when it does not fit in the message."""


def render_run_summary(snapshot: RunSnapshot) -> RunSummary:
    """The final summary of an ended run (`snapshot.outcome` set)."""
    run = snapshot.run
    outcome = snapshot.outcome or "failed"
    blocks: list[Block] = [
        section(
            f"{OUTCOME_TITLES[outcome]}: *{run.request_id}*, {KIND_TITLES[snapshot.kind]} on "
            f"*{escape(run.lpar)}*"
        ),
        fields(_figures(snapshot)),
    ]
    if outcome != "succeeded":
        blocks.extend(_failure(snapshot))
    elif snapshot.message:
        # A success with a word to say: closed by an admin, or a cancel that came too late.
        blocks.append(section(f":information_source: {clip(escape_note(snapshot.message), 1000)}"))
    attachment = None
    care = snapshot.aftercare
    if care is not None:
        diff_blocks, attachment = _config_diff(snapshot, care)
        blocks.extend(diff_blocks)
        if care.lparstat_changes:
            changes = "\n".join(_limit_line(c) for c in care.lparstat_changes)
            blocks.append(section(f"*lparstat -i: what changed*\n{changes}"))
        blocks.extend(_stale(snapshot, care))
    if snapshot.llu is not None:
        blocks.extend(_llu(snapshot.llu))
    if snapshot.cleanup is not None:
        blocks.append(_cleanup(snapshot, snapshot.cleanup))
    if care is not None and care.problems:
        blocks.append(context("Not read: " + "; ".join(escape(p) for p in care.problems)))
    return RunSummary(message=SlackMessage.build(_text(snapshot), blocks), attachment=attachment)


def _text(snapshot: RunSnapshot) -> str:
    run = snapshot.run
    outcome = snapshot.outcome or "failed"
    text = f"{run.request_id} on {run.lpar} {outcome} after {duration(snapshot.elapsed_seconds)}"
    if snapshot.blackout_seconds is not None:
        text += f", blackout {duration(snapshot.blackout_seconds)}"
    return text


def _figures(snapshot: RunSnapshot) -> list[tuple[str, str]]:
    # The operation's length comes from the LPAR's own timestamps; the whole run (prep, the
    # operation, post) from lkubot's clock. Both are shown, each named for what it measures.
    figures: list[tuple[str, str]] = []
    if snapshot.lpar_seconds is not None:
        figures.append(("Live update (LPAR's log)", duration(snapshot.lpar_seconds)))
    figures.append(("Whole run (prep to post)", duration(snapshot.elapsed_seconds)))
    if snapshot.kind is UpdateKind.LKU:
        blackout = (
            f"*{duration(snapshot.blackout_seconds)}*"
            if snapshot.blackout_seconds is not None
            else "none measured"
        )
        figures.append(("Blackout", blackout))
    care = snapshot.aftercare
    if care is not None and (care.oslevel_before or care.oslevel_after):
        before, after = care.oslevel_before or "unknown", care.oslevel_after or "unknown"
        level = escape(after) if before == after else f"{escape(before)} → {escape(after)}"
        figures.append(("AIX level", level))
    if snapshot.exit_code is not None:
        figures.append(("Exit code", str(snapshot.exit_code)))
    return figures


def _failure(snapshot: RunSnapshot) -> list[Block]:
    run = snapshot.run
    blocks: list[Block] = []
    lines = []
    if snapshot.message:
        lines.append(clip(escape_note(snapshot.message), 1000))
    failed_stage = next((v for v in snapshot.stages if v.state == "failed"), None)
    if failed_stage is not None:
        step = {"prep": "the prep stage", "lu": "the operation", "post": "the post stage"}.get(
            failed_stage.stage, f"the {failed_stage.stage} stage"
        )
        failed = next((c for c in failed_stage.commands if not c.ok), None)
        where = f"*Failed in {step}*"
        if failed is not None:
            where += f": {command_line(failed)}"
        lines.append(where)
        if failed is not None and failed.last_lines:
            lines.append(code_block("\n".join(failed.last_lines), 1200))
    if lines:
        blocks.append(section("\n".join(lines)))
    fatal = [e for e in snapshot.errors if e.fatal] or list(snapshot.errors)
    for error in fatal[:3]:
        advice = "\n".join(f">{escape(line)}" for line in error.advice)
        text = f":x: *{error.code}* {escape(error.message)}"
        if advice:
            text += f"\n{advice}"
        text += f"\n*What to do next:* {remedy(error.code, run.lpar, run.log_path)}"
        blocks.append(section(clip(text, MAX_SECTION_TEXT)))
    if snapshot.outcome == "cancelled" and snapshot.cancel_requested_by is not None:
        blocks.append(
            context(
                f"Cancelled by <@{snapshot.cancel_requested_by}> before the point of no return."
            )
        )
    return blocks


def _config_diff(
    snapshot: RunSnapshot, care: Aftercare
) -> tuple[list[Block], TextAttachment | None]:
    if not care.config_diff:
        if snapshot.outcome == "succeeded" and snapshot.kind is UpdateKind.LKU:
            return [context("config.diff: no watched configuration file changed.")], None
        return [], None
    files = care.config_diff
    lines = [f"*Configuration files changed* ({plural(len(files), 'file')}, config.diff)"]
    lines.extend(_file_line(change) for change in files[:_FILES_SHOWN])
    if len(files) > _FILES_SHOWN:
        lines.append(f"… and {len(files) - _FILES_SHOWN} more files")
    text = care.config_diff_text
    blocks: list[Block] = []
    attachment = None
    if len(text) <= DIFF_INLINE and not care.config_diff_truncated:
        blocks.append(section("\n".join(lines) + "\n" + code_block(text, DIFF_INLINE + 20)))
    else:
        samples = [
            f"{escape(c.path or '(no file name)')}:\n" + "\n".join(c.sample)
            for c in files[:_FILES_SHOWN]
            if c.sample
        ]
        blocks.append(section("\n".join(lines)))
        if samples:
            blocks.append(section(code_block("\n\n".join(samples), MAX_SECTION_TEXT)))
        cut = " (its first MiB)" if care.config_diff_truncated else ""
        blocks.append(context(f"The whole config.diff{cut} is attached below as a file."))
        run = snapshot.run
        attachment = TextAttachment(
            filename=f"{run.id}-{run.lpar}-config.diff",
            title=f"config.diff of {run.lpar} after {run.request_id}",
            content=text,
        )
    return blocks, attachment


def _file_line(change: FileChange) -> str:
    path = inline_code(change.path or "(no file name)")
    first = ""
    if change.sample:
        first = f" · first change {inline_code(change.sample[0], 120)}"
    return f"• {path} *+{change.added}* / *−{change.removed}*{first}"


def _limit_line(change: FieldChange) -> str:
    before, after = change.before or "(none)", change.after or "(none)"
    return f"• {escape(change.label)} {escape(before)} → {escape(after)}"


def _stale(snapshot: RunSnapshot, care: Aftercare) -> list[Block]:
    if not care.stale_processes:
        if snapshot.outcome == "succeeded" and snapshot.kind is UpdateKind.LKU:
            return [context("genld -u: no process runs old code.")]
        return []
    shown = ", ".join(
        f"{escape(p.name)} ({p.pid})" for p in care.stale_processes[:_PROCESSES_SHOWN]
    )
    more = len(care.stale_processes) - _PROCESSES_SHOWN
    if more > 0:
        shown += f" and {more} more"
    run = snapshot.run
    count = plural(len(care.stale_processes), "process", "processes")
    text = (
        f"*Still running old code* (genld -u, {count}): {shown}. Restart them, or move them "
        "to the new libraries with a live library update."
    )
    return [
        section(clip(text, MAX_SECTION_TEXT)),
        ActionsBlock(
            block_id=actions.SUMMARY_ACTIONS_BLOCK,
            elements=[
                ButtonElement(
                    text="LLU preview",
                    action_id=actions.LLU_PREVIEW,
                    value=run.lpar,
                )
            ],
        ),
    ]


def _llu(report: LluReport) -> list[Block]:
    if report.none_required:
        return [section("*Live library update*: no process needed it.")]
    lines = [
        f"{_LLU_EMOJI[p.outcome]} pid {p.pid}: {p.outcome.replace('_', ' ')}"
        + (f" · {clip(escape(p.detail), 150)}" if p.detail and p.outcome != "succeeded" else "")
        for p in report.processes[: _PROCESSES_SHOWN * 2]
    ]
    counts = {o: sum(1 for p in report.processes if p.outcome == o) for o in _LLU_EMOJI}
    head = "*Live library update, per process*: " + ", ".join(
        f"{n} {o.replace('_', ' ')}" for o, n in counts.items() if n
    )
    return [section(clip("\n".join([head, *lines]), MAX_SECTION_TEXT))]


def _cleanup(snapshot: RunSnapshot, command: str) -> ActionsBlock:
    run = snapshot.run
    return ActionsBlock(
        block_id=actions.CLEANUP_ACTIONS_BLOCK,
        elements=[
            ButtonElement(
                text=clip(f"Clean up: {command}", 75),
                action_id=actions.CLEANUP,
                value=run.id,
                confirm=confirmation(
                    f"Clean up on {run.lpar}?",
                    f"lkubot runs {inline_code(command)} on {escape(run.lpar)} to clean up "
                    "after this run. Admins only.",
                    "Clean up",
                    "Not now",
                ),
            )
        ],
    )
