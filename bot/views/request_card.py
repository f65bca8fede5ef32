"""The request card: what was previewed, the checklist, the rule that applies, the votes, and
the buttons that still apply.

It is posted in the channel where `/lku preview` was typed and updated in place (chat.update
at `request.card`) every time the request moves; the same request at the same `now` always
gives the same card. Buttons appear only while they can work: [Approve] [Reject] while votes
are open and the request has not run out of time, [Launch] once approved (behind a Slack
confirm dialog that names the LPAR), nothing once it runs or is over.

The checklist shows each check's verdict and one-line summary; the evidence (command output)
is folded behind an "Evidence…" menu per LPAR whose choice lkubot answers privately with
`render_check_details`, so the channel is not flooded with output.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.views import actions
from bot.views.actions import CheckRef
from bot.views.blocks import (
    MAX_SECTION_TEXT,
    confirmation,
    context,
    divider,
    fields,
    header,
    line_sections,
    section,
)
from bot.views.message import MAX_BLOCKS, SlackMessage
from bot.views.text import (
    clip,
    code_block,
    escape,
    escape_note,
    inline_code,
    plural,
    slack_date,
)
from liveupdate.checks import CheckItem, CheckStatus, PreviewOutcome, PreviewResult, UpdateKind
from liveupdate.policy import EffectivePolicy, GroupPolicy, format_duration, mention
from liveupdate.requests import Request, RequestState, Vote, VoteDecision, valid_approvals

RAW_OUTPUT_KEY = "preview.output"
"""The `check_details` key that asks for the preview command's own output."""

DETAILED_LPARS = 8
"""Up to this many LPARs, each gets its own checklist; a bigger group gets one line per LPAR."""

KIND_NAMES = {UpdateKind.LKU: "Live Kernel Update", UpdateKind.LLU: "Live Library Update"}
STATUS_EMOJI = {
    CheckStatus.PASS: ":white_check_mark:",
    CheckStatus.WARN: ":warning:",
    CheckStatus.FAIL: ":x:",
}
STATE_LABELS = {
    RequestState.PENDING: ":hourglass_flowing_sand: Waiting for approvals",
    RequestState.PREVIEW_FAILED: ":no_entry: Preview failed",
    RequestState.APPROVED: ":white_check_mark: Approved",
    RequestState.RUNNING: ":arrows_counterclockwise: Running",
    RequestState.UNKNOWN: ":satellite: Running, out of contact",
    RequestState.SUCCEEDED: ":tada: Succeeded",
    RequestState.FAILED: ":x: Failed",
    RequestState.REJECTED: ":no_entry_sign: Rejected",
    RequestState.EXPIRED: ":hourglass: Expired",
    RequestState.CANCELLED: ":black_square_for_stop: Cancelled",
    RequestState.UNVERIFIED: ":grey_question: Ended, result unconfirmed",
    RequestState.VOID: ":recycle: Void",
}
_EVIDENCE_OPTIONS = 100
_COMMENT = 300
_CHECK_LINE = 300


class CheckNotFound(LookupError):
    """A `check_details` choice names a check the request does not hold."""


def render_request_card(
    request: Request, policy: GroupPolicy | None, now: datetime
) -> SlackMessage:
    """The card for `request` in its current state, judged at `now` (which approvals still
    count, whether it has run out of time). `policy` is None when the request's group is no
    longer in the inventory: the card shows what was recorded, says that nothing more can be
    decided, and offers no buttons (every vote or launch would be refused)."""
    counted = _counted(request, policy, now)
    blocks: list[Block] = [
        header(f"{request.id}: {KIND_NAMES[request.kind]} on {request.target}"),
        fields(_facts(request)),
        section(_state_sentence(request, policy, now, counted)),
        context(_rule(policy) if policy is not None else _group_gone(request)),
        divider(),
    ]
    tail: list[Block] = []
    if request.votes:
        tail.append(section(_votes(request, counted)))
    buttons = _buttons(request, now) if policy is not None else []
    if buttons:
        tail.append(ActionsBlock(block_id=actions.REQUEST_ACTIONS_BLOCK, elements=buttons))
    room = MAX_BLOCKS - len(blocks) - len(tail)
    blocks.extend(_checklist(request, room))
    blocks.extend(tail)
    return SlackMessage.build(_fallback(request, policy, counted), blocks)


