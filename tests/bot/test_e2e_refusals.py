"""Who may do what, checked when each click arrives, and Slack's own defences: every refusal
is private, specific, and changes nothing."""

from __future__ import annotations

import pytest

from sim.slack import DeliveryOptions
from storage.store import Store

from .world import CHANNEL, PROD, TEST, WITHIN, World, world

pytestmark = pytest.mark.slow


async def _requested(w: World, lpar: str, request_id: str = "LU-1"):
    await w.slack.slash("carol", CHANNEL, "/lku", f"preview {lpar}")
    return await w.card(request_id)


async def _votes(w: World, request_id: str = "LU-1") -> list[str]:
    request = await w.bot.services.store.call(Store.get_request, request_id)
    return [v.user for v in request.votes]


async def test_the_requester_cannot_approve_their_own_request(tmp_path) -> None:
    async with world(tmp_path) as w:
        card = await _requested(w, TEST)
        await w.slack.click("carol", card, "approve", value="LU-1")
        await w.slack.wait_for_ephemeral(
            "carol", lambda e: "someone else has to approve" in e.content, within=WITHIN
        )
        assert await _votes(w) == []


async def test_someone_who_is_not_an_approver_is_refused(tmp_path) -> None:
    async with world(tmp_path) as w:
        card = await _requested(w, TEST)
        await w.slack.click("oscar", card, "approve", value="LU-1")
        refusal = await w.slack.wait_for_ephemeral(
            "oscar", lambda e: "not an approver" in e.content, within=WITHIN
        )
        assert "S0AIXAPPR" in refusal.content
        assert await _votes(w) == []
        # Only oscar saw it.
        assert not [e for e in w.slack.state.ephemerals_for("alice") if "approver" in e.content]


async def test_a_double_click_is_counted_once_and_told_privately(tmp_path) -> None:
    async with world(tmp_path) as w:
        card = await _requested(w, PROD)
        await w.slack.click("alice", card, "approve", value="LU-1")
        await w.slack.click("alice", card, "approve", value="LU-1")
        await w.slack.wait_for_ephemeral(
            "alice", lambda e: "already approved" in e.content, within=WITHIN
        )
        assert await _votes(w) == ["U0ALICE01"]


async def test_a_slack_retry_is_acked_and_not_acted_on_again(tmp_path) -> None:
    async with world(tmp_path) as w:
        asked = await w.slack.slash("carol", CHANNEL, "/lku", f"preview {PROD}")
        again = await w.slack.deliver(
            asked.interaction, DeliveryOptions(retry_num=1, retry_reason="http_timeout")
        )
        assert again.acked
        assert again.status == 200
        card = await w.card("LU-1")
        click = await w.slack.click("alice", card, "approve", value="LU-1")
        retried = await w.slack.deliver(click.interaction, DeliveryOptions(retry_num=2))
        assert retried.acked
        await w.slack.wait_for(
            lambda: "<@U0ALICE01>" in w.slack.state.find_message(card.ts).content, within=WITHIN
        )
        await w.bot.tasks.wait_idle(within=WITHIN)
        assert await _votes(w) == ["U0ALICE01"]
        opened = await w.bot.services.store.call(Store.list_requests)
        assert [r.id for r in opened] == ["LU-1"]
        previews = [c for c in w.fleet.lpar(PROD).commands if "geninstall -k -p" in c.command]
        assert len(previews) == 1
        assert not [e for e in w.slack.state.ephemerals_for("alice") if "already" in e.content]


async def test_forged_signatures_and_stale_timestamps_are_rejected_with_nothing_recorded(
    tmp_path,
) -> None:
    async with world(tmp_path) as w:
        calls = len(w.slack.calls)
        forged = await w.slack.slash(
            "carol", CHANNEL, "/lku", f"preview {PROD}", DeliveryOptions(signature="forged")
        )
        missing = await w.slack.slash(
            "carol", CHANNEL, "/lku", f"preview {PROD}", DeliveryOptions(signature="missing")
        )
        stale = await w.slack.slash(
            "carol", CHANNEL, "/lku", f"preview {PROD}", DeliveryOptions(timestamp=1_500_000_000)
        )
        assert (forged.status, missing.status, stale.status) == (401, 401, 401)
        await w.bot.tasks.wait_idle(within=WITHIN)
        assert w.slack.calls[calls:] == []
        assert await w.bot.services.store.call(Store.list_requests) == []
        assert w.fleet.lpar(PROD).commands == []
        assert w.slack.state.channel_messages(CHANNEL) == []


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("preview lpar999", 'There is no LPAR "lpar999"'),
        ("preview lpar00l", "Did you mean"),
        (f"preview {PROD} -x", "not an option of preview"),
        (f"preview {PROD} update_all; reboot", "not a valid install item"),
        ("approve 17", "not a request id"),
        ("frobnicate", "is not something /lku does"),
        ("approve LU-99", "There is no request LU-99"),
    ],
)
async def test_unknown_lpars_and_malformed_commands_are_answered_privately(
    tmp_path, text: str, answer: str
) -> None:
    async with world(tmp_path, count=2) as w:
        delivery = await w.slack.slash("carol", CHANNEL, "/lku", text)
        assert delivery.acked
        await w.slack.wait_for_ephemeral("carol", lambda e: answer in e.content, within=WITHIN)
        await w.bot.tasks.wait_idle(within=WITHIN)
        assert w.slack.state.channel_messages(CHANNEL) == []
        assert await w.bot.services.store.call(Store.list_requests) == []
        assert all(w.fleet.lpar(name).commands == [] for name in w.fleet.names)
