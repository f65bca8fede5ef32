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
from lpar.inventory import load_inventory
from lpar.options import EngineOptions
from sim.aix import Fleet, Scenario
from sim.slack import EmulatorConfig, SlackEmulator
from storage.store import Store
from tests.bot.world import CHANNEL, SLACK_SPEED, WITHIN, bot_config, bot_serving, has_button

pytestmark = pytest.mark.slow

LPAR = "lpar001"
OUT_OF_CONTACT = STATE_LABELS[RequestState.UNKNOWN]


async def test_the_card_shows_the_run_out_of_contact_and_back(tmp_path) -> None:
    # 300 s of the LPAR's time without SSH from the blackout on: 2.5 s at 120x.
    scenario = Scenario(lpars={LPAR: {"faults": {"drop": {"phase": "blackout", "seconds": 300}}}})
    async with (
        Fleet.start(1, out_dir=tmp_path / "fleet", speed=120.0, scenario=scenario) as fleet,
        SlackEmulator.start(EmulatorConfig(speed=SLACK_SPEED)) as slack,
    ):
        config = bot_config(
            load_inventory(fleet.inventory_path), tmp_path / "lkubot.db", slack, "http"
        ).model_copy(
            update={
                "engine": EngineOptions(
                    backoff=Backoff(first=0.05, factor=2.0, slowest=0.2), lost_contact_after=0.5
                )
            }
        )
        async with bot_serving(config, slack, "http") as (bot, _):
            await slack.slash("carol", CHANNEL, "/lku", f"preview {LPAR}")
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
                lambda: OUT_OF_CONTACT in slack.state.find_message(card.ts).content,
                within=WITHIN,
                what="the card out of contact",
            )
            await slack.wait_for(
                lambda: (
                    STATE_LABELS[RequestState.SUCCEEDED]
                    in slack.state.find_message(card.ts).content
                ),
                within=WITHIN,
                what="the card showing the end",
            )
            await bot.engine.wait("LU-1")
            shown = [v.text for v in slack.state.find_message(card.ts).history]

        with Store.open(tmp_path / "lkubot.db") as store:
            assert store.get_request("LU-1").state is RequestState.SUCCEEDED
            actions = [row.action for row in store.audit_trail("LU-1")]
        assert len([c for c in fleet.lpar(LPAR).commands if c.operation]) == 1, "started once"
        # The card: running, then out of contact, then running again, then the end.
        states = [text.rsplit(": ", 1)[-1] for text in shown]
        lost = states.index("running, out of contact")
        assert states[lost - 1] == "running"
        assert states[lost + 1] == "running"
        assert "request.lose_contact" in actions
        assert "request.resume" in actions
