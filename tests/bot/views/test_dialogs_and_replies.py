"""The reject modal and its submission; help, list, status and history; private answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.views import actions
from bot.views.actions import BadActionValue
from bot.views.dialogs import read_reject_submission, render_reject_modal
from bot.views.replies import (
    VERB_HELP,
    render_error,
    render_help,
    render_history,
    render_lpar_status,
    render_notice,
    render_request_list,
    render_request_status,
)
from commands.words import MAX_TEXT, USAGE, usage
from liveupdate.policy import Freeze
from liveupdate.requests import Reject, apply
from liveupdate.runs import Lock, RunState
from storage.reports import HistoryEntry
from tests.bot.views.factory import run, valid, valid_view
from tests.bot.views.test_request_card import NOW, approved, pending
from tests.policy.factory import ADMIN, ALICE, BOB, REQUESTER, prod_policy


def submitted(view: dict, reason: str | None) -> dict:
    """The view as a view_submission carries it back, with the reason typed."""
    state = {
        actions.REJECT_REASON_BLOCK: {
            actions.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": reason}
        }
    }
    return {**view, "state": {"values": state}}


def test_the_reject_modal_asks_for_a_reason_and_carries_the_request_id() -> None:
    view = valid_view(render_reject_modal(pending()))
    assert view["callback_id"] == actions.REJECT_MODAL
    assert view["private_metadata"] == "LU-17"
    assert view["title"]["text"] == "Reject LU-17"
    (field,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["block_id"] == actions.REJECT_REASON_BLOCK
    assert field["element"]["action_id"] == actions.REJECT_REASON_INPUT
    assert field["element"]["max_length"] == MAX_TEXT
    assert not field.get("optional")


def test_a_submitted_reason_reads_back_as_one_line() -> None:
    view = render_reject_modal(pending()).view
    submission = read_reject_submission(submitted(view, "  not during\nmonth-end close  "))
    assert (submission.request_id, submission.reason) == ("LU-17", "not during month-end close")


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_empty_reason_is_refused(reason) -> None:
    view = render_reject_modal(pending()).view
    with pytest.raises(BadActionValue, match="say why"):
        read_reject_submission(submitted(view, reason))


def test_a_view_lkubot_did_not_open_is_refused() -> None:
    view = {**render_reject_modal(pending()).view, "private_metadata": "lpar01; rm -rf /"}
    with pytest.raises(BadActionValue):
        read_reject_submission(submitted(view, "a reason"))


def test_help_lists_every_verb_with_its_usage_and_who_may_use_it() -> None:
    for kind in ("lku", "llu"):
        text = valid(render_help(kind))["text"]
        for verb in USAGE:
            assert f"`{usage(kind, verb)}`" in text
            assert VERB_HELP[verb][1] in text
    assert "`/llu preview TARGET`" in valid(render_help("llu"))["text"]


def test_help_on_one_verb_gives_an_example() -> None:
    text = valid(render_help("lku", "launch"))["text"]
    assert "`/lku launch ID [override REASON]`" in text
    assert "*Example:* `/lku launch LU-17`" in text
    assert "admin" in text
    assert "*Example:* `/llu preview lpar01`" in valid(render_help("llu", "preview"))["text"]


def test_the_list_shows_open_requests_locks_and_the_freeze() -> None:
    lock = Lock(lpar="lpar03", owner=ADMIN, reason="SAN migration <!here>", since=NOW)
    held = Lock(lpar="lpar01", owner="LU-17-1", reason="run", since=NOW)
    freeze = Freeze(active=True, reason="quarter close", by=ADMIN, since=NOW)
    message = render_request_list([approved(), pending("lpar02")], [lock, held], freeze, NOW)
    text = valid(message)["text"]
    assert f":snowflake: *Frozen* by <@{ADMIN}>" in text
    assert "quarter close" in text
    assert "*LU-17* LKU on lpar01 · :white_check_mark: Approved" in text
    assert "launch before <!date^" in text
    assert "*LU-17* LKU on lpar02 · :hourglass_flowing_sand: Waiting for approvals" in text
    assert f":lock: *lpar03* held by <@{ADMIN}>" in text
    assert "SAN migration &lt;!here&gt;" in text
    assert ":lock: *lpar01* held by run `LU-17-1`" in text
    assert message.text == "Live updates: 2 open request(s), 2 locked LPAR(s), frozen"


def test_an_empty_list_says_so() -> None:
    text = valid(render_request_list([], [], Freeze(), NOW))["text"]
    assert "No open requests." in text
    assert "Frozen" not in text


def test_a_request_past_its_expiry_is_listed_as_expired() -> None:
    request = pending()
    text = valid(render_request_list([request], [], Freeze(), request.expires_at))["text"]
    assert ":hourglass: Expired" in text


def test_request_status_shows_approvers_and_each_run() -> None:
    request = approved()
    runs = [run(RunState.RUNNING, point_of_no_return=True, blackout_seconds=21.0)]
    text = valid(render_request_status(request, runs, NOW))["text"]
    assert f"Approved by <@{ALICE}>, <@{BOB}>" in text
    assert "`LU-17-1` lpar01: :arrows_counterclockwise: running since" in text
    assert "past the point of no return" in text
    assert "blackout 21 s" in text


def test_lpar_status_says_who_holds_it() -> None:
    lock = Lock(lpar="lpar01", owner=ADMIN, reason="disk replacement", since=NOW)
    text = valid(render_lpar_status("lpar01", lock, [pending()], NOW))["text"]
    assert f"held by <@{ADMIN}>" in text
    assert "*LU-17*" in text
    free = valid(render_lpar_status("lpar09", None, [], NOW))["text"]
    assert "lpar09 is not locked" in free
    assert "No requests for lpar09 yet." in free


def test_history_tells_each_request_with_its_votes_and_run() -> None:
    rejected = apply(pending(), Reject(user=BOB, reason="wrong media"), prod_policy(), NOW)
    entries = [
        HistoryEntry(
            request_id="LU-17",
            kind=rejected.kind,
            target="lpar01",
            state=rejected.state,
            requester=REQUESTER,
            created_at=NOW,
            approved_by=(),
            rejected_by=BOB,
            override=None,
            launched_by=None,
            ended_at=rejected.ended_at,
            note=rejected.note,
            run=None,
        ),
        HistoryEntry(
            request_id="LU-12",
            kind=rejected.kind,
            target="lpar01",
            state="succeeded",
            requester=REQUESTER,
            created_at=NOW - timedelta(days=30),
            approved_by=(ALICE, BOB),
            rejected_by=None,
            override=None,
            launched_by=REQUESTER,
            ended_at=NOW - timedelta(days=30),
            note=None,
            run=run(RunState.SUCCEEDED, blackout_seconds=21.0),
        ),
    ]
    text = valid(render_history("lpar01", entries))["text"]
    assert "*LU-17* LKU · :no_entry_sign: Rejected" in text
    assert f"rejected by <@{BOB}>" in text
    assert "wrong media" in text
    assert f"approved by <@{ALICE}>, <@{BOB}>" in text
    assert "blackout 21 s" in text
    assert "lkubot has no requests for lpar09." in valid(render_history("lpar09", []))["text"]


def test_private_answers_keep_mentions_and_escape_the_rest() -> None:
    text = valid(render_notice(f"You approved LU-17, <@{ALICE}>. <!channel>"))["text"]
    assert f"<@{ALICE}>" in text
    assert "&lt;!channel&gt;" in text


def test_an_unexpected_error_shows_its_reference() -> None:
    message = render_error("Something went wrong inside lkubot.", reference="e7f3a2")
    text = valid(message)["text"]
    assert ":warning: Something went wrong inside lkubot." in text
    assert "Reference `e7f3a2`" in text
    assert message.text == "Something went wrong inside lkubot."
