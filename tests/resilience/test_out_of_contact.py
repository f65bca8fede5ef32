"""An SSH outage longer than `lost_contact_after`: the request becomes unknown and its card
says so, then running again when the LPAR answers, and the run ends as if nothing happened.

lkubot runs in-process here, with a contact limit of half a second, so that an outage of a
few seconds crosses it.
"""

from __future__ import annotations

import pytest

from bot.views.request_card import STATE_LABELS
from liveupdate.requests import RequestState
from lpar.follow import Backoff
from lpar.options import EngineOptions
from sim.aix import Scenario
from storage.store import Store
from tests.bot.world import TEST, WITHIN, world

pytestmark = pytest.mark.slow

OUT_OF_CONTACT = STATE_LABELS[RequestState.UNKNOWN]
QUICK_TO_LOSE_CONTACT = EngineOptions(
    backoff=Backoff(first=0.05, factor=2.0, slowest=0.2), lost_contact_after=0.5
)


async def test_the_card_shows_the_run_out_of_contact_and_back(tmp_path) -> None:
    # 300 s of the LPAR's time without SSH from the blackout on: 2.5 s at 120x.
    scenario = Scenario(lpars={TEST: {"faults": {"drop": {"phase": "blackout", "seconds": 300}}}})
    async with world(
        tmp_path, count=1, scenario=scenario, lpar_speed=120.0, engine=QUICK_TO_LOSE_CONTACT
    ) as w:
        card = await w.launched(TEST)

        def shows(label: str) -> bool:
            return label in w.slack.state.find_message(card.ts).content

        await w.slack.wait_for(
            lambda: shows(OUT_OF_CONTACT), within=WITHIN, what="the card out of contact"
        )
        await w.slack.wait_for(
            lambda: shows(STATE_LABELS[RequestState.SUCCEEDED]),
            within=WITHIN,
            what="the card showing the end",
        )
        await w.bot.engine.wait("LU-1")
        shown = [v.text for v in w.slack.state.find_message(card.ts).history]

    with Store.open(w.db) as store:
        assert store.get_request("LU-1").state is RequestState.SUCCEEDED
        actions = [row.action for row in store.audit_trail("LU-1")]
    assert len(w.operations(TEST)) == 1, "started once"
    # The card: running, then out of contact, then running again, then the end.
    states = [text.rsplit(": ", 1)[-1] for text in shown]
    lost = states.index("running, out of contact")
    assert states[lost - 1] == "running"
    assert states[lost + 1] == "running"
    assert "request.lose_contact" in actions
    assert "request.resume" in actions
