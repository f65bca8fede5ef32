"""Where things stand, through Slack: `/lku list` (and `/lku status` alone) shows the open
requests, `/lku status LU-N` one request with its runs, `/lku status LPAR` and `/lku history
LPAR` an LPAR's requests; each answer is private and read from lkubot's records. The requests
get there the ways people end them: launched to the end, rejected with a reason, cancelled."""

from __future__ import annotations

import pytest

from liveupdate.requests import RequestState
from storage.store import Store

from .world import CHANNEL, PROD, TEST, WITHIN, World, has_button, world

pytestmark = pytest.mark.slow

CAROL, ALICE, BOB = "U0CAROL01", "U0ALICE01", "U0BOB0001"
OTHER_TEST = "lpar003"
"""The third simulated LPAR, in group test like lpar001."""


async def _preview(w: World, lpar: str, request_id: str) -> None:
    await w.slack.slash("carol", CHANNEL, "/lku", f"preview {lpar}")
    await w.card(request_id)


async def _state(w: World, request_id: str) -> RequestState:
    return (await w.bot.services.store.call(Store.get_request, request_id)).state


async def test_list_status_and_history_show_requests_as_they_ended(tmp_path) -> None:
    async with world(tmp_path, count=3) as w:
        # LU-1 on lpar001: approved, launched, succeeded.
        await _preview(w, TEST, "LU-1")
        card = await w.card("LU-1")
        await w.slack.click("alice", card, "approve", value="LU-1")
        await w.slack.wait_for(
            lambda: has_button(w.slack.state.find_message(card.ts).blocks, "launch"),
            within=WITHIN,
        )
        await w.slack.click("carol", card, "launch", value="LU-1")
        await w.thread_message(card, lambda m: "succeeded" in m.content)
        await w.bot.engine.wait("LU-1")
        # LU-2 on lpar002: rejected with a reason; LU-3 there: withdrawn by its requester.
        await _preview(w, PROD, "LU-2")
        assert "You rejected LU-2" in await w.told("bob", "reject LU-2 not during month end")
        await w.slack.wait_for_message(
            "prod-ops", lambda m: "LU-2" in m.content and "rejected" in m.content
        )
        await _preview(w, PROD, "LU-3")
        assert "LU-3 is cancelled" in await w.told("carol", "cancel LU-3")
        # LU-4 on lpar003: still waiting for votes.
        await _preview(w, OTHER_TEST, "LU-4")
        assert [await _state(w, f"LU-{n}") for n in (1, 2, 3, 4)] == [
            RequestState.SUCCEEDED,
            RequestState.REJECTED,
            RequestState.CANCELLED,
            RequestState.PENDING,
        ]

        for words in ("list", "status"):
            listed = await w.told("oscar", words)
            assert f"*LU-4* LKU on {OTHER_TEST}" in listed
            assert not any(f"*LU-{n}*" in listed for n in (1, 2, 3)), "only open requests"
            assert "1 open request(s), 0 locked LPAR(s)" in listed

        one = await w.told("carol", "status LU-1")
        assert "LU-1: succeeded" in one
        assert f"Approved by <@{ALICE}>" in one
        assert f"`LU-1-1` {TEST}: :tada: succeeded" in one
        assert "blackout 21 s" in one

        lpar = await w.told("carol", f"status {PROD}")
        assert f"{PROD} is not locked" in lpar
        assert lpar.index("*LU-3*") < lpar.index("*LU-2*"), "newest first"

        past = await w.told("carol", f"history {TEST}")
        assert f"History of {TEST}: 1 request(s)" in past
        assert f"approved by <@{ALICE}>" in past
        assert f"launched by <@{CAROL}>" in past
        assert "blackout 21 s" in past
        past = await w.told("carol", f"history {PROD}")
        assert f"History of {PROD}: 2 request(s)" in past
        assert f"rejected by <@{BOB}>" in past
        assert "Cancelled" in past

        unknown = await w.told("carol", "history lpar999")
        assert 'There is no LPAR "lpar999"' in unknown