def render_check_details(request: Request, ref: CheckRef) -> SlackMessage:
    """The evidence behind one checklist item (or the preview's own output), for a private
    reply to whoever asked; `CheckNotFound` when the request holds no such check."""
    preview = next((p for p in request.previews if p.lpar == ref.lpar), None)
    if preview is None or ref.request_id != request.id:
        raise CheckNotFound(f"{request.id} has no preview of {ref.lpar}.")
    check = next((c for c in preview.checks if c.key == ref.key), None)
    if check is not None:
        title = f"{STATUS_EMOJI[check.status]} *{escape(check.title)}* on {ref.lpar} ({request.id})"
        summary, evidence = escape(check.summary), check.evidence
    elif ref.key == RAW_OUTPUT_KEY:
        title = f"*{_preview_command(preview)}* on {ref.lpar} ({request.id})"
        summary, evidence = f"The preview {preview.outcome.value}.", preview.raw_output
    else:
        raise CheckNotFound(
            f"{request.id} has no check {ref.key!r} on {ref.lpar}: the card may be older than "
            "this version of lkubot."
        )
    blocks: list[Block] = [section(f"{title}\n{summary}")]
    if evidence.strip():
        blocks.append(section(code_block(evidence, MAX_SECTION_TEXT)))
    else:
        blocks.append(context("No output was recorded for this check."))
    return SlackMessage.build(f"{request.id} {ref.lpar}: {ref.key}", blocks)


# The parts of the card ---------------------------------------------------------------------


def _counted(request: Request, policy: GroupPolicy | None, now: datetime) -> tuple[Vote, ...]:
    if policy is None:
        # Without the group's approval_ttl nothing can be judged: show the votes as recorded.
        return tuple(v for v in request.votes if v.decision is VoteDecision.APPROVE)
    # valid_approvals reads only the group's approval_ttl: no membership lookup is needed to
    # tell which approvals still count, so none is offered.
    return valid_approvals(request, EffectivePolicy(group=policy, membership=_no_lookup), now)


def _no_lookup(user: str, usergroup: str, /) -> bool:
    raise LookupError("the card does not decide who is an approver")


def _facts(request: Request) -> list[tuple[str, str]]:
    first = request.previews[0]
    target = request.target
    if len(request.previews) > 1:
        target += f" ({plural(len(request.previews), 'LPAR')})"
    facts = [
        ("Target", f"{escape(target)} · group {escape(request.group)}"),
        ("Requested by", f"{mention(request.requester)} · {slack_date(request.created_at)}"),
    ]
    if request.kind is UpdateKind.LKU:
        items = " ".join(first.filesets) or "(nothing named)"
        facts.append(("Install", inline_code(items, 1000)))
        facts.append(("Media", inline_code(first.media) if first.media else "none given (-d)"))
    levels = sorted({p.oslevel for p in request.previews})
    facts.append(("AIX level", ", ".join(escape(level) for level in levels[:5])))
    facts.append(("State", STATE_LABELS[request.state]))
    return facts


def _state_sentence(
    request: Request, policy: GroupPolicy | None, now: datetime, counted: tuple[Vote, ...]
) -> str:
    state = request.state
    if state.open_for_votes and now >= request.expires_at:
        why = (
            "the quorum was not reached in time"
            if state is RequestState.PENDING
            else "the approvals are too old"
        )
        return (
            f"*Expired* at {slack_date(request.expires_at)}: {why}. "
            "Preview again to open a new request."
        )
    if policy is None and state.open_for_votes:
        return f"{plural(len(counted), 'approval')} recorded."
    if state is RequestState.PENDING and policy is not None:
        return (
            f"*{len(counted)} of {policy.approvals_required}* approvals. Open for votes until "
            f"{slack_date(request.expires_at)}."
        )
    if state is RequestState.APPROVED and policy is not None:
        return (
            f"*Approved* ({len(counted)} of {policy.approvals_required}). It can be launched "
            f"until {slack_date(request.expires_at)}."
        )
    parts: list[str] = []
    if request.launched_by and request.launched_at:
        parts.append(
            f"Launched by {mention(request.launched_by)} · {slack_date(request.launched_at)}."
        )
    if request.override is not None:
        overrode = " and ".join(o.replace("_", " ") for o in request.override.overrode)
        parts.append(
            f":rotating_light: *Override* of the {overrode} by {mention(request.override.by)}: "
            f"{escape(request.override.reason)}"
        )
    if state is RequestState.RUNNING:
        parts.append("Follow the run in this thread.")
    elif request.ended_at is not None and state is not RequestState.PREVIEW_FAILED:
        parts.append(f"Ended {slack_date(request.ended_at)}.")
    if state is RequestState.EXPIRED:
        parts.append("The approvals ran out of time: preview again to open a new request.")
    if request.note:
        parts.append(escape_note(request.note))
    return "\n".join(parts) or STATE_LABELS[state]


