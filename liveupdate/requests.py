"""A request to live-update one LPAR or a group, and the state machine it moves through.

    open_request ──> pending ──approve (quorum)──> approved ──launch──> running ──> succeeded
         │             │  ▲ approve (below quorum)   │  │   ▲ resumed   │  │        failed
         │             │  │                          │  │   │          │  │        unverified
         │             │  └──────────┘                │  │   │          │  └────> cancelled
         └─> preview_failed (a blocked preview)       │  │  unknown <───┘ lost contact
                       │                              │  └─ launch, fingerprint changed ─> void
                       ├── reject (any one) ──────────┴──> rejected
                       ├── cancel ────────────────────────> cancelled
                       └── expire (approval_ttl) ─────────> expired

Every transition is `apply(request, event, policy, now)`: it returns the new request (with
`version` one higher, which storage uses for compare-and-set) or raises a `Refused` error
whose text the user can act on. Nothing here reads the clock or talks to Slack or SQLite.

Expiry: a request must reach its quorum within `approval_ttl` of its preview; once approved it
may launch until the quorum-th newest approval is older than `approval_ttl` (a fresh approval
extends it). `expires_at` always holds that moment, so a sweeper can find due requests without
the policy. Votes on a due request are refused; the `Expire` event records the expiry.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from liveupdate.checks import LPAR_NAME_PATTERN, PreviewResult, UpdateKind
from liveupdate.errors import (
    AlreadyVoted,
    LaunchBlocked,
    NotAnApprover,
    NotPermitted,
    OverrideRefused,
    QuorumNotMet,
    RequesterCannotVote,
    RequestExpired,
    WrongState,
)
from liveupdate.fingerprint import combine_fingerprints
from liveupdate.policy import (
    SLACK_USER_ID_PATTERN,
    EffectivePolicy,
    SlackUserId,
    is_admin,
    is_approver,
    mention,
    next_window_opening,
)

REQUEST_ID_PATTERN = r"^LU-[1-9][0-9]{0,8}$"
RequestId = Annotated[str, StringConstraints(pattern=REQUEST_ID_PATTERN)]
Target = Annotated[str, StringConstraints(pattern=r"^(group:)?" + LPAR_NAME_PATTERN[1:])]
"""An LPAR name (`lpar01`) or a whole inventory group (`group:prod`)."""
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Actor = Annotated[str, StringConstraints(pattern=SLACK_USER_ID_PATTERN)]

MIN_OVERRIDE_REASON = 10
"""An override reason is evidence for auditors: a few words at least, not "x"."""


def format_request_id(number: int) -> str:
    return f"LU-{number}"


class RequestState(StrEnum):
    PENDING = "pending"
    """Previewed, waiting for approvals."""
    PREVIEW_FAILED = "preview_failed"
    """The preview failed or a check failed: kept as a record, nothing can be done with it."""
    APPROVED = "approved"
    RUNNING = "running"
    UNKNOWN = "unknown"
    """The LPAR became unreachable mid-run: lkubot cannot tell how it is going until reattach."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    UNVERIFIED = "unverified"
    """The run ended, but lkubot could not confirm its result: check the LPAR."""
    VOID = "void"
    """What was previewed changed before launch: approvals void, preview again."""

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def open_for_votes(self) -> bool:
        return self in (RequestState.PENDING, RequestState.APPROVED)


_TERMINAL = frozenset(
    {
        RequestState.PREVIEW_FAILED,
        RequestState.SUCCEEDED,
        RequestState.FAILED,
        RequestState.REJECTED,
        RequestState.EXPIRED,
        RequestState.CANCELLED,
        RequestState.UNVERIFIED,
        RequestState.VOID,
    }
)


class VoteDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Vote(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user: SlackUserId
    decision: VoteDecision
    comment: str = ""
    at: AwareDatetime
    fingerprint: Fingerprint
    """What the voter saw; always the request's own, kept so each vote stands alone as evidence."""


class Override(BaseModel):
    """An admin's break-glass launch through a freeze or outside a change window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by: SlackUserId
    reason: str
    at: AwareDatetime
    overrode: tuple[Literal["freeze", "change_window"], ...]


class SlackLocation(BaseModel):
    """Where a message lives in Slack, so it can be edited later. Opaque to everything else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str = Field(min_length=1)
    ts: str = Field(min_length=1)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RequestId
    kind: UpdateKind
    target: Target
    group: str = Field(min_length=1)
    """The inventory group whose policy applies."""
    requester: SlackUserId
    created_at: AwareDatetime
    previews: tuple[PreviewResult, ...] = Field(min_length=1)
    """One per LPAR of the target."""
    fingerprint: Fingerprint
    state: RequestState
    votes: tuple[Vote, ...] = ()
    expires_at: AwareDatetime
    card: SlackLocation | None = None
    override: Override | None = None
    launched_by: SlackUserId | None = None
    launched_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    note: str | None = None
    """Why it is void, unknown, failed or cancelled, in a sentence."""
    version: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Request:
        lpars = [p.lpar for p in self.previews]
        if len(set(lpars)) != len(lpars):
            raise ValueError("a request holds one preview per LPAR")
        if not self.target.startswith("group:") and lpars != [self.target]:
            raise ValueError(f"a request for {self.target} needs exactly that LPAR's preview")
        if any(p.kind is not self.kind for p in self.previews):
            raise ValueError(f"every preview of a {self.kind.value} request must be one")
        if self.fingerprint != combine_fingerprints(self.fingerprints):
            raise ValueError("the fingerprint does not match the previews")
        voters = [v.user for v in self.votes]
        if len(set(voters)) != len(voters):
            raise ValueError("one vote per person")
        return self

    @property
    def lpars(self) -> tuple[str, ...]:
        return tuple(p.lpar for p in self.previews)

    @property
    def fingerprints(self) -> dict[str, str]:
        return {p.lpar: p.fingerprint for p in self.previews}

    @property
    def approvals(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.votes if v.decision is VoteDecision.APPROVE)

    @property
    def rejections(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.votes if v.decision is VoteDecision.REJECT)

    def vote_of(self, user: str) -> Vote | None:
        return next((v for v in self.votes if v.user == user), None)


# Events ------------------------------------------------------------------------------------


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Approve(_Event):
    type: Literal["approve"] = "approve"
    user: Actor
    comment: str = ""


class Reject(_Event):
    type: Literal["reject"] = "reject"
    user: Actor
    reason: str = Field(min_length=1)


class Launch(_Event):
    """Start the update. `fingerprints` are what the re-check at launch saw, per LPAR."""

    type: Literal["launch"] = "launch"
    user: Actor
    fingerprints: dict[str, Fingerprint]
    override_reason: str | None = None


class Cancel(_Event):
    type: Literal["cancel"] = "cancel"
    user: Actor
    reason: str = ""


class Expire(_Event):
    type: Literal["expire"] = "expire"


class LoseContact(_Event):
    type: Literal["lose_contact"] = "lose_contact"
    detail: str


class Resume(_Event):
    type: Literal["resume"] = "resume"


class Finish(_Event):
    type: Literal["finish"] = "finish"
    outcome: Literal["succeeded", "failed", "cancelled", "unverified"]
    detail: str | None = None


UserEvent = Annotated[Approve | Reject | Launch | Cancel, Field(discriminator="type")]
"""Something a person asked for: checked against the policy."""
SystemEvent = Annotated[Expire | LoseContact | Resume | Finish, Field(discriminator="type")]
"""Something lkubot observed: time passing, a run's fate."""
Event = Annotated[
    Approve | Reject | Launch | Cancel | Expire | LoseContact | Resume | Finish,
    Field(discriminator="type"),
]


# Opening -----------------------------------------------------------------------------------


def open_request(
    *,
    request_id: str,
    kind: UpdateKind,
    target: str,
    group: str,
    requester: str,
    previews: tuple[PreviewResult, ...],
    policy: EffectivePolicy,
    now: datetime,
) -> Request:
    """A new request from its previews: pending, or preview_failed when any preview is blocked."""
    blocked = [p for p in previews if p.blocked]
    note = None
    if blocked:
        note = "The preview failed on " + ", ".join(p.lpar for p in blocked) + "."
    return Request(
        id=request_id,
        kind=kind,
        target=target,
        group=group,
        requester=requester,
        created_at=now,
        previews=previews,
        fingerprint=combine_fingerprints({p.lpar: p.fingerprint for p in previews}),
        state=RequestState.PREVIEW_FAILED if blocked else RequestState.PENDING,
        expires_at=now + policy.group.approval_ttl,
        ended_at=now if blocked else None,
        note=note,
    )


# Transitions -------------------------------------------------------------------------------


def apply(request: Request, event: Event, policy: EffectivePolicy, now: datetime) -> Request:
    """The request after `event` at `now`, or a `Refused` error saying why not."""
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime as now")
    match event:
        case Approve():
            return _approve(request, event, policy, now)
        case Reject():
            return _reject(request, event, policy, now)
        case Launch():
            return _launch(request, event, policy, now)
        case Cancel():
            return _cancel(request, event, policy, now)
        case Expire() | LoseContact() | Resume() | Finish():
            return observe(request, event, now)


def observe(request: Request, event: SystemEvent, now: datetime) -> Request:
    """What lkubot itself saw happen (time passing, a run's fate): no person, no policy."""
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime as now")
    match event:
        case Expire():
            if not request.state.open_for_votes or now < request.expires_at:
                raise WrongState(f"{request.id} is not due to expire.")
            return _next(request, state=RequestState.EXPIRED, ended_at=now)
        case LoseContact():
            _require(request, RequestState.RUNNING, doing="lose contact with")
            return _next(request, state=RequestState.UNKNOWN, note=event.detail)
        case Resume():
            _require(request, RequestState.UNKNOWN, doing="resume")
            return _next(request, state=RequestState.RUNNING, note=None)
        case Finish():
            _require(request, RequestState.RUNNING, RequestState.UNKNOWN, doing="finish")
            return _next(
                request, state=RequestState(event.outcome), ended_at=now, note=event.detail
            )


def valid_approvals(request: Request, policy: EffectivePolicy, now: datetime) -> tuple[Vote, ...]:
    """Approvals that still count at `now`: younger than approval_ttl, for this fingerprint."""
    ttl = policy.group.approval_ttl
    return tuple(
        v
        for v in request.approvals
        if v.at + ttl > now and v.fingerprint == request.fingerprint and v.user != request.requester
    )


def check_launch(
    request: Request,
    user: str,
    override_reason: str | None,
    policy: EffectivePolicy,
    now: datetime,
) -> Override | None:
    """Everything a launch needs except the fingerprint re-check, so a refusal can be given
    before lkubot spends an SSH round trip; returns the override to record, if one is used."""
    if request.state is RequestState.PENDING:
        have = len(valid_approvals(request, policy, now))
        raise QuorumNotMet(
            f"{request.id} has {have} of the {policy.group.approvals_required} approvals it "
            "needs: it can launch once enough approvers agree."
        )
    _require(request, RequestState.APPROVED, doing="launch")
    _require_involved(request, user, policy, doing="launch")
    _refuse_if_due(request, now)
    have = len(valid_approvals(request, policy, now))
    if have < policy.group.approvals_required:
        raise QuorumNotMet(
            f"{request.id} has {have} valid approvals but group {request.group} now needs "
            f"{policy.group.approvals_required}: ask for more approvals."
        )
    blockers: list[Literal["freeze", "change_window"]] = []
    if policy.freeze.active:
        blockers.append("freeze")
    if not policy.group.window_open(now):
        blockers.append("change_window")
    if not blockers:
        return None
    if override_reason is None:
        raise LaunchBlocked(_blocked_sentence(request, blockers, policy, now))
    if not is_admin(user, policy):
        raise OverrideRefused(
            "Only an lkubot admin can launch through a freeze or outside a change window: "
            "ask one of them."
        )
    reason = " ".join(override_reason.split())
    if len(reason) < MIN_OVERRIDE_REASON:
        raise OverrideRefused(
            "An override is recorded and announced: give a reason of a few words "
            f"(at least {MIN_OVERRIDE_REASON} characters)."
        )
    return Override(by=user, reason=reason, at=now, overrode=tuple(blockers))


def check_cancel(request: Request, user: str, policy: EffectivePolicy) -> None:
    """Who may stop a request or its run: its requester, an approver of its group, an admin."""
    _require_involved(request, user, policy, doing="cancel")


def _approve(request: Request, event: Approve, policy: EffectivePolicy, now: datetime) -> Request:
    _require_open_for_votes(request, "approved")
    _refuse_if_due(request, now)
    if event.user == request.requester:
        raise RequesterCannotVote("You asked for this update, so someone else has to approve it.")
    _refuse_second_vote(request, event.user)
    if not is_approver(event.user, policy):
        raise NotAnApprover(
            f"You are not an approver for group {request.group}: its approvers are "
            f"{_mentions(policy.group.approvers)}."
        )
    vote = Vote(
        user=event.user,
        decision=VoteDecision.APPROVE,
        comment=event.comment,
        at=now,
        fingerprint=request.fingerprint,
    )
    voted = request.model_copy(update={"votes": (*request.votes, vote)})
    counted = sorted((v.at for v in valid_approvals(voted, policy, now)), reverse=True)
    quorum = policy.group.approvals_required
    if len(counted) >= quorum:
        return _next(
            voted,
            state=RequestState.APPROVED,
            expires_at=counted[quorum - 1] + policy.group.approval_ttl,
        )
    return _next(voted)


def _reject(request: Request, event: Reject, policy: EffectivePolicy, now: datetime) -> Request:
    _require_open_for_votes(request, "rejected")
    _refuse_if_due(request, now)
    if event.user == request.requester:
        raise RequesterCannotVote(
            f"You asked for this update: cancel it with /lku cancel {request.id} instead."
        )
    _refuse_second_vote(request, event.user)
    if not (is_approver(event.user, policy) or is_admin(event.user, policy)):
        raise NotAnApprover(
            f"Only approvers of group {request.group} or admins can reject {request.id}."
        )
    vote = Vote(
        user=event.user,
        decision=VoteDecision.REJECT,
        comment=event.reason,
        at=now,
        fingerprint=request.fingerprint,
    )
    return _next(
        request,
        votes=(*request.votes, vote),
        state=RequestState.REJECTED,
        ended_at=now,
        note=f"Rejected by {mention(event.user)}: {event.reason}",
    )


def _launch(request: Request, event: Launch, policy: EffectivePolicy, now: datetime) -> Request:
    override = check_launch(request, event.user, event.override_reason, policy, now)
    changed = sorted(
        lpar
        for lpar in set(request.fingerprints) | set(event.fingerprints)
        if request.fingerprints.get(lpar) != event.fingerprints.get(lpar)
    )
    if changed:
        # Not a refusal: the request really is over, and storage must record that it is.
        return _next(
            request,
            state=RequestState.VOID,
            ended_at=now,
            note=(
                f"What was previewed on {', '.join(changed)} changed before launch, so the "
                f"approvals are void: preview again and ask for new approvals."
            ),
        )
    return _next(
        request,
        state=RequestState.RUNNING,
        launched_by=event.user,
        launched_at=now,
        override=override,
    )


def _cancel(request: Request, event: Cancel, policy: EffectivePolicy, now: datetime) -> Request:
    if request.state in (RequestState.RUNNING, RequestState.UNKNOWN):
        raise WrongState(
            f"{request.id} is already running: only its run can be stopped now, and only "
            "before the point of no return."
        )
    _require(request, RequestState.PENDING, RequestState.APPROVED, doing="cancel")
    check_cancel(request, event.user, policy)
    note = f"Cancelled by {mention(event.user)}" + (f": {event.reason}" if event.reason else ".")
    return _next(request, state=RequestState.CANCELLED, ended_at=now, note=note)


# Helpers -----------------------------------------------------------------------------------


def _next(request: Request, **changes: object) -> Request:
    """The same request with `changes` and the next version, validated again."""
    data = request.model_dump()
    data.update(changes, version=request.version + 1)
    return Request.model_validate(data)


def _require(request: Request, *states: RequestState, doing: str) -> None:
    if request.state not in states:
        raise WrongState(
            f"lkubot cannot {doing} {request.id} while it is {_describe_state(request)}."
        )


def _require_open_for_votes(request: Request, verb: str) -> None:
    if request.state is RequestState.PREVIEW_FAILED:
        raise WrongState(
            f"The preview of {request.id} failed, so it cannot be {verb}: fix what the "
            "checklist shows and preview again."
        )
    if not request.state.open_for_votes:
        raise WrongState(
            f"{request.id} is {_describe_state(request)}: votes no longer change anything."
        )


def _refuse_if_due(request: Request, now: datetime) -> None:
    if now >= request.expires_at:
        raise RequestExpired(
            f"{request.id} expired at {_clock(request.expires_at)}: its approvals are too old. "
            "Preview again to open a new request."
        )


def _refuse_second_vote(request: Request, user: str) -> None:
    earlier = request.vote_of(user)
    if earlier is not None:
        verb = "approved" if earlier.decision is VoteDecision.APPROVE else "rejected"
        raise AlreadyVoted(
            f"You already {verb} {request.id} at {_clock(earlier.at)}; each person counts once."
        )


def _require_involved(request: Request, user: str, policy: EffectivePolicy, doing: str) -> None:
    if user == request.requester or is_approver(user, policy) or is_admin(user, policy):
        return
    raise NotPermitted(
        f"Only the requester ({mention(request.requester)}), approvers of group "
        f"{request.group} or admins can {doing} {request.id}."
    )


def _blocked_sentence(
    request: Request,
    blockers: list[Literal["freeze", "change_window"]],
    policy: EffectivePolicy,
    now: datetime,
) -> str:
    if "freeze" in blockers:
        freeze = policy.freeze
        why = f" ({freeze.reason})" if freeze.reason else ""
        return (
            f"lkubot is frozen{why}: no launches until an admin lifts the freeze, "
            f"or an admin launches with /lku launch {request.id} override REASON."
        )
    windows = "; ".join(w.describe() for w in policy.group.change_windows)
    opening = next_window_opening(policy.group, now)
    when = f" The next one opens {_clock(opening)}." if opening else ""
    return (
        f"Group {request.group} launches only in its change windows ({windows}).{when} "
        f"An admin can override with /lku launch {request.id} override REASON."
    )


def _describe_state(request: Request) -> str:
    state = request.state
    if state is RequestState.REJECTED:
        rejection = next(iter(request.rejections), None)
        return f"rejected by {mention(rejection.user)}" if rejection else "rejected"
    return {
        RequestState.PENDING: "waiting for approvals",
        RequestState.PREVIEW_FAILED: "a failed preview",
        RequestState.APPROVED: "approved and not launched yet",
        RequestState.RUNNING: "running",
        RequestState.UNKNOWN: "running but out of contact",
        RequestState.SUCCEEDED: "finished",
        RequestState.FAILED: "failed",
        RequestState.EXPIRED: "expired",
        RequestState.CANCELLED: "cancelled",
        RequestState.UNVERIFIED: "ended, its result unconfirmed",
        RequestState.VOID: "void (what was previewed changed)",
    }[state]


def _mentions(principals: list[str]) -> str:
    return ", ".join(mention(p) for p in principals)


def _clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()
