"""Approvers and admins through user groups: fetched from Slack before a decision, answered
from memory during it, cached for a while, and a failed lookup denies."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.auth import ChannelAllowList, ChannelNotAllowed, MembershipUnknown, SlackMembership
from liveupdate.errors import MembershipUnavailable
from liveupdate.policy import is_among
from sim.slack import EmulatorConfig, SlackEmulator

APPROVERS = "S0AIXAPPR"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def slack():
    async with SlackEmulator.start(EmulatorConfig(speed=60)) as emulator:
        yield emulator


def membership(slack: SlackEmulator, clock: Clock) -> SlackMembership:
    client = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
    return SlackMembership(client, ttl=300, failure_ttl=10, clock=clock)


async def test_members_of_a_user_group_are_approvers_and_others_are_not(slack) -> None:
    lookup = membership(slack, Clock())
    await lookup.resolve(["U0CAROL01", APPROVERS])
    assert lookup("U0ALICE01", APPROVERS)
    assert lookup("U0BOB0001", APPROVERS)
    assert not lookup("U0OSCAR01", APPROVERS)
    assert not lookup("U0CAROL01", APPROVERS)
    assert [c.args.get("usergroup") for c in slack.calls_to("usergroups.users.list")] == [APPROVERS]


async def test_the_cache_answers_until_its_ttl_then_slack_is_asked_again(slack) -> None:
    clock = Clock()
    lookup = membership(slack, clock)
    await lookup.resolve([APPROVERS])
    clock.now += 299
    await lookup.resolve([APPROVERS])
    assert len(slack.calls_to("usergroups.users.list")) == 1
    clock.now += 2
    with pytest.raises(MembershipUnknown):
        lookup("U0ALICE01", APPROVERS)  # stale: never answered from an old list
    await lookup.resolve([APPROVERS])
    assert len(slack.calls_to("usergroups.users.list")) == 2
    assert lookup("U0ALICE01", APPROVERS)


async def test_concurrent_resolves_share_one_slack_call(slack) -> None:
    lookup = membership(slack, Clock())
    await asyncio.gather(*(lookup.resolve([APPROVERS]) for _ in range(20)))
    assert len(slack.calls_to("usergroups.users.list")) == 1


async def test_a_failed_lookup_denies_and_says_to_try_again(slack) -> None:
    clock = Clock()
    lookup = membership(slack, clock)
    slack.inject_error("usergroups.users.list", "ratelimited", count=1)
    await lookup.resolve([APPROVERS])
    with pytest.raises(MembershipUnavailable, match="try again"):
        is_among("U0ALICE01", [APPROVERS], lookup)
    # A listed user id still counts without any lookup.
    assert is_among("U0ALICE01", ["U0ALICE01", APPROVERS], lookup)
    # The failure is remembered briefly, then Slack is asked again.
    await lookup.resolve([APPROVERS])
    assert len(slack.calls_to("usergroups.users.list")) == 1
    clock.now += 11
    await lookup.resolve([APPROVERS])
    assert is_among("U0ALICE01", [APPROVERS], lookup)


async def test_a_group_never_resolved_is_unknown_not_empty(slack) -> None:
    lookup = membership(slack, Clock())
    with pytest.raises(MembershipUnknown):
        lookup("U0ALICE01", APPROVERS)


def test_the_channel_allow_list() -> None:
    ChannelAllowList().check("C0ANYTHING")
    allowed = ChannelAllowList(["C0AIXTEAM"])
    allowed.check("C0AIXTEAM")
    with pytest.raises(ChannelNotAllowed, match="<#C0AIXTEAM>"):
        allowed.check("C0RANDOM1")