def _rule(policy: GroupPolicy) -> str:
    approvers = ", ".join(mention(p) for p in policy.approvers)
    rule = (
        f":scales: Needs {plural(policy.approvals_required, 'approval')} from {approvers}, "
        f"not the requester, within {format_duration(policy.approval_ttl)} of the preview."
    )
    if policy.change_windows:
        windows = "; ".join(w.describe() for w in policy.change_windows)
        rule += f" Launches only in change windows: {windows}."
    return rule


def _group_gone(request: Request) -> str:
    gone = f":warning: Group {escape(request.group)} is no longer in the inventory"
    if request.state.open_for_votes:
        return f"{gone}, so this request cannot be voted on or launched: preview again."
    return f"{gone}."


def _votes(request: Request, counted: tuple[Vote, ...]) -> str:
    lines = []
    for vote in request.votes:
        if vote.decision is VoteDecision.APPROVE:
            note = "" if vote in counted else " _(no longer counts)_"
            line = f":+1: {mention(vote.user)} approved · {slack_date(vote.at)}{note}"
        else:
            line = f":no_entry_sign: {mention(vote.user)} rejected · {slack_date(vote.at)}"
        if vote.comment:
            line += f"\n>{clip(escape(vote.comment), _COMMENT)}"
        lines.append(line)
    return "\n".join(lines)


def _buttons(request: Request, now: datetime) -> list[ButtonElement]:
    if not request.state.open_for_votes or now >= request.expires_at:
        return []
    buttons = []
    if request.state is RequestState.APPROVED:
        buttons.append(
            ButtonElement(
                text="Launch",
                action_id=actions.LAUNCH,
                value=request.id,
                style="primary",
                confirm=_launch_confirmation(request),
            )
        )
    buttons.append(
        ButtonElement(
            text="Approve",
            action_id=actions.APPROVE,
            value=request.id,
            style=None if request.state is RequestState.APPROVED else "primary",
        )
    )
    buttons.append(
        ButtonElement(text="Reject", action_id=actions.REJECT, value=request.id, style="danger")
    )
    return buttons


def _launch_confirmation(request: Request) -> ConfirmObject:
    lpars = request.lpars
    where = lpars[0] if len(lpars) == 1 else f"{len(lpars)} LPARs of {request.target}, in waves"
    if request.kind is UpdateKind.LKU:
        what = (
            f"Start the live kernel update on {where} now? The workload is frozen for a short "
            "blackout; the run can be cancelled only until the point of no return."
        )
    else:
        what = (
            f"Start the live library update on {where} now? Running processes move to the "
            "new libraries without a restart."
        )
    target = lpars[0] if len(lpars) == 1 else request.target
    return confirmation(
        f"Launch {request.id} on {target}?", escape(what), "Launch", "Not now", "primary"
    )


def _checklist(request: Request, room: int) -> list[Block]:
    if len(request.previews) <= DETAILED_LPARS:
        blocks: list[Block] = []
        for preview in request.previews:
            blocks.extend(_lpar_checklist(request, preview))
        return blocks[:room]
    return _group_checklist(request, room)


