"""Answers to the commands that only read (help, list, status, history) and the short private
replies (a confirmation, a refusal, "Previewing lpar01...")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import Block

from bot.views.blocks import context, header, line_sections, section
from bot.views.message import MAX_BLOCKS, SlackMessage
from bot.views.request_card import KIND_NAMES, STATE_LABELS
from bot.views.text import clip, duration, escape, escape_note, slack_date
from commands.words import USAGE, Kind, usage
from liveupdate.checks import UpdateKind
from liveupdate.policy import Freeze, mention
from liveupdate.requests import Request, RequestState
from liveupdate.runs import Lock, Run, RunState
from lpar.progress import CommandOutcome
from storage.reports import HistoryEntry

ANYONE = "anyone in the channel"
APPROVERS = "approvers of the LPAR's group, never the requester"
INVOLVED = "the requester, approvers of the group, admins"
ADMINS = "lkubot admins"

# What each verb does and who may use it, in the order `help` lists them.
VERB_HELP: dict[str, tuple[str, str]] = {
    "preview": (
        "Run the pre-stage checks and the preview on TARGET (an LPAR, or `group:NAME` for a "
        "rollout in waves) and open a request; its card appears in this channel.",
        ANYONE,
    ),
    "approve": ("Approve a request (its [Approve] button does the same).", APPROVERS),
    "reject": (
        "Reject a request, saying why; one reject ends it ([Reject] asks for the reason).",
        "approvers of the LPAR's group, admins",
    ),
    "launch": (
        "Start an approved request. During a freeze or outside the group's change windows an "
        "admin adds `override REASON`; the override is recorded and announced.",
        INVOLVED,
    ),
    "cancel": (
        "Cancel a request, or stop its run while it can still be stopped (before the point "
        "of no return).",
        INVOLVED,
    ),
    "status": ("Where a request or an LPAR stands; alone, the same as `list`.", ANYONE),
    "list": ("Open requests, locked LPARs and the freeze.", ANYONE),
    "history": ("Past requests and runs on one LPAR, newest first.", ANYONE),
    "lock": ("Hold an LPAR: nothing launches on it until it is unlocked.", ADMINS),
    "unlock": ("Lift a hold placed with `lock`.", ADMINS),
    "freeze": ("Stop (`on REASON`) or allow again (`off`) every launch everywhere.", ADMINS),
    "cleanup": (
        "Clean up on the LPAR after a run that failed or was cancelled: `clvupdate` after a "
        "kernel update, `cllvupdate -u` after a library update (its [Clean up] button does "
        "the same). The LPAR is held while it runs.",
        ADMINS,
    ),
    "resolve": (
        "Close a run lkubot has lost track of (unknown: no log, no exit line, out of reach) "
        "after checking the LPAR, saying how it ended and why you know; the LPAR is free "
        "again and the request goes on.",
        ADMINS,
    ),
    "help": ("This list, or one command in detail.", ANYONE),
}
EXAMPLES: dict[str, str] = {
    "preview": "preview lpar01 update_all -d /mnt/7300-03-01",
    "approve": "approve LU-17 checked the backup",
    "reject": "reject LU-17 not during month-end close",
    "launch": "launch LU-17",
    "cancel": "cancel LU-17",
    "status": "status LU-17",
    "list": "list",
    "history": "history lpar01",
    "lock": "lock lpar01 storage migration until Friday",
    "unlock": "unlock lpar01",
    "freeze": "freeze on datacenter maintenance",
    "cleanup": "cleanup LU-17-1",
    "resolve": "resolve LU-17-1 failed oslevel unchanged, clvupdate done by hand",
    "help": "help launch",
}
LLU_EXAMPLES = {"preview": "preview lpar01"}

_LIST_LINES = 200


def render_help(kind: Kind, topic: str | None = None) -> SlackMessage:
    """Every verb of `/lku` or `/llu` with its usage and who may use it, or one verb in detail
    with an example."""
    name = KIND_NAMES[UpdateKind(kind)]
    if topic is not None:
        what, who = VERB_HELP[topic]
        example = (LLU_EXAMPLES if kind == "llu" else {}).get(topic, EXAMPLES[topic])
        text = f"`{usage(kind, topic)}`\n{what}\n*Who:* {who}.\n*Example:* `/{kind} {example}`"
        return SlackMessage.build(f"/{kind} {topic}: {what}", [section(text)])
    lines = [
        f"`{usage(kind, verb)}`\n      {VERB_HELP[verb][0]} _({VERB_HELP[verb][1]})_"
        for verb in USAGE
    ]
    blocks: list[Block] = [
        header(f"/{kind}: {name}s"),
        *line_sections(lines, MAX_BLOCKS - 2),
        context(f"`/{kind} help VERB` shows one command with an example."),
    ]
    return SlackMessage.build(f"/{kind} commands: " + ", ".join(USAGE), blocks)


def render_notice(text: str) -> SlackMessage:
    """A one-sentence private answer ("Previewing lpar01...", "lpar01 is locked."). `text` is
    lkubot's own mrkdwn; whatever a person typed in it must already be escaped, or be a
    sentence from lkubot's errors (see `bot.views.text.escape_note`)."""
    return SlackMessage.build(text, [section(escape_note(text))])


