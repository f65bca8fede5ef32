"""After a run, through Slack: the clean-up a failed run offers (admins only, refused while the
LPAR is held, audited), an admin closing a run lkubot lost track of, and one bot per
database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.service import Bot
from liveupdate.requests import RequestState
from liveupdate.runs import RunState
from lpar.inventory import load_inventory
from sim.aix import Fleet
from sim.aix.faults import ConnectionDrop, PhaseFailure
from sim.slack import EmulatorConfig, SlackEmulator
from storage.errors import DatabaseInUse, NotFound
from storage.store import Store

from .world import (
    CHANNEL,
    FAST_ENGINE,
    LPAR_SPEED,
    SLACK_SPEED,
    TEST,
    WITHIN,
    World,
    bot_config,
    bot_serving,
    has_button,
    world,
)

pytestmark = pytest.mark.slow

ADMIN = "U0ADMIN01"


async def _launched(w: World) -> None:
    """carol previews the test LPAR, alice approves, carol launches LU-1."""
    slack = w.slack
    await slack.slash("carol", CHANNEL, "/lku", f"preview {TEST}")
    card = await w.card("LU-1")
    await slack.click("alice", card, "approve", value="LU-1")
    await slack.wait_for(
        lambda: has_button(slack.state.find_message(card.ts).blocks, "launch"), within=WITHIN
    )
    await slack.click("carol", card, "launch", value="LU-1")


async def test_clean_up_is_for_admins_refused_while_the_lpar_is_held_and_audited(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        w.fleet.lpar(TEST).state.faults.fail_at = PhaseFailure(phase="alt_disk_copy")
        await _launched(w)
        card = await w.card("LU-1")
        summary = await w.thread_message(card, lambda m: has_button(m.blocks, "cleanup"))

        await w.slack.click("oscar", summary, "cleanup", value="LU-1-1")
        await w.slack.wait_for_ephemeral(
            "oscar",
            lambda e: "Only lkubot admins can clean up after LU-1-1 on lpar001" in e.content,
            within=WITHIN,
        )
        assert "is held" in await w.told("dana", f"lock {TEST} SAN maintenance tonight")
        await w.slack.click("dana", summary, "cleanup", value="LU-1-1")
        await w.slack.wait_for_ephemeral(
            "dana",
            lambda e: f"{TEST} is held by {ADMIN}" in e.content and "SAN maintenance" in e.content,
            within=WITHIN,
        )
        assert [c for c in w.fleet.lpar(TEST).commands if c.command == "clvupdate"] == []

        assert "no longer held" in await w.told("dana", f"unlock {TEST}")
        answer = await w.told("dana", "cleanup LU-1-1")
        assert "Cleaning up after LU-1-1 on lpar001" in answer
        await w.slack.wait_for_ephemeral(
            "dana", lambda e: "`clvupdate` on lpar001: done." in e.content, within=WITHIN
        )
        assert [c.command for c in w.fleet.lpar(TEST).commands if c.command == "clvupdate"] == [
            "clvupdate"
        ]
        trail = await w.bot.services.store.call(Store.audit_trail, "LU-1")
        [cleanup] = [row for row in trail if row.action == "lpar.cleanup"]
        assert (cleanup.actor, cleanup.detail["exit_status"]) == (ADMIN, 0)
        assert await w.bot.services.store.call(Store.locks) == []


async def test_an_admin_closes_a_run_lkubot_lost_and_the_request_ends(tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        fleet = await stack.enter_async_context(
            Fleet.start(2, out_dir=tmp_path / "fleet", speed=LPAR_SPEED)
        )
        slack = await stack.enter_async_context(
            SlackEmulator.start(EmulatorConfig(speed=SLACK_SPEED))
        )
        inventory = load_inventory(fleet.inventory_path)
        config = bot_config(inventory, tmp_path / "lkubot.db", slack, "http")
        config = config.model_copy(
            update={"engine": FAST_ENGINE.model_copy(update={"lost_contact_after": 0.5})}
        )
        bot, client = await stack.enter_async_context(bot_serving(config, slack, "http"))
        w = World(fleet, slack, bot, inventory, config.db, client)
        # The LPAR stays out of reach from the blackout on: lkubot cannot tell how it ends.
        fleet.lpar(TEST).state.faults.drop = ConnectionDrop(phase="blackout", seconds=3_600_000)
        await _launched(w)
        store = bot.services.store
        await _until(lambda: _run_state(w, "LU-1-1"), RunState.UNKNOWN)

        refused = await w.told("oscar", "resolve LU-1-1 failed looked at the console")
        assert "Only lkubot admins can close LU-1-1 on lpar001 by hand" in refused
        assert "Say what you found on the LPAR" in await w.told("dana", "resolve LU-1-1 failed")
        answer = await w.told(
            "dana", "resolve LU-1-1 succeeded checked on the HMC: oslevel is 7300-03-01"
        )
        assert "LU-1-1 is closed as succeeded, and lpar001 is free again." in answer
        card = await w.card("LU-1")
        await w.thread_message(card, lambda m: "Closed as succeeded by" in m.content)
        await _until(lambda: _request_state(w, "LU-1"), RequestState.SUCCEEDED)
        assert await store.call(Store.locks) == []
        trail = await store.call(Store.audit_trail, "LU-1")
        [closed] = [row for row in trail if row.action == "run.resolved"]
        assert closed.actor == ADMIN
        assert closed.detail["reason"] == "checked on the HMC: oslevel is 7300-03-01"


async def test_a_second_bot_on_the_same_database_is_refused_and_the_first_goes_on(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        config = bot_config(w.inventory, w.db, w.slack, "http")
        with pytest.raises(DatabaseInUse, match=r"Another lkubot .* is running on"):
            async with Bot.running(config, w.client):
                pass
        await w.slack.slash("carol", CHANNEL, "/lku", f"preview {TEST}")
        await w.card("LU-1")


async def _run_state(w: World, run_id: str) -> RunState | None:
    """The run's state, None until the launch has created it."""
    try:
        return (await w.bot.services.store.call(Store.get_run, run_id)).state
    except NotFound:
        return None


async def _request_state(w: World, request_id: str) -> RequestState:
    return (await w.bot.services.store.call(Store.get_request, request_id)).state


async def _until(read: Callable[[], Awaitable[object]], wanted: object) -> None:
    """Wait (at most WITHIN seconds) until what `read` gives from SQLite is `wanted`."""
    async with asyncio.timeout(WITHIN):
        while await read() != wanted:  # noqa: ASYNC110 (SQLite has no event to await)
            await asyncio.sleep(0.05)
