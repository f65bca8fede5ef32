"""One test per approval rule, on a fixed clock, with the example inventory's prod group:
2 approvals from S0AIXAPPR within 4h, launches sat/sun 22:00-04:00 Europe/Amsterdam."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liveupdate.checks import PreviewOutcome
from liveupdate.errors import (
    AlreadyVoted,
    LaunchBlocked,
    MembershipUnavailable,
    NotAnApprover,
    NotPermitted,
    OverrideRefused,
    QuorumNotMet,
    RequesterCannotVote,
    RequestExpired,
    WrongState,
)
from liveupdate.policy import Freeze
from liveupdate.requests import (
    Approve,
    Cancel,
    Expire,
    Finish,
    Launch,
    LoseContact,
    Reject,
    Request,
    RequestState,
    Resume,
    apply,
    check_cancel,
)
from tests.policy.factory import (
    ADMIN,
    ALICE,
    APPROVER_GROUP,
    BOB,
    CAROL,
    MALLORY,
    REQUESTER,
    SATURDAY_NIGHT,
    TUESDAY_MORNING,
    Directory,
    example_groups,
    make_preview,
    new_request,
    prod_policy,
)

NOW = SATURDAY_NIGHT
POLICY = prod_policy()
MINUTE = timedelta(minutes=1)


def approved(now=NOW, policy=POLICY) -> Request:
    request = new_request(policy, now=now)
    request = apply(request, Approve(user=ALICE), policy, now + MINUTE)
    return apply(request, Approve(user=BOB), policy, now + 2 * MINUTE)


def launch(request: Request, **kwargs) -> Launch:
    return Launch(fingerprints=request.fingerprints, **{"user": REQUESTER, **kwargs})


def test_a_passed_preview_opens_a_pending_request() -> None:
    request = new_request()
    assert request.state is RequestState.PENDING
    assert request.expires_at == NOW + timedelta(hours=4)
    assert request.version == 1


def test_a_failed_preview_opens_a_request_that_cannot_be_approved() -> None:
    request = new_request(preview=make_preview(outcome=PreviewOutcome.FAILED))
    assert request.state is RequestState.PREVIEW_FAILED
    with pytest.raises(WrongState, match="preview of LU-17 failed"):
        apply(request, Approve(user=ALICE), POLICY, NOW)


def test_the_requester_never_counts() -> None:
    # The requester is in S0AIXAPPR too, and still cannot approve their own request.
    with pytest.raises(RequesterCannotVote) as refused:
        apply(new_request(), Approve(user=REQUESTER), POLICY, NOW)
    assert str(refused.value) == "You asked for this update, so someone else has to approve it."


def test_the_requester_cannot_reject_but_is_told_to_cancel() -> None:
    with pytest.raises(RequesterCannotVote, match="/lku cancel LU-17"):
        apply(new_request(), Reject(user=REQUESTER, reason="changed my mind"), POLICY, NOW)


def test_one_vote_per_person_and_a_second_click_is_reported_not_counted() -> None:
    request = apply(new_request(), Approve(user=ALICE), POLICY, NOW)
    with pytest.raises(AlreadyVoted, match="You already approved LU-17 at 2026-11-28 22:00 UTC"):
        apply(request, Approve(user=ALICE), POLICY, NOW + MINUTE)
    with pytest.raises(AlreadyVoted):
        apply(request, Reject(user=ALICE, reason="second thoughts"), POLICY, NOW + MINUTE)
    assert len(request.approvals) == 1
    assert request.state is RequestState.PENDING


def test_the_quorum_counts_distinct_people() -> None:
    request = apply(new_request(), Approve(user=ALICE, comment="TL3 SP1 tested"), POLICY, NOW)
    assert request.state is RequestState.PENDING
    request = apply(request, Approve(user=BOB), POLICY, NOW + MINUTE)
    assert request.state is RequestState.APPROVED
    assert [v.user for v in request.approvals] == [ALICE, BOB]
    assert request.approvals[0].comment == "TL3 SP1 tested"
    assert request.version == 3


def test_approvers_are_resolved_through_the_user_group_lookup() -> None:
    directory = Directory({APPROVER_GROUP: {ALICE}})
    policy = prod_policy(directory=directory)
    request = apply(new_request(policy), Approve(user=ALICE), policy, NOW)
    assert (ALICE, APPROVER_GROUP) in directory.asked
    with pytest.raises(NotAnApprover, match=r"approvers are <!subteam\^S0AIXAPPR>"):
        apply(request, Approve(user=MALLORY), policy, NOW)


def test_a_failed_lookup_denies() -> None:
    policy = prod_policy(directory=Directory(failing={APPROVER_GROUP}))
    with pytest.raises(MembershipUnavailable, match="try again in a minute"):
        apply(new_request(policy), Approve(user=ALICE), policy, NOW)


def test_a_directly_listed_approver_needs_no_lookup() -> None:
    group = example_groups()["test"]  # approvers: [U0ALICE01, U0BOB0001]
    directory = Directory(failing={APPROVER_GROUP})
    policy = prod_policy(directory=directory, group=group)
    request = apply(new_request(policy), Approve(user=ALICE), policy, NOW)
    assert request.state is RequestState.APPROVED
    assert directory.asked == []


def test_one_reject_rejects_even_an_approved_request() -> None:
    request = apply(approved(), Reject(user=CAROL, reason="DB team objects"), POLICY, NOW)
    assert request.state is RequestState.REJECTED
    assert request.ended_at == NOW
    assert "DB team objects" in (request.note or "")
    with pytest.raises(WrongState, match="rejected by <@U0CAROL01>"):
        apply(request, Approve(user=CAROL), POLICY, NOW)


def test_an_admin_who_is_not_an_approver_may_reject() -> None:
    policy = prod_policy(directory=Directory({APPROVER_GROUP: {ALICE}}))
    request = apply(new_request(policy), Reject(user=ADMIN, reason="freeze week"), policy, NOW)
    assert request.state is RequestState.REJECTED
    with pytest.raises(NotAnApprover):
        apply(new_request(policy), Reject(user=MALLORY, reason="because"), policy, NOW)


def test_votes_after_approval_ttl_are_refused() -> None:
    request = new_request()
    with pytest.raises(RequestExpired, match="expired at 2026-11-29 02:00 UTC"):
        apply(request, Approve(user=ALICE), POLICY, NOW + timedelta(hours=4))


def test_a_due_request_expires_and_one_not_due_does_not() -> None:
    request = new_request()
    with pytest.raises(WrongState, match="not due"):
        apply(request, Expire(), POLICY, NOW + timedelta(hours=3, minutes=59))
    assert apply(request, Expire(), POLICY, NOW + timedelta(hours=4)).state is RequestState.EXPIRED


def test_approvals_expire_and_an_expired_request_cannot_launch() -> None:
    request = approved()  # approvals at +1 and +2 minutes: the pair lasts until +4h01
    assert request.expires_at == NOW + MINUTE + timedelta(hours=4)
    with pytest.raises(RequestExpired):
        apply(request, launch(request), POLICY, request.expires_at)


def test_a_fresh_approval_extends_an_approved_request() -> None:
    request = apply(approved(), Approve(user=CAROL), POLICY, NOW + timedelta(hours=1))
    # Quorum-th newest approval is now Bob's at +2 minutes.
    assert request.expires_at == NOW + 2 * MINUTE + timedelta(hours=4)


def test_launch_needs_the_quorum() -> None:
    request = apply(new_request(), Approve(user=ALICE), POLICY, NOW)
    with pytest.raises(QuorumNotMet, match="has 1 of the 2 approvals"):
        apply(request, launch(request), POLICY, NOW)


def test_launch_recounts_when_the_quorum_was_raised_since() -> None:
    stricter = example_groups()["prod"].model_copy(update={"approvals_required": 3})
    request = approved()
    with pytest.raises(QuorumNotMet, match="now needs 3"):
        apply(request, launch(request), prod_policy(group=stricter), NOW + 3 * MINUTE)


def test_an_approved_request_launches_inside_the_window() -> None:
    request = approved()
    running = apply(request, launch(request), POLICY, NOW + 3 * MINUTE)
    assert running.state is RequestState.RUNNING
    assert running.launched_by == REQUESTER
    assert running.override is None


def test_launch_is_only_for_people_involved() -> None:
    policy = prod_policy(directory=Directory({APPROVER_GROUP: {ALICE, BOB}}))
    request = approved(policy=policy)
    with pytest.raises(NotPermitted, match="Only the requester"):
        apply(request, launch(request, user=MALLORY), policy, NOW + 3 * MINUTE)


def test_a_changed_fingerprint_voids_the_approvals() -> None:
    request = approved()
    changed = make_preview(oslevel="7300-03-01-2520").fingerprint
    void = apply(
        request, Launch(user=REQUESTER, fingerprints={"lpar01": changed}), POLICY, NOW + MINUTE
    )
    assert void.state is RequestState.VOID
    assert "lpar01 changed before launch" in (void.note or "")
    with pytest.raises(WrongState):
        apply(void, launch(request), POLICY, NOW + MINUTE)


def test_outside_a_change_window_a_launch_is_refused_with_the_next_opening() -> None:
    request = approved(now=TUESDAY_MORNING)
    with pytest.raises(LaunchBlocked) as refused:
        apply(request, launch(request), POLICY, TUESDAY_MORNING + 3 * MINUTE)
    assert "sat, sun 22:00-04:00 (+1 day) Europe/Amsterdam" in str(refused.value)
    assert "next one opens 2026-11-28 22:00 CET" in str(refused.value)


def test_an_admin_overrides_a_closed_window_with_a_reason_which_is_recorded() -> None:
    request = approved(now=TUESDAY_MORNING)
    event = launch(request, user=ADMIN, override_reason="CVE-2026-1234 fix, CAB approved")
    running = apply(request, event, POLICY, TUESDAY_MORNING + 3 * MINUTE)
    assert running.state is RequestState.RUNNING
    assert running.override is not None
    assert running.override.by == ADMIN
    assert running.override.reason == "CVE-2026-1234 fix, CAB approved"
    assert running.override.overrode == ("change_window",)


def test_only_an_admin_can_override() -> None:
    request = approved(now=TUESDAY_MORNING)
    event = launch(request, user=ALICE, override_reason="urgent security fix")
    with pytest.raises(OverrideRefused, match="Only an lkubot admin"):
        apply(request, event, POLICY, TUESDAY_MORNING + 3 * MINUTE)


def test_an_override_needs_a_real_reason() -> None:
    request = approved(now=TUESDAY_MORNING)
    event = launch(request, user=ADMIN, override_reason="  x  ")
    with pytest.raises(OverrideRefused, match="at least 10 characters"):
        apply(request, event, POLICY, TUESDAY_MORNING + 3 * MINUTE)


def test_a_freeze_refuses_launches_even_inside_a_window() -> None:
    frozen = prod_policy(freeze=Freeze(active=True, reason="year-end close", by=ADMIN, since=NOW))
    request = approved(policy=frozen)
    with pytest.raises(LaunchBlocked, match=r"frozen \(year-end close\)"):
        apply(request, launch(request), frozen, NOW + 3 * MINUTE)
    event = launch(request, user=ADMIN, override_reason="payment outage fix, CAB 4711")
    running = apply(request, event, frozen, NOW + 3 * MINUTE)
    assert running.override is not None
    assert running.override.overrode == ("freeze",)


def test_a_group_without_windows_launches_any_time() -> None:
    policy = prod_policy(group=example_groups()["test"])
    request = new_request(policy, now=TUESDAY_MORNING)
    request = apply(request, Approve(user=BOB), policy, TUESDAY_MORNING)
    running = apply(request, launch(request), policy, TUESDAY_MORNING + MINUTE)
    assert running.state is RequestState.RUNNING


def test_the_requester_or_an_admin_cancels_before_launch_others_cannot() -> None:
    policy = prod_policy(directory=Directory({APPROVER_GROUP: {ALICE}}))
    request = new_request(policy)
    with pytest.raises(NotPermitted):
        apply(request, Cancel(user=MALLORY), policy, NOW)
    cancelled = apply(request, Cancel(user=REQUESTER, reason="wrong media"), policy, NOW)
    assert cancelled.state is RequestState.CANCELLED
    assert cancelled.note == "Cancelled by <@U0REQUEST1>: wrong media"
    check_cancel(request, ADMIN, policy)


def test_a_running_request_is_stopped_through_its_run_not_cancelled() -> None:
    request = approved()
    running = apply(request, launch(request), POLICY, NOW + 3 * MINUTE)
    with pytest.raises(WrongState, match="only its run can be stopped"):
        apply(running, Cancel(user=REQUESTER), POLICY, NOW + 4 * MINUTE)


def test_a_run_that_loses_contact_is_unknown_until_it_resumes_and_finishes() -> None:
    request = approved()
    running = apply(request, launch(request), POLICY, NOW + 3 * MINUTE)
    lost = apply(running, LoseContact(detail="SSH to lpar01 dropped"), POLICY, NOW)
    assert lost.state is RequestState.UNKNOWN
    resumed = apply(lost, Resume(), POLICY, NOW)
    assert resumed.state is RequestState.RUNNING
    done = apply(resumed, Finish(outcome="succeeded"), POLICY, NOW + timedelta(minutes=11))
    assert done.state is RequestState.SUCCEEDED
    assert done.ended_at == NOW + timedelta(minutes=11)
    with pytest.raises(WrongState, match="cannot finish LU-17 while it is finished"):
        apply(done, Finish(outcome="failed"), POLICY, NOW)


def test_times_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError, match="aware"):
        apply(new_request(), Approve(user=ALICE), POLICY, NOW.replace(tzinfo=None))