def _lpar_checklist(request: Request, preview: PreviewResult) -> list[Block]:
    counts = _counts(preview.checks)
    head = f"*Checks on {preview.lpar}*" + (f" · {counts}" if counts else "")
    lines = [head, *(_check_line(check) for check in preview.checks)]
    options = [
        Option(
            text=clip(f"{c.title}", 75),
            value=CheckRef(request_id=request.id, lpar=preview.lpar, key=c.key).to_value(),
        )
        for c in preview.checks
    ]
    options.append(
        Option(
            text=clip(_preview_command(preview), 75),
            value=CheckRef(request_id=request.id, lpar=preview.lpar, key=RAW_OUTPUT_KEY).to_value(),
        )
    )
    menu = StaticSelectElement(
        action_id=actions.CHECK_DETAILS,
        placeholder="Evidence…",
        options=options[-_EVIDENCE_OPTIONS:],
    )
    return [
        SectionBlock(
            text=MarkdownTextObject(text=clip("\n".join(lines), MAX_SECTION_TEXT)),
            accessory=menu,
        ),
        context(_outcome_line(preview)),
    ]


def _group_checklist(request: Request, room: int) -> list[Block]:
    lines = []
    flagged: list[tuple[PreviewResult, CheckItem]] = []
    for preview in sorted(request.previews, key=_severity):
        worst = preview.worst_status()
        if preview.outcome is PreviewOutcome.FAILED:
            worst = CheckStatus.FAIL
        problems = [c for c in preview.checks if c.status is not CheckStatus.PASS]
        flagged.extend((preview, c) for c in problems)
        detail = "; ".join(f"{escape(c.title)}: {escape(c.summary)}" for c in problems)
        outcome = "" if preview.outcome is PreviewOutcome.PASSED else " · preview failed"
        lines.append(
            clip(
                f"{STATUS_EMOJI[worst]} *{preview.lpar}* {_counts(preview.checks)}{outcome}"
                + (f" · {detail}" if detail else ""),
                _CHECK_LINE,
            )
        )
    blocks: list[Block] = []
    if flagged:
        blocks.append(
            ActionsBlock(
                elements=[
                    StaticSelectElement(
                        action_id=actions.CHECK_DETAILS,
                        placeholder="Evidence of a warning or failure…",
                        options=[
                            Option(
                                text=clip(f"{p.lpar}: {c.title}", 75),
                                value=CheckRef(
                                    request_id=request.id, lpar=p.lpar, key=c.key
                                ).to_value(),
                            )
                            for p, c in flagged[:_EVIDENCE_OPTIONS]
                        ],
                    )
                ]
            )
        )
    sections = line_sections(lines, max(room - len(blocks), 1), more="LPARs")
    return [*sections, *blocks][:room]


def _severity(preview: PreviewResult) -> tuple[int, str]:
    order = {CheckStatus.FAIL: 0, CheckStatus.WARN: 1, CheckStatus.PASS: 2}
    worst = CheckStatus.FAIL if preview.outcome is PreviewOutcome.FAILED else preview.worst_status()
    return order[worst], preview.lpar


def _check_line(check: CheckItem) -> str:
    summary = f": {escape(check.summary)}" if check.summary else ""
    return clip(f"{STATUS_EMOJI[check.status]} *{escape(check.title)}*{summary}", _CHECK_LINE)


def _counts(checks: tuple[CheckItem, ...]) -> str:
    parts = []
    for status in (CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL):
        count = sum(1 for c in checks if c.status is status)
        if count:
            parts.append(f"{count} {status.value}")
    return ", ".join(parts)


def _preview_command(preview: PreviewResult) -> str:
    if preview.kind is UpdateKind.LLU:
        return "llvupdate -P"
    media = f" -d {preview.media}" if preview.media else ""
    return f"geninstall -k -p{media} {' '.join(preview.filesets)}".rstrip()


def _outcome_line(preview: PreviewResult) -> str:
    verdict = (
        ":white_check_mark: passed" if preview.outcome is PreviewOutcome.PASSED else ":x: failed"
    )
    command = inline_code(_preview_command(preview))
    return f"{command} {verdict} · previewed {slack_date(preview.previewed_at)}"


def _fallback(request: Request, policy: GroupPolicy | None, counted: tuple[Vote, ...]) -> str:
    kind = request.kind.value.upper()
    state = request.state
    if state is RequestState.PENDING:
        needed = f" of {policy.approvals_required}" if policy is not None else ""
        where = f"{len(counted)}{needed} approvals"
    else:
        where = STATE_LABELS[state].split(" ", 1)[1].lower()
    who = mention(request.requester)
    return f"{request.id}: {kind} on {request.target}, requested by {who}: {where}"
