"""The one-line notices for a group's notification channel (posted by `bot.notify`).

Each is a single line that makes sense on its own in a busy ops channel: what, where, who,
and where to look (the card's channel). Text people typed is escaped. The notices of a
request's end (a run ended; rejected; cancelled) also carry the audit chain's head as it was
then, `· audit head 91f4b02f4d5d3a42`: Slack keeps it where lkubot's database cannot change
it, and `lkubot audit verify --head` checks it later.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.views.blocks import section
from bot.views.message import SlackMessage
from bot.views.text import clip, duration, escape, escape_note
from liveupdate.checks import UpdateKind
from liveupdate.policy import Freeze, mention
from liveupdate.requests import Request, RequestState
from lpar.progress import RolloutHeld
from lpar.snapshot import RunSnapshot
from storage.audit import AuditHead

_REASON = 300
_NAMES = {UpdateKind.LKU: "live kernel update", UpdateKind.LLU: "live library update"}


def notice_requested(request: Request) -> SlackMessage:
    """`LU-17 requested by @carol: LKU on lpar01 (update_all from /mnt/...), in #aix-team`; a
    request whose preview failed says so."""
    what = _what(request)
    first = request.previews[0]
    if request.kind is UpdateKind.LKU and first.filesets:
        what += f" ({escape(' '.join(first.filesets))}"
        what += f" from {escape(first.media)})" if first.media else ")"
    if request.state is RequestState.PREVIEW_FAILED:
        return _line(
            f":no_entry: *{request.id}* {what}: the preview failed, so it cannot be approved"
            f"{_where(request)}."
        )
    return _line(
        f":memo: *{request.id}* {what} requested by {mention(request.requester)}, waiting for "
        f"approvals{_where(request)}."
    )


def notice_approved(request: Request) -> SlackMessage:
    """The request reached its quorum."""
    approvers = ", ".join(mention(v.user) for v in request.approvals)
    return _line(
        f":white_check_mark: *{request.id}* {_what(request)} approved by {approvers}: "
        f"ready to launch{_where(request)}."
    )


def notice_rejected(request: Request, head: AuditHead | None) -> SlackMessage:
    rejection = next(iter(request.rejections), None)
    if rejection is None:
        return _ended(f":no_entry_sign: *{request.id}* {_what(request)} was rejected.", head)
    return _ended(
        f":no_entry_sign: *{request.id}* {_what(request)} rejected by "
        f"{mention(rejection.user)}: {clip(escape(rejection.comment), _REASON)}",
        head,
    )


def notice_launched(request: Request) -> SlackMessage:
    """Launched, by whom; an override (who, what it overrode, why) is announced loudly."""
    who = mention(request.launched_by) if request.launched_by else "lkubot"
    override = request.override
    if override is None:
        return _line(
            f":rocket: *{request.id}* {_what(request)} launched by {who}{_where(request)}."
        )
    overrode = " and ".join(o.replace("_", " ") for o in override.overrode)
    return _line(
        f":rotating_light: *{request.id}* {_what(request)} launched by {who} with an admin "
        f"override of the {overrode} by {mention(override.by)}: "
        f"{clip(escape(override.reason), _REASON)}{_where(request, sentence=True)}"
    )


def notice_cancelled(request: Request, head: AuditHead | None) -> SlackMessage:
    note = f" {clip(escape_note(request.note), _REASON)}" if request.note else ""
    return _ended(f":black_square_for_stop: *{request.id}* {_what(request)} cancelled.{note}", head)


def notice_freeze(freeze: Freeze) -> SlackMessage:
    who = f" by {mention(freeze.by)}" if freeze.by else ""
    if not freeze.active:
        return _line(f":sunny: The lkubot freeze was lifted{who}: launches are allowed again.")
    why = f": {clip(escape(freeze.reason), _REASON)}" if freeze.reason else ""
    return _line(
        f":snowflake: lkubot is frozen{who}{why}. No launches anywhere until it is lifted, "
        "except an admin's recorded override."
    )


def notice_blackout(snapshot: RunSnapshot) -> SlackMessage:
    """After the blackout: how long the workload was frozen, measured from AIX's timestamps."""
    run = snapshot.run
    return _line(
        f":stopwatch: *{run.request_id}* {escape(run.lpar)}: blackout "
        f"{duration(snapshot.blackout_seconds)}; the workload runs on the surrogate LPAR now."
    )


def notice_run_ended(snapshot: RunSnapshot, head: AuditHead | None) -> SlackMessage:
    """Finished, failed or cancelled, with the one figure or reason that matters most."""
    run = snapshot.run
    name = f"*{run.request_id}* {_NAMES[snapshot.kind]} on {escape(run.lpar)}"
    if snapshot.outcome == "succeeded":
        blackout = (
            f", blackout {duration(snapshot.blackout_seconds)}"
            if snapshot.blackout_seconds is not None
            else ""
        )
        level = ""
        care = snapshot.aftercare
        if care is not None and care.level_changed:
            level = f"; AIX {escape(str(care.oslevel_before))} → {escape(str(care.oslevel_after))}"
        return _ended(
            f":tada: {name} succeeded in {duration(snapshot.elapsed_seconds)}{blackout}{level}.",
            head,
        )
    reason = f": {clip(escape_note(snapshot.message), _REASON)}" if snapshot.message else "."
    if snapshot.outcome == "unverified":
        return _ended(f":grey_question: {name} ended, but its result is unconfirmed{reason}", head)
    if snapshot.outcome == "cancelled":
        return _ended(f":black_square_for_stop: {name} was cancelled{reason}", head)
    return _ended(f":x: {name} failed{reason}", head)


def notice_rollout_held(event: RolloutHeld, request: Request) -> SlackMessage:
    """A rollout waits before its next wave (freeze, closed window, an LPAR out of reach),
    or cannot go on until an admin closes a run; the sentence says which and what to do."""
    return _line(
        f":double_vertical_bar: *{request.id}* {_what(request)}: "
        f"{clip(escape_note(event.message.rstrip('.')), 2 * _REASON)}"
        f"{_where(request, sentence=True)}"
    )


def _what(request: Request) -> str:
    return f"({request.kind.value.upper()} on {escape(request.target)})"


def _where(request: Request, *, sentence: bool = False) -> str:
    if request.card is None:
        return "." if sentence else ""
    channel = f"<#{request.card.channel}>"
    return f". See {channel}." if sentence else f"; see {channel}"


def _ended(text: str, head: AuditHead | None) -> SlackMessage:
    """A notice of a request's end, anchoring the audit chain (None: the chain is empty)."""
    return _line(f"{text} · audit head `{head.anchor}`" if head is not None else text)


def _line(text: str) -> SlackMessage:
    blocks: list[Block] = [section(text)]
    return SlackMessage.build(text, blocks)
