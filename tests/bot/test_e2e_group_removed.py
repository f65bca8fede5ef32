"""A group removed from the inventory while requests of it are open: after the restart their
cards still follow what happens to them, and whoever acts on one is told why nothing can be
decided, instead of the bot's background work stopping on the unknown name."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

import pytest

from liveupdate.requests import RequestState
from lpar.inventory import Inventory, load_inventory
from sim.aix import Fleet
from sim.slack import EmulatorConfig, SlackEmulator
from storage.store import Store

from .world import (
    CHANNEL,
    LPAR_SPEED,
    PROD,
    SLACK_SPEED,
    TEST,
    WITHIN,
    bot_config,
    bot_serving,
)

pytestmark = pytest.mark.slow

SHORT_TTL = timedelta(seconds=4)
"""Group test's requests expire this soon after their preview, during the second bot's life."""


def _short_lived(inventory: Inventory) -> Inventory:
    test = inventory.groups["test"].model_copy(update={"approval_ttl": SHORT_TTL})
    return inventory.model_copy(update={"groups": {**inventory.groups, "test": test}})


def _without_group_test(inventory: Inventory) -> Inventory:
    return inventory.model_copy(
        update={
            "groups": {n: g for n, g in inventory.groups.items() if n != "test"},
            "lpars": {n: lpar for n, lpar in inventory.lpars.items() if lpar.group != "test"},
        }
    )


async def test_the_cards_of_a_removed_group_still_expire_and_votes_are_refused_with_why(
    tmp_path,
) -> None:
    async with AsyncExitStack() as stack:
        fleet = await stack.enter_async_context(
            Fleet.start(2, out_dir=tmp_path / "fleet", speed=LPAR_SPEED)
        )
        slack = await stack.enter_async_context(
            SlackEmulator.start(EmulatorConfig(speed=SLACK_SPEED))
        )
        inventory = _short_lived(load_inventory(fleet.inventory_path))
        db = tmp_path / "lkubot.db"

        async with bot_serving(bot_config(inventory, db, slack, "http"), slack, "http"):
            await slack.slash("carol", CHANNEL, "/lku", f"preview {TEST}")
            card = await slack.wait_for_message(
                CHANNEL, lambda m: "LU-1" in m.content, within=WITHIN
            )
            await slack.slash("carol", CHANNEL, "/lku", f"preview {PROD}")
            await slack.wait_for_message(CHANNEL, lambda m: "LU-2" in m.content, within=WITHIN)

        # The admins drop group test (and its LPAR) from lpars.yml and restart lkubot.
        smaller = _without_group_test(inventory)
        async with bot_serving(bot_config(smaller, db, slack, "http"), slack, "http") as (bot, _):
            await slack.click("alice", card, "approve", value="LU-1")
            await slack.wait_for_ephemeral(
                "alice",
                lambda e: "Group test is no longer in lpars.yml" in e.content,
                within=WITHIN,
            )
            await slack.wait_for(
                lambda: "Expired" in slack.state.find_message(card.ts).content,
                within=WITHIN,
                what="the sweeper expiring LU-1 on its card",
            )
            shown = slack.state.find_message(card.ts)
            assert "Group test is no longer in the inventory" in shown.content
            assert not any(b.get("type") == "actions" for b in shown.blocks), shown.blocks
            expired = await bot.services.store.call(Store.get_request, "LU-1")
            assert expired.state is RequestState.EXPIRED
            assert expired.votes == (), "the refused approval was not recorded"
            # The other group's request is untouched and still takes votes.
            await slack.slash("alice", CHANNEL, "/lku", "approve LU-2")
            await slack.wait_for_ephemeral("alice", lambda e: "You approved LU-2" in e.content)
