"""The words after /lku and /llu: every valid form parses, every bad one gets a specific error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands.words import (
    Approve,
    Freeze,
    Help,
    History,
    Launch,
    ListRequests,
    Lock,
    Preview,
    Reject,
    Status,
    Target,
    UsageError,
    parse,
    parse_run_id,
)


def test_preview_with_update_all_and_media() -> None:
    cmd = parse("lku", "preview lpar01 update_all -d /mnt/7300-03-01")
    assert cmd == Preview(
        kind="lku", target=Target(name="lpar01"), items=("update_all",), media="/mnt/7300-03-01"
    )


def test_preview_of_a_group_with_an_interim_fix() -> None:
    cmd = parse("lku", "preview group:prod -d /tmp IZ12345.140806.epkg.Z")
    assert isinstance(cmd, Preview)
    assert cmd.target == Target(name="prod", is_group=True)
    assert str(cmd.target) == "group:prod"
    assert cmd.items == ("IZ12345.140806.epkg.Z",)
    assert cmd.media == "/tmp"


def test_llu_preview_takes_only_a_target() -> None:
    assert parse("llu", "preview lpar01") == Preview(kind="llu", target=Target(name="lpar01"))
    with pytest.raises(UsageError, match="takes no filesets"):
        parse("llu", "preview lpar01 update_all")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("preview", "Which LPAR"),
        ("preview lpar01;reboot", "not a valid LPAR name"),
        ("preview lpar01 -d", "needs the media"),
        ("preview lpar01 -d ../etc", "not a valid media"),
        ("preview lpar01 -d /mnt -d /tmp", "once"),
        ("preview lpar01 -Y", "not an option"),
        ("preview lpar01 $(reboot)", "not a valid install item"),
        ("preview lpar01 update_all bos.rte", "stand alone"),
        ("preview lpar01 bos.rte bos.rte", "once"),
        ("prevew lpar01", "Did you mean `preview`"),
        ("approve 17", "not a request id"),
        ("reject LU-17", "Say why"),
        ("launch LU-17 now", "Usage"),
        ("launch LU-17 --override", "needs a reason"),
        ("cancel", "Usage"),
        ("status a b", "Usage"),
        ("list all", "takes no more words"),
        ("lock lpar01", "Say why"),
        ("freeze maybe", "Usage"),
        ("freeze on", "Say why"),
        ("help nothing", "There is no"),
    ],
)
def test_bad_words_get_a_specific_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse("lku", text)


def test_votes_keep_their_free_text() -> None:
    assert parse("lku", "approve lu-17 looks good &amp; tested") == Approve(
        kind="lku", request_id="LU-17", comment="looks good & tested"
    )
    assert parse("lku", "reject LU-3 wrong media") == Reject(
        kind="lku", request_id="LU-3", reason="wrong media"
    )


@pytest.mark.parametrize("word", ["override", "--override", "OVERRIDE"])
def test_launch_with_an_admin_override(word: str) -> None:
    assert parse("lku", f"launch LU-17 {word} P1 incident INC123") == Launch(
        kind="lku", request_id="LU-17", override_reason="P1 incident INC123"
    )


def test_status_by_id_or_lpar_and_the_listing_verbs() -> None:
    assert parse("lku", "status LU-9") == Status(kind="lku", request_id="LU-9")
    assert parse("lku", "status lpar01") == Status(kind="lku", lpar="lpar01")
    assert parse("lku", "status") == Status(kind="lku")
    assert parse("lku", "list") == ListRequests(kind="lku")
    assert parse("lku", "history lpar01") == History(kind="lku", lpar="lpar01")
    assert parse("lku", "lock lpar01 DB migration") == Lock(
        kind="lku", lpar="lpar01", reason="DB migration"
    )
    assert parse("lku", "freeze off") == Freeze(kind="lku", on=False)


def test_help_everywhere() -> None:
    assert parse("lku", "") == Help(kind="lku")
    assert parse("lku", "help") == Help(kind="lku")
    assert parse("lku", "help launch") == Help(kind="lku", topic="launch")
    assert parse("llu", "preview help") == Help(kind="llu", topic="preview")


def test_free_text_is_bounded_and_printable() -> None:
    cmd = parse("lku", "approve LU-1 " + "x" * 2000)
    assert isinstance(cmd, Approve)
    assert len(cmd.comment) == 500


@given(st.text(max_size=200))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        parse("lku", text)
    except UsageError as error:
        message = str(error)
    else:
        message = "parsed"
    assert message


def test_run_ids_name_their_request() -> None:
    assert parse_run_id("lu-17-2") == ("LU-17", 2)
    with pytest.raises(UsageError, match="run id"):
        parse_run_id("LU-17")
