"""The notice of a rollout that waits before its next wave."""

from __future__ import annotations

from bot.views.notices import notice_rollout_held
from liveupdate.requests import SlackLocation
from lpar.progress import RolloutHeld
from tests.bot.views.factory import valid
from tests.bot.views.test_request_card import NOW, approved

CARD = SlackLocation(channel="C0AIXTEAM", ts="1764367200.000100")


def test_a_held_rollout_says_why_and_where_to_look_with_typed_text_escaped() -> None:
    request = approved().model_copy(update={"card": CARD})
    event = RolloutHeld(
        request_id=request.id,
        at=NOW,
        wave=2,
        waves=3,
        message=(
            f"The rollout of {request.id} waits before its next wave: lkubot is frozen "
            "(<!channel> INC42 & co). It goes on by itself once the freeze is lifted."
        ),
    )
    message = notice_rollout_held(event, request)
    (block,) = valid(message)["blocks"]
    assert (
        block["text"]["text"]
        == message.text
        == (
            ":double_vertical_bar: *LU-17* (LKU on lpar01): The rollout of LU-17 waits before its "
            "next wave: lkubot is frozen (&lt;!channel&gt; INC42 &amp; co). It goes on by itself "
            "once the freeze is lifted. See <#C0AIXTEAM>."
        )
    )
