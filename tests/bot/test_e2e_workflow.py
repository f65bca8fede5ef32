"""The acceptance test of the product: through the Slack emulator and simulated LPARs over
real sockets, a request is previewed, approved by two people, launched, followed on one
status message edited in place, and summed up with its blackout and config.diff."""

from __future__ import annotations

import pytest

from liveupdate.requests import RequestState
from storage.store import Store

from .world import CHANNEL, PROD, WITHIN, has_button, versions, world

pytestmark = pytest.mark.slow

RUN_CALL_BUDGET = 15
"""A whole LKU run costs Slack at most about this many Web API calls (DESIGN.md)."""


async def test_preview_two_approvals_launch_status_and_final_summary(tmp_path) -> None:
    async with world(tmp_path) as w:
        slack = w.slack
        asked = await slack.slash("carol", CHANNEL, "/lku", f"preview {PROD}")
        assert asked.acked
        assert asked.elapsed < 3.0
        await slack.wait_for_ephemeral("carol", lambda e: f"Previewing {PROD}" in e.content)
        card = await w.card("LU-1")
        assert PROD in card.content
        assert "<@U0CAROL01>" in card.content
        notices = slack.state.channel_messages("prod-ops")
        assert any("LU-1" in m.content for m in notices), "requested notice"

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
        assert not has_button(approved.blocks, "approve")

        calls_before_run = len(slack.calls)
        await slack.click("carol", card, "launch", value="LU-1")
        summary = await w.thread_message(
            card, lambda m: "config.diff" in m.content or "/etc/inittab" in m.content
        )
        await w.bot.engine.wait("LU-1")
        request = await w.bot.services.store.call(Store.get_request, "LU-1")
        assert request.state is RequestState.SUCCEEDED
        assert "/etc/inittab" in summary.content
        assert "21 s" in summary.content
        assert "blackout" in summary.content.lower()

        # One status message, edited in place as the phases went by.
        thread = slack.state.thread(CHANNEL, card.ts)
        status = [m for m in thread if any(has_button(b, "cancel_run") for b in versions(m))]
        assert len(status) == 1, [m.content.splitlines()[0] for m in thread]
        assert len(status[0].history) >= 3
        run_calls = [c for c in slack.calls[calls_before_run:] if c.method.startswith("chat.")]
        assert len(run_calls) <= RUN_CALL_BUDGET, [c.method for c in run_calls]
        assert len(w.operations(PROD)) == 1

        # The card shows the outcome and offers nothing more.
        final = slack.state.find_message(card.ts)
        assert not any(has_button(final.blocks, a) for a in ("approve", "reject", "launch"))
        launched = [m for m in slack.state.channel_messages("prod-ops") if "launch" in m.content]
        assert launched, "launched notice"
