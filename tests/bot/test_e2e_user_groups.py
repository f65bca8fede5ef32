"""Approvers named as a Slack user group (`@aix-approvers`) keep their rights through a launch
whose new preview outlasts the time lkubot trusts a group's member list: the members are asked
again right before the decision, instead of the launch being refused for want of an answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liveupdate.requests import RequestState
from sim.aix.preview import PREVIEW_SECONDS
from storage.store import Store

from .world import CHANNEL, TEST, WITHIN, has_button, world

pytestmark = pytest.mark.slow

MEMBERSHIP_TTL = 1.0
"""Seconds a user group's member list is trusted here (300 in production)."""
LPAR_SPEED = 20.0
"""The LPARs' clocks: a preview (40 s of LPAR time) takes 2 s, twice the TTL."""


async def test_an_approver_in_a_user_group_launches_after_a_preview_longer_than_the_ttl(
    tmp_path,
) -> None:
    assert PREVIEW_SECONDS / LPAR_SPEED >= 2 * MEMBERSHIP_TTL
    async with world(tmp_path, lpar_speed=LPAR_SPEED, membership_ttl=MEMBERSHIP_TTL) as w:
        slack = w.slack
        assert w.inventory.groups["test"].approvers == ["S0AIXAPPR"], "approvers by user group"
        await slack.slash("carol", CHANNEL, "/lku", f"preview {TEST}")
        card = await w.card("LU-1")
        await slack.click("bob", card, "approve", value="LU-1")
        await slack.wait_for(
            lambda: has_button(slack.state.find_message(card.ts).blocks, "launch"),
            within=WITHIN,
            what="the Launch button on the approved card",
        )
        typed = datetime.now(UTC)

        # Alice may launch as a member of @aix-approvers; bob's approval counts as a member.
        await slack.slash("alice", CHANNEL, "/lku", "launch LU-1")
        await slack.wait_for(
            lambda: "Running" in slack.state.find_message(card.ts).content,
            within=WITHIN,
            what="the card showing the run",
        )
        request = await w.bot.services.store.call(Store.get_request, "LU-1")
        assert request.state in (RequestState.RUNNING, RequestState.SUCCEEDED)
        assert request.launched_by == "U0ALICE01"
        await slack.wait_for(
            lambda: len(w.operations(TEST)) == 1, within=WITHIN, what="the operation started"
        )
        refusals = [e.content for e in slack.state.ephemerals_for("alice")]
        assert not any("could not check" in r for r in refusals), refusals
        # The members were asked again once the new preview was done.
        last_asked = slack.calls_to("usergroups.users.list")[-1].at
        assert last_asked - typed >= timedelta(seconds=PREVIEW_SECONDS / LPAR_SPEED)
