"""lvupdate.data: parsed as AIX reads it, rendered back byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from liveupdate.lvdata import parse_lvupdate_data, render_lvupdate_data
from tests.liveupdate.samples import sample

# The example from the seed write-up, as the blog printed it (indentation lost), with a tab,
# CRLF line ends, trailing blanks and no final newline: all must survive a round trip.
AWKWARD = (
    "general:\r\n"
    "\tkext_check = yes  \r\n"
    "cpu_reduction = no\r\n"
    "* an AIX stanza comment\r\n"
    "hmc:\r\n"
    "        lpar_id =\r\n"
    "        management_console = hmc_system\r\n"
    "   \r\n"
    "# trace:\r\n"
    "disks:\r\n"
    "        nhdisk = hdisk1 hdisk3\r\n"
    "        mhdisk=hdisk2"
)


@pytest.mark.parametrize("text", [sample("lvupdate-data-skeleton-1.txt"), AWKWARD, "", "\n\n"])
def test_an_unchanged_file_renders_back_byte_for_byte(text: str) -> None:
    assert render_lvupdate_data(parse_lvupdate_data(text)) == text


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_any_file_renders_back_byte_for_byte(text: str) -> None:
    # Only a paste that shows lvupdate.data printed at a prompt is read differently.
    assume("lvupdate" not in text and "liveupdate" not in text)
    assert render_lvupdate_data(parse_lvupdate_data(text)) == text


def test_the_real_skeleton_reads_as_posted() -> None:
    data = parse_lvupdate_data(sample("lvupdate-data-skeleton-1.txt"))
    assert data.stanzas() == {
        "general": {"kext_check": ""},
        "disks": {"nhdisk": "hdiskx", "mhdisk": "hdisky", "tohdisk": "", "tshdisk": ""},
        "hmc": {"lpar_id": "", "management_console": "x.x.x.x", "user": "hscroot"},
    }


def test_a_pasted_cat_is_read_from_the_catted_file_numbered_from_one() -> None:
    data = parse_lvupdate_data(sample("lvupdate-data-hmc-1.txt"))
    assert data.stanzas() == {
        "hmc": {"management_console": "192.168.199.15", "user": "liveup"},
        "disks": {"nhdisk": "hdisk2", "mhdisk": "hdisk5"},
    }
    assert data.lines[0].number == 1
    assert (data.lines[0].kind, data.lines[0].name) == ("stanza", "hmc")
    assert all("7300" not in line.render() for line in data.lines)


def test_keys_at_column_one_are_kept_but_not_read_as_aix_does() -> None:
    data = parse_lvupdate_data(AWKWARD)
    line = data.lines[2]
    assert (line.kind, line.name, line.indented, line.stanza) == (
        "entry",
        "cpu_reduction",
        False,
        "general",
    )
    assert "cpu_reduction" not in data.stanzas()["general"]
    assert data.value("general", "kext_check") == "yes"
    assert data.value("disks", "nhdisk") == "hdisk1 hdisk3"
    assert data.value("disks", "mhdisk") == "hdisk2"
    assert data.value("general", "cpu_reduction") is None


def test_a_comment_that_looks_like_a_prompt_stays_a_comment() -> None:
    text = "# cat this file before you change it\ngeneral:\n        kext_check = no\n"
    data = parse_lvupdate_data(text)
    assert render_lvupdate_data(data) == text
    assert [line.kind for line in data.lines] == ["comment", "stanza", "entry"]


def test_comments_blank_and_unreadable_lines_keep_their_place() -> None:
    data = parse_lvupdate_data("general:\n# note\n\n        this is not a key line\n")
    assert [line.kind for line in data.lines] == ["stanza", "comment", "blank", "other"]
    assert data.lines[3].stanza == "general"


def test_the_first_of_duplicate_keys_is_the_one_read() -> None:
    data = parse_lvupdate_data("general:\n\tkext_check = no\n\tkext_check = yes\n")
    assert data.value("general", "kext_check") == "no"
