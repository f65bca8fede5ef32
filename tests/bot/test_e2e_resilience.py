"""Nothing lost, nothing twice: Slack answering 429 for a minute, and lkubot restarted in the
middle of a run."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from liveupdate.requests import Request, RequestState
from lpar.inventory import load_inventory
from sim.aix import Fleet
from sim.slack import EmulatorConfig, SlackEmulator
from storage.shown import notice_ts
from storage.store import Store

from .world import (
    CHANNEL,
    SLACK_SPEED,
    TEST,
    WITHIN,
    bot_config,
    bot_serving,
    has_button,
    world,
)

pytestmark = pytest.mark.slow


def _is_summary(message) -> bool:
    return "/etc/inittab" in message.content


async def test_a_429_storm_still_ends_with_the_final_summary(tmp_path) -> None:
    async with world(tmp_path) as w:
        slack = w.slack
        await slack.slash("carol", CHANNEL, "/lku", f"preview {TEST}")
        card = await w.card("LU-1")
        await slack.click("alice", card, "approve", value="LU-1")
        await w.slack.wait_for(
            lambda: has_button(slack.state.find_message(card.ts).blocks, "launch"), within=WITHIN
        )
        await slack.click("carol", card, "launch", value="LU-1")
        await w.thread_message(card, lambda m: m.ts != card.ts)
        # A minute of 429s on every method, in Slack's time.
        slack.inject_rate_limit("*", seconds=60)
        await w.thread_message(card, _is_summary, within=WITHIN * 2)
        assert any(c.status == 429 for c in slack.calls)
        request = await w.bot.services.store.call(Store.get_request, "LU-1")
        assert request.state is RequestState.SUCCEEDED
        summaries = [m for m in slack.state.thread(CHANNEL, card.ts) if _is_summary(m)]
        assert len(summaries) == 1


async def test_a_restart_mid_run_reattaches_and_posts_nothing_twice(tmp_path) -> None:
    async with AsyncExitStack() as stack:
        fleet = await stack.enter_async_context(
            # A slower LPAR clock, so the restart surely falls inside the operation.
            Fleet.start(2, out_dir=tmp_path / "fleet", speed=120.0)
        )
        slack = await stack.enter_async_context(
            SlackEmulator.start(EmulatorConfig(speed=SLACK_SPEED))
        )
        inventory = load_inventory(fleet.inventory_path)
        config = bot_config(inventory, tmp_path / "lkubot.db", slack, "http")

        async with bot_serving(config, slack, "http") as (_first, _):
            await slack.slash("carol", CHANNEL, "/lku", f"preview {TEST}")
            card = await slack.wait_for_message(
                CHANNEL, lambda m: "LU-1" in m.content, within=WITHIN
            )
            await slack.click("alice", card, "approve", value="LU-1")
            await slack.wait_for(
                lambda: has_button(slack.state.find_message(card.ts).blocks, "launch"),
                within=WITHIN,
            )
            await slack.click("carol", card, "launch", value="LU-1")
            await slack.wait_for(
                lambda: any(len(m.history) >= 2 for m in slack.state.thread(CHANNEL, card.ts)),
                within=WITHIN,
                what="the status message edited at least twice",
            )
        # The first bot is gone mid-run; the operation goes on on the LPAR.
        request = await _request(tmp_path)
        assert request.state in (RequestState.RUNNING, RequestState.UNKNOWN)
        posted_before = {m.ts for m in slack.state.thread(CHANNEL, card.ts)}

        async with bot_serving(config, slack, "http") as (second, _):
            assert second.reattached == ["LU-1"]
            await slack.wait_for_message(CHANNEL, _is_summary, thread_ts=card.ts, within=WITHIN * 2)
            await second.engine.wait("LU-1")

        thread = slack.state.thread(CHANNEL, card.ts)
        status = [m for m in thread if not _is_summary(m)]
        assert len(status) == 1, "the status message is edited, never posted again"
        assert status[0].ts in posted_before
        assert "succeeded" in status[0].text
        assert len([m for m in thread if _is_summary(m)]) == 1
        texts = [m.content for m in thread]
        assert len(texts) == len(set(texts)), "no message posted twice"
        operations = [c for c in fleet.lpar(TEST).commands if c.operation]
        assert len(operations) == 1, "the operation is started once, whatever happens"
        assert (await _request(tmp_path)).state is RequestState.SUCCEEDED


async def _request(tmp_path: Path) -> Request:
    with Store.open(tmp_path / "lkubot.db") as store:
        return store.get_request("LU-1")


async def test_the_start_up_catch_up_leaves_a_launch_of_this_bot_to_its_own_notice(
    tmp_path,
) -> None:
    # A restarted bot's catch-up looks for launches owed their "launched" notice only after
    # it has edited the cards left behind, which takes a while when Slack answers 429. A
    # launch this bot made in the meantime, whose notice Slack is holding back, is the
    # launch's own to announce: the catch-up must not post it as well.
    async with world(tmp_path) as w:
        slack = w.slack
        card = await w.approved(TEST)
        slack.inject_rate_limit("chat.postMessage", seconds=30)
        await slack.click("carol", card, "launch", value="LU-1")
        await slack.wait_for(
            lambda: any(
                c.status == 429 and str(c.args.get("text", "")).startswith(":rocket: *LU-1*")
                for c in slack.calls_to("chat.postMessage")
            ),
            within=WITHIN,
            what="the launched notice held back by a 429",
        )

        await w.bot.catch_up()
        # The click's work ends once its notice is posted (after the storm) and recorded.
        await w.bot.tasks.wait_idle(within=WITHIN)

        posted = [
            m.ts
            for m in slack.state.channel_messages("prod-ops")
            if m.text.startswith(":rocket: *LU-1*")
        ]
        recorded = await w.bot.services.store.call(notice_ts, "LU-1", "launched")
        assert posted == [recorded]