def render_cleanup(lpar: str, outcome: CommandOutcome) -> SlackMessage:
    """How the clean-up an admin asked for went: done, or what it said when it failed."""
    if outcome.ok:
        said = "done"
    elif outcome.exit_status is None:
        said = f"no answer: {outcome.error}"
    else:
        last = outcome.last_lines[-1] if outcome.last_lines else "no output"
        said = f"exit status {outcome.exit_status} ({last})"
    return render_notice(f"`{outcome.command}` on {lpar}: {said}.")


def render_error(sentence: str, reference: str | None = None) -> SlackMessage:
    """A private answer for an error: its own sentence or, for an unexpected one, that
    something broke and the short reference that the log line carries."""
    blocks: list[Block] = [section(f":warning: {escape_note(sentence)}")]
    if reference is not None:
        blocks.append(
            context(f"Reference `{escape(reference)}`: your lkubot admin finds it in the log.")
        )
    return SlackMessage.build(sentence, blocks)


def render_request_list(
    requests: Sequence[Request], locks: Sequence[Lock], freeze: Freeze, now: datetime
) -> SlackMessage:
    """`/lku list`: the open requests, the LPAR locks and the freeze."""
    blocks: list[Block] = [header("Live updates")]
    if freeze.active:
        blocks.append(section(_freeze_line(freeze)))
    lines = [_request_line(r, now) for r in requests] or ["No open requests."]
    blocks.extend(line_sections(lines[:_LIST_LINES], 20, more="requests"))
    if locks:
        blocks.extend(line_sections([_lock_line(lock) for lock in locks], 20, more="locks"))
    counts = f"{len(requests)} open request(s), {len(locks)} locked LPAR(s)"
    if freeze.active:
        counts += ", frozen"
    blocks.append(context("`/lku status LU-17` or `/lku status LPAR` for one of them."))
    return SlackMessage.build(f"Live updates: {counts}", blocks[:MAX_BLOCKS])


def render_request_status(request: Request, runs: Sequence[Run], now: datetime) -> SlackMessage:
    """`/lku status LU-17`: the request's state, votes and each LPAR's run."""
    approvals = [mention(v.user) for v in request.approvals]
    lines = [
        _request_line(request, now),
        f"Approved by {', '.join(approvals)}" if approvals else "No approvals yet.",
    ]
    if request.note:
        lines.append(escape_note(request.note))
    if request.card is not None:
        lines.append(f"Card in <#{request.card.channel}>.")
    blocks: list[Block] = [section("\n".join(lines))]
    run_lines = [_run_line(run) for run in runs]
    blocks.extend(line_sections(run_lines, MAX_BLOCKS - 2, more="runs"))
    state = STATE_LABELS[request.state].split(" ", 1)[1].lower()
    return SlackMessage.build(f"{request.id}: {state}", blocks)


