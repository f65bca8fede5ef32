"""What Slack shows after a run: a rollout that waits before its next wave, a run closed by an
admin, the answer to a clean-up."""

from __future__ import annotations

from bot.views.notices import notice_rollout_held, notice_run_ended
from bot.views.replies import render_cleanup
from bot.views.run_summary import render_run_summary
from liveupdate.requests import SlackLocation
from lpar.progress import CommandOutcome, RolloutHeld
from tests.bot.views.factory import lku_snapshot, valid
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


def test_a_success_closed_by_an_admin_says_so_in_the_summary() -> None:
    note = "Closed as succeeded by <@U0ADMIN01>, who checked lpar01: oslevel is 7300-03-01"
    summary = render_run_summary(lku_snapshot(outcome="succeeded", message=note)).message
    blocks = valid(summary)["blocks"]
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert f":information_source: {note}" in texts


def test_the_clean_up_answer_says_done_or_what_went_wrong() -> None:
    done = CommandOutcome(command="clvupdate", exit_status=0)
    assert render_cleanup("lpar01", done).text == "`clvupdate` on lpar01: done."
    failed = CommandOutcome(
        command="cllvupdate -u", exit_status=1, last_lines=("cllvupdate: <nothing> to clean",)
    )
    assert render_cleanup("lpar01", failed).text == (
        "`cllvupdate -u` on lpar01: exit status 1 (cllvupdate: <nothing> to clean)."
    )
    lost = CommandOutcome(command="clvupdate", exit_status=None, error="the connection dropped")
    assert render_cleanup("lpar01", lost).text == (
        "`clvupdate` on lpar01: no answer: the connection dropped."
    )


def test_an_unverified_run_is_neither_a_success_nor_a_failure_in_slack() -> None:
    note = "neither its output nor its log says how process(es) 5177620 fared"
    snapshot = lku_snapshot(outcome="failed", message=note).model_copy(
        update={"outcome": "unverified"}
    )
    notice = notice_run_ended(snapshot, None)
    assert notice.text.startswith(
        ":grey_question: *LU-17* live kernel update on lpar01 ended, but its result is "
        f"unconfirmed: {note}"
    )
    summary = render_run_summary(snapshot).message
    assert summary.text.startswith("LU-17 on lpar01 unverified after")
    assert ":grey_question: ended, result unconfirmed" in str(valid(summary)["blocks"][0])
