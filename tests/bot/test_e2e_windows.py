"""Change windows: a launch outside one is refused; an admin's override is allowed, recorded
with who and why, and announced."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from liveupdate.policy import WEEKDAYS, ChangeWindow
from liveupdate.requests import RequestState
from lpar.inventory import Inventory
from storage.store import Store

from .world import CHANNEL, TEST, WITHIN, has_button, world

pytestmark = pytest.mark.slow

REASON = "P1 incident INC123: the kernel fix cannot wait"


def _closed_window(inventory: Inventory) -> Inventory:
    """A one-minute weekly window three days from now: certainly closed during the test."""
    day = WEEKDAYS[(datetime.now(UTC) + timedelta(days=3)).weekday()]
    window = ChangeWindow(days=[day], start="03:00", end="03:01", timezone="UTC")
    groups = {
        name: group.model_copy(update={"change_windows": [window]})
        for name, group in inventory.groups.items()
    }
    return inventory.model_copy(update={"groups": groups})


async def test_outside_the_window_refused_then_an_admin_override_is_recorded_and_announced(
    tmp_path,
) -> None:
    async with world(tmp_path, edit_inventory=_closed_window) as w:
        slack = w.slack
        await slack.slash("carol", CHANNEL, "/lku", f"preview {TEST}")
        card = await w.card("LU-1")
        await slack.click("alice", card, "approve", value="LU-1")
        await slack.wait_for(
            lambda: has_button(slack.state.find_message(card.ts).blocks, "launch"), within=WITHIN
        )
        await slack.click("carol", card, "launch", value="LU-1")
        await slack.wait_for_ephemeral(
            "carol", lambda e: "change windows" in e.content, within=WITHIN
        )
        await w.bot.tasks.wait_idle(within=WITHIN)
        assert w.operations(TEST) == []
        request = await w.bot.services.store.call(Store.get_request, "LU-1")
        assert request.state is RequestState.APPROVED

        # Carol is no admin: her override is refused too.
        await slack.slash("carol", CHANNEL, "/lku", f"launch LU-1 override {REASON}")
        await slack.wait_for_ephemeral("carol", lambda e: "Only an lkubot admin" in e.content)

        await slack.slash("dana", CHANNEL, "/lku", f"launch LU-1 override {REASON}")
        await w.thread_message(card, lambda m: "/etc/inittab" in m.content)
        await w.bot.engine.wait("LU-1")
        request = await w.bot.services.store.call(Store.get_request, "LU-1")
        assert request.override is not None
        assert (request.override.by, request.override.reason) == ("U0ADMIN01", REASON)
        assert request.override.overrode == ("change_window",)
        trail = await w.bot.services.store.call(Store.audit_trail, "LU-1")
        assert any(REASON in json.dumps(row.detail) for row in trail)
        announced = [m for m in slack.state.channel_messages("prod-ops") if REASON in m.content]
        assert announced, "the override is announced in the group's channel"
        assert len(w.operations(TEST)) == 1
