"""The acceptance test of the product: through the Slack emulator and simulated LPARs over
real sockets, a request is previewed, approved by two people, launched, followed on one
status message edited in place, and summed up with its blackout and config.diff."""

from __future__ import annotations

import pytest

from liveupdate.requests import RequestState
from storage.store import Store

from .world import CHANNEL, PROD, TEST, WITHIN, has_button, world

pytestmark = pytest.mark.slow

RUN_CALL_BUDGET = 15
"""A whole LKU run costs Slack at most about this many Web API calls (DESIGN.md)."""


async def test_preview_two_approvals_launch_status_and_final_summary(tmp_path) -> None:
    # The LPAR's clock at 60x: the 11-minute transcript takes about 11 s, so the status
    # message goes through its milestones (edits are paced 2 s apart) and shows [Cancel].
    async with world(tmp_path, lpar_speed=60.0) as w:
        slack = w.slack
        asked = await slack.slash("carol", CHANNEL, "/lku", f"preview {PROD}")
        assert asked.acked
        assert asked.elapsed < 3.0
        await slack.wait_for_ephemeral("carol", lambda e: f"Previewing {PROD}" in e.content)
        card = await w.card("LU-1")
        assert PROD in card.content
        assert "<@U0CAROL01>" in card.content
        await slack.wait_for_message("prod-ops", lambda m: "LU-1" in m.content, within=WITHIN)

        await slack.click("alice", card, "approve", value="LU-1")
        await slack.wait_for(
            lambda: "<@U0ALICE01>" in slack.state.find_message(card.ts).content, within=WITHIN
        )
        await slack.click("bob", card, "approve", value="LU-1")
        await slack.wait_for(
            lambda: has_button(slack.state.find_message(card.ts).blocks, "launch"),
            within=WITHIN,
            what="the Launch button on the approved card",
        )
        approved = slack.state.find_message(card.ts)
        assert "<@U0BOB0001>" in approved.content

        calls_before_run = len(slack.calls)
        await slack.click("carol", card, "launch", value="LU-1")
        summary = await w.thread_message(card, lambda m: "/etc/inittab" in m.content, within=60)
        await w.bot.engine.wait("LU-1")
        request = await w.bot.services.store.call(Store.get_request, "LU-1")
        assert request.state is RequestState.SUCCEEDED
        assert "/etc/inittab" in summary.content
        assert "21 s" in summary.content
        assert "blackout" in summary.content.lower()

        # One status message, edited in place as the phases went by.
        thread = slack.state.thread(CHANNEL, card.ts)
        [status] = [m for m in thread if m.ts != summary.ts]
        assert len(status.history) >= 3, "edited in place as the phases went by"
        assert "phase" in status.history[0].text
        assert not has_button(status.blocks, "cancel_run"), "no [Cancel] after the end"
        run_calls = [c for c in slack.calls[calls_before_run:] if c.method.startswith("chat.")]
        assert len(run_calls) <= RUN_CALL_BUDGET, [c.method for c in run_calls]
        assert len(w.operations(PROD)) == 1

        # The card shows the outcome and offers nothing more.
        final = slack.state.find_message(card.ts)
        assert not any(has_button(final.blocks, a) for a in ("approve", "reject", "launch"))
        notices = [m.content for m in slack.state.channel_messages("prod-ops")]
        assert any("launched" in n.lower() for n in notices), notices


async def test_cancel_before_the_point_of_no_return_stops_the_run(tmp_path) -> None:
    async with world(tmp_path, lpar_speed=20.0) as w:
        slack = w.slack
        await slack.slash("carol", CHANNEL, "/lku", f"preview {TEST}")
        card = await w.card("LU-1")
        await slack.click("alice", card, "approve", value="LU-1")
        await slack.wait_for(
            lambda: has_button(slack.state.find_message(card.ts).blocks, "launch"), within=WITHIN
        )
        await slack.click("carol", card, "launch", value="LU-1")
        status = await w.thread_message(card, lambda m: has_button(m.blocks, "cancel_run"))
        await slack.click("bob", status, "cancel_run", value="LU-1-1")
        await w.bot.engine.wait("LU-1")
        request = await w.bot.services.store.call(Store.get_request, "LU-1")
        assert request.state is RequestState.CANCELLED
        assert any("kill -TERM" in c.command for c in w.fleet.lpar(TEST).commands)
        await slack.wait_for(
            lambda: not has_button(slack.state.find_message(status.ts).blocks, "cancel_run"),
            within=WITHIN,
            what="the status message without [Cancel]",
        )
        await w.thread_message(card, lambda m: "cancelled" in m.content.lower())