def render_lpar_status(
    lpar: str, lock: Lock | None, requests: Sequence[Request], now: datetime
) -> SlackMessage:
    """`/lku status lpar01`: who holds it, and its latest requests."""
    held = _lock_line(lock) if lock else f":unlock: {escape(lpar)} is not locked."
    lines = [_request_line(r, now) for r in requests] or [f"No requests for {escape(lpar)} yet."]
    blocks: list[Block] = [section(f"*{escape(lpar)}*\n{held}")]
    blocks.extend(line_sections(lines, MAX_BLOCKS - 1, more="requests"))
    return SlackMessage.build(f"{lpar}: {'locked' if lock else 'not locked'}", blocks)


def render_history(lpar: str, entries: Sequence[HistoryEntry]) -> SlackMessage:
    """`/lku history lpar01`: past requests and runs on the LPAR, newest first."""
    lines = [_history_line(entry) for entry in entries] or [
        f"lkubot has no requests for {escape(lpar)}."
    ]
    blocks: list[Block] = [header(f"History of {lpar}")]
    blocks.extend(line_sections(lines, MAX_BLOCKS - 1, more="entries"))
    return SlackMessage.build(f"History of {lpar}: {len(entries)} request(s)", blocks)


def _request_line(request: Request, now: datetime) -> str:
    kind = request.kind.value.upper()
    label = STATE_LABELS[request.state]
    if request.state.open_for_votes and now >= request.expires_at:
        label = STATE_LABELS[RequestState.EXPIRED]
    line = (
        f"*{request.id}* {kind} on {escape(request.target)} · {label} · "
        f"by {mention(request.requester)} {slack_date(request.created_at)}"
    )
    if request.state is RequestState.APPROVED:
        line += f" · launch before {slack_date(request.expires_at)}"
    return line


def _run_line(run: Run) -> str:
    state = {
        RunState.STARTING: ":hourglass_flowing_sand: starting",
        RunState.RUNNING: ":arrows_counterclockwise: running",
        RunState.SUCCEEDED: ":tada: succeeded",
        RunState.FAILED: ":x: failed",
        RunState.CANCELLED: ":black_square_for_stop: cancelled",
        RunState.UNVERIFIED: ":grey_question: ended, result unconfirmed",
        RunState.UNKNOWN: ":satellite: out of contact",
    }[run.state]
    line = f"`{run.id}` {escape(run.lpar)}: {state} since {slack_date(run.started_at)}"
    if run.point_of_no_return and not run.state.terminal:
        line += " · past the point of no return"
    if run.blackout_seconds is not None:
        line += f" · blackout {duration(run.blackout_seconds)}"
    if run.last_error:
        line += f"\n>{clip(escape(run.last_error), 300)}"
    return line


def _lock_line(lock: Lock) -> str:
    holder = f"run `{lock.owner}`" if lock.owner.startswith("LU-") else mention(lock.owner)
    reason = f": {clip(escape(lock.reason), 200)}" if lock.reason else ""
    return f":lock: *{escape(lock.lpar)}* held by {holder} since {slack_date(lock.since)}{reason}"


def _freeze_line(freeze: Freeze) -> str:
    who = f" by {mention(freeze.by)}" if freeze.by else ""
    since = f" since {slack_date(freeze.since)}" if freeze.since else ""
    why = f": {clip(escape(freeze.reason), 300)}" if freeze.reason else ""
    return f":snowflake: *Frozen*{who}{since}{why}. No launches without an admin override."


def _history_line(entry: HistoryEntry) -> str:
    parts = [
        f"*{entry.request_id}* {entry.kind.value.upper()} · {STATE_LABELS[entry.state]}",
        f"asked by {mention(entry.requester)} {slack_date(entry.created_at)}",
    ]
    if entry.approved_by:
        parts.append("approved by " + ", ".join(mention(u) for u in entry.approved_by))
    if entry.rejected_by:
        parts.append(f"rejected by {mention(entry.rejected_by)}")
    if entry.override is not None:
        parts.append(f":rotating_light: override by {mention(entry.override.by)}")
    if entry.launched_by:
        parts.append(f"launched by {mention(entry.launched_by)}")
    if entry.run is not None and entry.run.blackout_seconds is not None:
        parts.append(f"blackout {duration(entry.run.blackout_seconds)}")
    if entry.ended_at is not None:
        parts.append(f"ended {slack_date(entry.ended_at)}")
    line = " · ".join(parts)
    if entry.note:
        line += f"\n>{clip(escape_note(entry.note), 300)}"
    return line
