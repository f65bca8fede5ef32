"""Terminal pastes: prompts, commands, line ends."""

from __future__ import annotations

import pytest

from liveupdate.text import output_lines, prompt_command, split_lines, split_transcript
from tests.liveupdate.samples import sample


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("root@AIXmig / # oslevel -s", "oslevel -s"),
        ("[root@lpar01 /]# lparstat -i", "lparstat -i"),
        ("lpar01:/home/root> emgr -l", "emgr -l"),
        (
            "# cat /var/adm/ras/liveupdate/lvupdate.data",
            "cat /var/adm/ras/liveupdate/lvupdate.data",
        ),
        ("# sudo /usr/sbin/hmcauth -l", "sudo /usr/sbin/hmcauth -l"),
        ("$ oslevel -s", "oslevel -s"),
        ("#", ""),
        ("$", ""),
        ("root@lpar01 / #", ""),
    ],
)
def test_prompt_lines_give_their_command(line: str, command: str) -> None:
    assert prompt_command(line) == command


@pytest.mark.parametrize(
    "line",
    [
        "# general:",
        "# kext_check = <yes | no> Blank defaults to yes. If no, the live update",
        "Physical CPU Percentage                    : 15.00%",
        "> 10.0.0.1 newhost",
        "Address : 192.168.199.50",
        "01/29/2025-09:09:09 The live update preview succeeded.",
    ],
)
def test_output_and_comment_lines_are_not_prompts(line: str) -> None:
    assert prompt_command(line) is None


def test_lines_lose_crlf_and_trailing_blanks() -> None:
    assert split_lines("a  \r\nb\rc\t\n") == ["a", "b", "c"]


def test_a_transcript_is_cut_into_one_block_per_command() -> None:
    blocks = split_transcript(sample("lvupdate-data-hmc-1.txt"))
    assert [b.command for b in blocks] == [
        "oslevel -s",
        "cat /var/adm/ras/liveupdate/lvupdate.data",
        "hmcauth -a 127.0.0.1 -u liveup",
    ]
    assert blocks[0].lines == ("7300-02-02-2420",)
    assert blocks[1].first_line == 5
    assert blocks[1].lines[0] == "hmc:"


def test_the_output_of_the_wanted_command_is_picked_with_line_numbers() -> None:
    assert output_lines(sample("oslevel-s-1.txt"), {"oslevel"}) == [(2, "7200-01-00-0000")]


def test_without_the_wanted_command_every_output_line_is_read() -> None:
    lines = output_lines("# emgr -l\nfoo\n# lspv\nbar\n", {"oslevel"})
    assert lines == [(2, "foo"), (4, "bar")]
