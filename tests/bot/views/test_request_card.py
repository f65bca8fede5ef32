"""The request card: what it shows in each state, which buttons it offers, and that it stays
within Slack's limits whatever people type and however big the group."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.views import actions
from bot.views.actions import BadActionValue, CheckRef
from bot.views.request_card import (
    RAW_OUTPUT_KEY,
    CheckNotFound,
    render_check_details,
    render_request_card,
)
from liveupdate.checks import UpdateKind
from liveupdate.policy import Freeze
from liveupdate.requests import (
    Approve,
    Cancel,
    Finish,
    Launch,
    Reject,
    Request,
    RequestState,
    apply,
    open_request,
)
from tests.bot.views.factory import action_ids, elements, preview, valid
from tests.policy.factory import (
    ADMIN,
    ALICE,
    BOB,
    REQUESTER,
    SATURDAY_NIGHT,
    example_groups,
    prod_policy,
)

NOW = SATURDAY_NIGHT
PROD = example_groups()["prod"]


def pending(lpar: str = "lpar01", *, failed: bool = False) -> Request:
    return open_request(
        request_id="LU-17",
        kind=UpdateKind.LKU,
        target=lpar,
        group="prod",
        requester=REQUESTER,
        previews=(preview(lpar, failed=failed),),
        policy=prod_policy(),
        now=NOW,
    )


def group_request(names: list[str], failing: tuple[str, ...] = ()) -> Request:
    previews = tuple(preview(name, failed=name in failing) for name in names)
    return open_request(
        request_id="LU-18",
        kind=UpdateKind.LKU,
        target="group:prod",
        group="prod",
        requester=REQUESTER,
        previews=previews,
        policy=prod_policy(),
        now=NOW,
    )


def approved() -> Request:
    one = apply(pending(), Approve(user=ALICE, comment="backup checked"), prod_policy(), NOW)
    return apply(one, Approve(user=BOB), prod_policy(), NOW + timedelta(minutes=2))


def running() -> Request:
    request = approved()
    launch = Launch(user=REQUESTER, fingerprints=request.fingerprints)
    return apply(request, launch, prod_policy(), NOW + timedelta(minutes=5))


def test_a_pending_card_shows_what_was_previewed_the_rule_and_approve_reject() -> None:
    card = render_request_card(pending(), PROD, NOW)
    shown = valid(card)
    header = card.blocks[0]
    assert header["type"] == "header"
    assert header["text"]["text"] == "LU-17: Live Kernel Update on lpar01"
    text = shown["text"]
    assert f"<@{REQUESTER}>" in text
    assert "`update_all`" in text
    assert "`/mnt/7300-03-01`" in text
    assert "*0 of 2* approvals" in text
    assert (
        "Needs 2 approvals from <!subteam^S0AIXAPPR>, not the requester, within 4h of the "
        "preview" in text
    )
    assert "sat, sun 22:00-04:00 (+1 day) Europe/Amsterdam" in text
    assert action_ids(card) == [actions.CHECK_DETAILS, actions.APPROVE, actions.REJECT]
    assert card.text.startswith("LU-17: LKU on lpar01, requested by")
    assert "0 of 2 approvals" in card.text


def test_a_request_whose_group_left_the_inventory_says_so_and_offers_no_votes() -> None:
    # An admin removed group prod from lpars.yml and restarted lkubot: its open requests
    # can no longer be judged, but their cards still show what was recorded.
    card = render_request_card(approved(), None, NOW + timedelta(minutes=3))
    text = valid(card)["text"]
    assert "Group prod is no longer in the inventory" in text
    assert "cannot be voted on or launched" in text
    assert f":+1: <@{ALICE}> approved" in text
    assert "no longer counts" not in text
    assert action_ids(card) == [actions.CHECK_DETAILS]
    assert card.text == f"LU-17: LKU on lpar01, requested by <@{REQUESTER}>: approved"

    ended = apply(running(), Finish(outcome="succeeded"), prod_policy(), NOW + timedelta(hours=1))
    text = valid(render_request_card(ended, None, NOW + timedelta(hours=2)))["text"]
    assert "Ended" in text
    assert "Group prod is no longer in the inventory" in text


def test_the_checklist_shows_each_verdict_and_folds_the_evidence_into_a_menu() -> None:
    card = render_request_card(pending(), PROD, NOW)
    text = valid(card)["text"]
    assert ":white_check_mark: *HMC token*: 192.168.199.50 as liveup" in text
    assert ":warning: *lvupdate.data*" in text
    assert "3 pass, 1 warn" in text
    # The evidence itself is not on the card: only behind the menu.
    assert "Port : 12443" not in text
    (menu,) = [e for e in elements(card) if e["action_id"] == actions.CHECK_DETAILS]
    assert menu["type"] == "static_select"
    refs = [CheckRef.from_value(o["value"]) for o in menu["options"]]
    assert [r.key for r in refs] == [
        "oslevel",
        "hmc_token",
        "lvupdate_data",
        "interim_fixes",
        RAW_OUTPUT_KEY,
    ]
    assert {(r.request_id, r.lpar) for r in refs} == {("LU-17", "lpar01")}


def test_the_evidence_of_a_check_is_its_command_output_in_a_code_block() -> None:
    request = pending()
    ref = CheckRef(request_id="LU-17", lpar="lpar01", key="hmc_token")
    details = render_check_details(request, ref)
    text = valid(details)["text"]
    assert "*HMC token* on lpar01 (LU-17)" in text
    assert "```\n# hmcauth -l\nAddress : 192.168.199.50\nUser name: liveup\nPort : 12443" in text


def test_the_preview_output_is_one_more_piece_of_evidence() -> None:
    request = pending(failed=True)
    ref = CheckRef(request_id="LU-17", lpar="lpar01", key=RAW_OUTPUT_KEY)
    text = valid(render_check_details(request, ref))["text"]
    assert "geninstall -k -p -d /mnt/7300-03-01 update_all" in text
    assert "1430-246 FAILED: No valid authentication with an HMC console." in text


def test_asking_for_a_check_the_request_does_not_hold_says_so() -> None:
    with pytest.raises(CheckNotFound, match="no check 'kext' on lpar01"):
        render_check_details(pending(), CheckRef(request_id="LU-17", lpar="lpar01", key="kext"))
    with pytest.raises(CheckNotFound, match="no preview of lpar02"):
        render_check_details(
            pending(), CheckRef(request_id="LU-17", lpar="lpar02", key="hmc_token")
        )


def test_a_menu_choice_reads_back_and_a_forged_one_is_refused() -> None:
    ref = CheckRef(request_id="LU-17", lpar="lpar01", key="hmc_token")
    assert CheckRef.from_action({"selected_option": {"value": ref.to_value()}}) == ref
    for forged in ("LU-17 lpar01", "LU-17 lpar01 hmc_token extra", "LU-x lpar01 hmc", ""):
        with pytest.raises(BadActionValue, match="another version of lkubot"):
            CheckRef.from_value(forged)


def test_each_approval_is_shown_with_who_and_when_and_its_comment() -> None:
    one = apply(pending(), Approve(user=ALICE, comment="backup checked"), prod_policy(), NOW)
    card = render_request_card(one, PROD, NOW + timedelta(minutes=1))
    text = valid(card)["text"]
    assert f":+1: <@{ALICE}> approved · <!date^{int(NOW.timestamp())}^" in text
    assert ">backup checked" in text
    assert "*1 of 2* approvals" in text
    assert action_ids(card)[-2:] == [actions.APPROVE, actions.REJECT]


def test_once_approved_launch_comes_first_behind_a_confirmation_naming_the_lpar() -> None:
    card = render_request_card(approved(), PROD, NOW + timedelta(minutes=3))
    text = valid(card)["text"]
    assert "*Approved* (2 of 2)" in text
    launch, approve, reject = [e for e in elements(card) if e["type"] == "button"]
    assert (launch["action_id"], approve["action_id"], reject["action_id"]) == (
        actions.LAUNCH,
        actions.APPROVE,
        actions.REJECT,
    )
    assert launch["value"] == "LU-17"
    assert launch["style"] == "primary"
    assert launch["confirm"]["title"]["text"] == "Launch LU-17 on lpar01?"
    assert "live kernel update on lpar01" in launch["confirm"]["text"]["text"]
    assert "point of no return" in launch["confirm"]["text"]["text"]


@pytest.mark.parametrize(
    "make",
    [
        running,
        lambda: apply(
            running(), Finish(outcome="succeeded"), prod_policy(), NOW + timedelta(minutes=20)
        ),
        lambda: apply(pending(), Reject(user=BOB, reason="not tonight"), prod_policy(), NOW),
        lambda: apply(pending(), Cancel(user=REQUESTER), prod_policy(), NOW),
        lambda: pending(failed=True),
    ],
    ids=["running", "succeeded", "rejected", "cancelled", "preview_failed"],
)
def test_no_vote_or_launch_button_once_they_no_longer_apply(make) -> None:
    request = make()
    card = render_request_card(request, PROD, NOW + timedelta(minutes=30))
    valid(card)
    assert not {actions.APPROVE, actions.REJECT, actions.LAUNCH} & set(action_ids(card))


def test_a_card_past_its_expiry_offers_nothing_even_before_the_sweeper_ran() -> None:
    request = pending()
    card = render_request_card(request, PROD, request.expires_at)
    text = valid(card)["text"]
    assert "*Expired*" in text
    assert actions.APPROVE not in action_ids(card)


def test_the_final_state_is_on_the_card() -> None:
    launched = running()
    done = apply(launched, Finish(outcome="succeeded"), prod_policy(), NOW + timedelta(hours=1))
    text = valid(render_request_card(done, PROD, NOW + timedelta(hours=1)))["text"]
    assert ":tada: Succeeded" in text
    assert f"Launched by <@{REQUESTER}>" in text
    assert "Ended <!date^" in text


def test_a_failed_preview_card_shows_the_failing_check_and_says_it_cannot_be_approved() -> None:
    card = render_request_card(pending(failed=True), PROD, NOW)
    text = valid(card)["text"]
    assert ":no_entry: Preview failed" in text
    assert ":x: *HMC token*: no HMC token: run hmcauth" in text
    assert ":x: failed" in text
    assert "The preview failed on lpar01." in text


def test_an_override_is_shown_with_who_what_and_why() -> None:
    request = approved()
    later = NOW + timedelta(minutes=5)
    frozen = prod_policy(freeze=Freeze(active=True, reason="quarter close", by=ADMIN, since=NOW))
    launch = Launch(
        user=ADMIN,
        fingerprints=request.fingerprints,
        override_reason="security fix, CAB approved CHG0042",
    )
    launched = apply(request, launch, frozen, later)
    text = valid(render_request_card(launched, PROD, later))["text"]
    assert f":rotating_light: *Override* of the freeze by <@{ADMIN}>" in text
    assert "security fix, CAB approved CHG0042" in text


def test_what_people_typed_cannot_notify_the_channel_or_hide_a_link() -> None:
    evil = "<!channel> see <https://evil.example|the runbook> & more"
    rejected = apply(pending(), Reject(user=BOB, reason=evil), prod_policy(), NOW)
    text = valid(render_request_card(rejected, PROD, NOW))["text"]
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert "&lt;!channel&gt; see &lt;https://evil.example|the runbook&gt; &amp; more" in text
    assert f"Rejected by <@{BOB}>" in text  # lkubot's own mention still works


def test_the_same_request_at_the_same_moment_gives_the_same_card() -> None:
    request = approved()
    later = NOW + timedelta(minutes=10)
    assert render_request_card(request, PROD, later) == render_request_card(request, PROD, later)


def test_a_big_group_gets_one_line_per_lpar_worst_first_within_slacks_limits() -> None:
    names = [f"lpar{n:03d}" for n in range(1, 301)]
    request = group_request(names, failing=("lpar150", "lpar299"))
    card = render_request_card(request, PROD, NOW)
    text = valid(card)["text"]
    assert len(card.blocks) <= 50
    assert "group:prod (300 LPARs)" in text
    lines = [line for line in text.splitlines() if line.startswith((":x:", ":warning:"))]
    assert lines[0].startswith(":x: *lpar150*")
    assert lines[1].startswith(":x: *lpar299*")
    assert sum(1 for line in text.splitlines() if line.startswith(":")) >= 300
    menu = next(e for e in elements(card) if e["action_id"] == actions.CHECK_DETAILS)
    assert len(menu["options"]) == 100
    assert request.state is RequestState.PREVIEW_FAILED
    assert action_ids(card) == [actions.CHECK_DETAILS]


def test_a_group_too_big_for_one_message_ends_its_list_saying_how_many_more() -> None:
    request = group_request([f"lpar{n:04d}" for n in range(1, 1501)])
    card = render_request_card(request, PROD, NOW)
    text = valid(card)["text"]
    assert len(card.blocks) == 50
    assert re.search(r"… and \d+ LPARs", text)


any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=3000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(comment=any_text, reason=any_text, summary=any_text, filesets=st.integers(1, 400))
def test_any_text_of_any_length_gives_a_card_slack_accepts(
    comment: str, reason: str, summary: str, filesets: int
) -> None:
    base = preview()
    checks = tuple(
        c.model_copy(update={"summary": " ".join(summary.split())[:500]}) for c in base.checks
    )
    items = tuple(f"bos.rte.fileset{n}" for n in range(filesets))
    request = open_request(
        request_id="LU-123456789",
        kind=UpdateKind.LKU,
        target="lpar01",
        group="prod",
        requester=REQUESTER,
        previews=(base.model_copy(update={"checks": checks, "filesets": items}),),
        policy=prod_policy(),
        now=NOW,
    )
    voted = apply(request, Approve(user=ALICE, comment=comment), prod_policy(), NOW)
    rejected = apply(voted, Reject(user=BOB, reason=reason), prod_policy(), NOW)
    for shown in (voted, rejected):
        card = render_request_card(shown, PROD, NOW)
        text = valid(card)["text"]
        assert "<!channel>" not in text
        assert "<!here>" not in text
