"""Admins' holds through Slack: `/lku lock LPAR reason` holds one LPAR and `/lku unlock`
lifts it; `/lku freeze on|off` holds every launch everywhere and is announced. Only admins may
place or lift them, each is recorded in the audit trail with who did it, and a launch while
one holds is refused privately, naming it, with nothing sent to the LPAR."""

from __future__ import annotations

import pytest

from liveupdate.requests import RequestState
from storage.audit import AuditRow
from storage.store import Store

from .world import CHANNEL, TEST, WITHIN, World, has_button, world

pytestmark = pytest.mark.slow

DANA = "U0ADMIN01"


async def _approved(w: World) -> None:
    """LU-1 on lpar001 (group test: one approval), approved by alice."""
    await w.slack.slash("carol", CHANNEL, "/lku", f"preview {TEST}")
    card = await w.card("LU-1")
    await w.slack.click("alice", card, "approve", value="LU-1")
    await w.slack.wait_for(
        lambda: has_button(w.slack.state.find_message(card.ts).blocks, "launch"), within=WITHIN
    )


async def _audit(w: World) -> list[AuditRow]:
    return await w.bot.services.store.call(lambda store: list(store.audit_since()))


async def _state(w: World) -> RequestState:
    return (await w.bot.services.store.call(Store.get_request, "LU-1")).state


async def test_a_lock_holds_one_lpar_until_an_admin_unlocks_it(tmp_path) -> None:
    async with world(tmp_path) as w:
        await _approved(w)

        refused = await w.told("carol", f"lock {TEST} disk replacement")
        assert f"Only lkubot admins can lock {TEST}" in refused
        assert "is held" in await w.told("dana", f"lock {TEST} disk replacement tonight")

        listed = await w.told("carol", "list")
        assert f"*{TEST}* held by <@{DANA}>" in listed
        assert "disk replacement tonight" in listed
        assert "held by" in await w.told("carol", f"status {TEST}")

        launch = await w.told("carol", "launch LU-1")
        assert f"{TEST} is held by {DANA}" in launch
        assert "disk replacement tonight" in launch
        assert await _state(w) is RequestState.APPROVED
        assert w.operations(TEST) == []

        refused = await w.told("carol", f"unlock {TEST}")
        assert f"Only lkubot admins can unlock {TEST}" in refused
        assert f"{TEST} is no longer held" in await w.told("dana", f"unlock {TEST}")
        assert f"{TEST} is not locked" in await w.told("carol", f"status {TEST}")

        await w.slack.slash("carol", CHANNEL, "/lku", "launch LU-1")
        await w.slack.wait_for(
            lambda: len(w.operations(TEST)) == 1, within=WITHIN, what="the operation started"
        )
        await w.bot.engine.wait("LU-1")
        assert await _state(w) is RequestState.SUCCEEDED

        holds = [(r.action, r.actor, r.lpar) for r in await _audit(w) if r.actor == DANA]
        assert holds == [("lock.taken", DANA, TEST), ("lock.released", DANA, TEST)]


async def test_the_freeze_holds_every_launch_and_is_announced(tmp_path) -> None:
    async with world(tmp_path) as w:
        await _approved(w)

        refused = await w.told("alice", "freeze on quarter-end close")
        assert "Only lkubot admins can switch the freeze" in refused
        assert "The freeze is on" in await w.told("dana", "freeze on quarter-end close")
        await w.slack.wait_for_message(
            "prod-ops", lambda m: "frozen" in m.content and "quarter-end close" in m.content
        )
        assert "*Frozen* by <@U0ADMIN01>" in await w.told("carol", "list")

        launch = await w.told("carol", "launch LU-1")
        assert "lkubot is frozen (quarter-end close)" in launch
        assert "override" in launch
        assert await _state(w) is RequestState.APPROVED
        assert w.operations(TEST) == []

        assert "The freeze is off" in await w.told("dana", "freeze off")
        await w.slack.wait_for_message("prod-ops", lambda m: "freeze was lifted" in m.content)
        await w.slack.slash("carol", CHANNEL, "/lku", "launch LU-1")
        await w.slack.wait_for(
            lambda: len(w.operations(TEST)) == 1, within=WITHIN, what="the operation started"
        )
        await w.bot.engine.wait("LU-1")

        switches = [(r.action, r.actor) for r in await _audit(w) if r.action.startswith("freeze")]
        assert switches == [("freeze.on", DANA), ("freeze.off", DANA)]
