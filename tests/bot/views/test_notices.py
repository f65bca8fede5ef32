"""One line per event for the group's notification channel."""

from __future__ import annotations

from datetime import timedelta

from bot.views.message import SlackMessage
from bot.views.notices import (
    notice_approved,
    notice_blackout,
    notice_cancelled,
    notice_freeze,
    notice_launched,
    notice_rejected,
    notice_requested,
    notice_run_ended,
)
from liveupdate.policy import Freeze
from liveupdate.requests import Cancel, Launch, Reject, SlackLocation, apply
from storage.audit import AuditHead
from tests.bot.views.factory import aftercare, lines_until, lku_snapshot, valid
from tests.bot.views.test_request_card import NOW, approved, pending
from tests.policy.factory import ADMIN, ALICE, BOB, REQUESTER, prod_policy

CARD = SlackLocation(channel="C0AIXTEAM", ts="1764367200.000100")
HEAD = AuditHead(id=14, hash="91f4b02f4d5d3a42" + "7c" * 24)
ANCHOR = " · audit head `91f4b02f4d5d3a42`"


def one_line(message: SlackMessage) -> str:
    (block,) = valid(message)["blocks"]
    text = block["text"]["text"]
    assert "\n" not in text
    assert message.text == text
    return text


def test_requested_names_the_request_what_and_where_its_card_is() -> None:
    text = one_line(notice_requested(pending().model_copy(update={"card": CARD})))
    assert text.startswith(":memo: *LU-17* (LKU on lpar01) (update_all from /mnt/7300-03-01)")
    assert f"requested by <@{REQUESTER}>" in text
    assert text.endswith("see <#C0AIXTEAM>.")


def test_a_failed_preview_is_announced_as_such() -> None:
    text = one_line(notice_requested(pending(failed=True)))
    assert text.startswith(":no_entry: *LU-17*")
    assert "the preview failed, so it cannot be approved" in text


def test_approved_names_the_approvers() -> None:
    text = one_line(notice_approved(approved()))
    assert f"approved by <@{ALICE}>, <@{BOB}>: ready to launch" in text


def test_rejected_gives_the_reason_escaped() -> None:
    rejected = apply(
        pending(), Reject(user=BOB, reason="<!channel> wrong media"), prod_policy(), NOW
    )
    text = one_line(notice_rejected(rejected, HEAD))
    assert text.endswith(f"rejected by <@{BOB}>: &lt;!channel&gt; wrong media{ANCHOR}")


def test_a_launch_and_an_override_are_announced() -> None:
    request = approved()
    later = NOW + timedelta(minutes=5)
    plain = apply(
        request, Launch(user=REQUESTER, fingerprints=request.fingerprints), prod_policy(), later
    )
    assert one_line(notice_launched(plain)).startswith(
        f":rocket: *LU-17* (LKU on lpar01) launched by <@{REQUESTER}>"
    )
    frozen = prod_policy(freeze=Freeze(active=True, reason="close", by=ADMIN, since=NOW))
    forced = apply(
        request,
        Launch(user=ADMIN, fingerprints=request.fingerprints, override_reason="CVE fix, CAB ok"),
        frozen,
        later,
    )
    text = one_line(notice_launched(forced.model_copy(update={"card": CARD})))
    assert text.startswith(":rotating_light: *LU-17*")
    assert f"with an admin override of the freeze by <@{ADMIN}>: CVE fix, CAB ok" in text
    assert text.endswith("See <#C0AIXTEAM>.")


def test_cancelled_and_freeze() -> None:
    cancelled = apply(pending(), Cancel(user=REQUESTER, reason="wrong LPAR"), prod_policy(), NOW)
    text = one_line(notice_cancelled(cancelled, HEAD))
    assert "cancelled. Cancelled by" in text
    assert text.endswith(ANCHOR)
    on = one_line(notice_freeze(Freeze(active=True, reason="DC move", by=ADMIN, since=NOW)))
    assert on.startswith(f":snowflake: lkubot is frozen by <@{ADMIN}>: DC move.")
    off = one_line(notice_freeze(Freeze(active=False, by=ADMIN, since=NOW)))
    assert off == f":sunny: The lkubot freeze was lifted by <@{ADMIN}>: launches are allowed again."


def test_the_blackout_notice_gives_the_measured_seconds() -> None:
    text = one_line(notice_blackout(lku_snapshot(lines_until("Blackout Time end."))))
    assert text == (
        ":stopwatch: *LU-17* lpar01: blackout 21 s; the workload runs on the surrogate LPAR now."
    )


def test_the_end_of_a_run_in_one_line() -> None:
    done = lku_snapshot(outcome="succeeded", elapsed=672.0, aftercare=aftercare())
    text = one_line(notice_run_ended(done, HEAD))
    assert text == (
        ":tada: *LU-17* live kernel update on lpar01 succeeded in 11 min 12 s, blackout 21 s; "
        f"AIX 7300-02-02-2420 → 7300-03-01-2446.{ANCHOR}"
    )
    failed = lku_snapshot(
        lines_until("Starting alt_disk_copy"),
        outcome="failed",
        message="1430-237 FAILED: alt_disk_copy failed.",
    )
    assert one_line(notice_run_ended(failed, HEAD)).endswith(
        f"failed: 1430-237 FAILED: alt_disk_copy failed.{ANCHOR}"
    )
    # Only an empty chain has no head to anchor.
    assert one_line(notice_run_ended(failed, None)).endswith("alt_disk_copy failed.")
