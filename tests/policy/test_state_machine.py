"""Random event sequences never reach a state the rules forbid."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import event as count_case
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from liveupdate.errors import Refused
from liveupdate.policy import EffectivePolicy, Freeze, is_admin
from liveupdate.requests import (
    Approve,
    Cancel,
    Event,
    Expire,
    Finish,
    Launch,
    LoseContact,
    Reject,
    Request,
    RequestState,
    Resume,
    apply,
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
    Directory,
    make_preview,
    new_request,
    prod_policy,
)

PEOPLE = st.sampled_from([REQUESTER, ALICE, BOB, CAROL, MALLORY, ADMIN])
APPROVERS = {ALICE, BOB, CAROL, REQUESTER}
CHANGED = make_preview(oslevel="7300-03-01-2520").fingerprint


class RequestLifecycle(RuleBasedStateMachine):
    @initialize()
    def open(self) -> None:
        self.directory = Directory({APPROVER_GROUP: set(APPROVERS)})
        self.freeze = Freeze()
        self.now = SATURDAY_NIGHT
        self.request = new_request(self.policy, now=self.now)
        self.history: list[RequestState] = [self.request.state]

    @property
    def policy(self) -> EffectivePolicy:
        return prod_policy(directory=self.directory, freeze=self.freeze)

    def attempt(self, event: Event) -> Request | None:
        before = self.request
        try:
            after = apply(before, event, self.policy, self.now)
        except Refused:
            return None
        assert after.version == before.version + 1
        assert not before.state.terminal, f"{before.state} is final but {event} changed it"
        self.request = after
        self.history.append(after.state)
        count_case(f"reached {after.state.value}")
        return after

    @rule(minutes=st.integers(min_value=1, max_value=300))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(active=st.booleans())
    def freeze_switch(self, active: bool) -> None:
        self.freeze = Freeze(active=active, reason="change freeze" if active else None)

    @rule(failing=st.booleans())
    def slack_directory(self, failing: bool) -> None:
        self.directory.failing = {APPROVER_GROUP} if failing else set()

    @rule(pair=st.permutations([ALICE, BOB, CAROL]))
    def approvers_agree(self, pair: list[str]) -> None:
        # Two clicks in a row, as happens when a request is ready: it keeps launches reachable.
        self.approve(pair[0])
        self.approve(pair[1])

    @rule(user=PEOPLE)
    def approve(self, user: str) -> None:
        before = self.request
        after = self.attempt(Approve(user=user))
        if after is None:
            return
        assert user != before.requester
        assert before.vote_of(user) is None
        assert before.state in (RequestState.PENDING, RequestState.APPROVED)
        assert self.now < before.expires_at
        assert user in APPROVERS
        assert not self.directory.failing

    # Rejecting and cancelling end a request at once; firing them less often lets the random
    # walks get as far as launches and runs.
    @rule(user=PEOPLE, dice=st.integers(0, 5))
    def reject(self, user: str, dice: int) -> None:
        if dice:
            return
        before = self.request
        after = self.attempt(Reject(user=user, reason="not this week"))
        if after is None:
            return
        assert user != before.requester
        assert after.state is RequestState.REJECTED

    @rule(
        user=PEOPLE,
        same_fingerprint=st.booleans(),
        override=st.sampled_from([None, "x", "emergency fix, CAB 4711"]),
    )
    def launch(self, user: str, same_fingerprint: bool, override: str | None) -> None:
        before = self.request
        seen = before.fingerprint if same_fingerprint else CHANGED
        after = self.attempt(
            Launch(user=user, fingerprints={"lpar01": seen}, override_reason=override)
        )
        if after is None:
            return
        assert before.state is RequestState.APPROVED
        assert self.now < before.expires_at
        counted = {
            v.user
            for v in before.approvals
            if v.at + timedelta(hours=4) > self.now and v.user != before.requester
        }
        assert len(counted) >= 2
        if after.state is RequestState.VOID:
            assert not same_fingerprint
            return
        assert after.state is RequestState.RUNNING
        assert same_fingerprint
        blocked = self.freeze.active or not self.policy.group.window_open(self.now)
        if blocked:
            assert after.override is not None
            assert after.override.by == user
            assert is_admin(user, self.policy)
        else:
            assert after.override is None

    @rule(user=PEOPLE, dice=st.integers(0, 5))
    def cancel(self, user: str, dice: int) -> None:
        if dice:
            return
        if self.attempt(Cancel(user=user)) is not None:
            assert user != MALLORY

    @rule()
    def expire(self) -> None:
        before = self.request
        if self.attempt(Expire()) is not None:
            assert self.now >= before.expires_at

    @rule()
    def lose_contact(self) -> None:
        self.attempt(LoseContact(detail="ssh dropped"))

    @rule()
    def resume(self) -> None:
        self.attempt(Resume())

    @rule(outcome=st.sampled_from(["succeeded", "failed", "cancelled"]))
    def finish(self, outcome: str) -> None:
        before = self.request
        if self.attempt(Finish(outcome=outcome)) is not None:  # type: ignore[arg-type]
            assert before.state in (RequestState.RUNNING, RequestState.UNKNOWN)

    @invariant()
    def the_requester_never_votes(self) -> None:
        assert self.request.vote_of(REQUESTER) is None

    @invariant()
    def only_approvers_have_approved(self) -> None:
        assert {v.user for v in self.request.approvals} <= APPROVERS - {REQUESTER}

    @invariant()
    def running_only_after_approval(self) -> None:
        states = self.history
        if RequestState.RUNNING in states:
            assert states[states.index(RequestState.RUNNING) - 1] is RequestState.APPROVED

    @invariant()
    def a_reject_ends_the_request(self) -> None:
        if self.request.rejections:
            assert self.request.state is RequestState.REJECTED


TestRequestLifecycle = RequestLifecycle.TestCase
TestRequestLifecycle.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
