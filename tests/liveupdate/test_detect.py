"""Telling which AIX output a text is."""

from __future__ import annotations

import pytest

from liveupdate.detect import KINDS, detect, fits, parse_as
from tests.liveupdate.samples import sample
from tests.liveupdate.test_configdiff import CLASSIC, UNIFIED
from tests.liveupdate.test_llu import PREVIEW


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (sample("lku-success-1.log"), "lvupdate-log"),
        (sample("lku-preview-fail-hmcauth-1430-246.txt"), "lvupdate-log"),
        (sample("lvupdate-data-hmc-1.txt"), "lvupdate-data"),
        (sample("lvupdate-data-skeleton-1.txt"), "lvupdate-data"),
        (UNIFIED, "config-diff"),
        (CLASSIC, "config-diff"),
        (PREVIEW, "llvupdate-preview"),
        ("No process requires a Live library Update operation.\n", "llvupdate-preview"),
        ("pid 42 timed out\npid 43 succeeded\n", "llvupdate-report"),
        ("Proc_pid: 5046728 Proc_name: topasrec\n", "genld"),
        (sample("lparstat-i-1.txt"), "lparstat"),
        (sample("oslevel-s-1.txt"), "oslevel"),
        (sample("emgr-l-1.txt"), "emgr"),
        (sample("hmcauth-l-1.txt"), "hmcauth"),
    ],
)
def test_each_real_output_is_recognised(text: str, kind: str) -> None:
    found = detect(text)
    assert found is not None
    assert found[0] == kind


@pytest.mark.parametrize(
    "text",
    ["", "hello world\n", sample("lvupdateRegScript-l-1.txt"), sample("emgr-d-lu-capable-1.txt")],
)
def test_text_that_is_none_of_them_is_not_recognised(text: str) -> None:
    assert detect(text) is None


def test_only_empty_text_fits_hmcauth_without_evidence() -> None:
    assert fits("hmcauth", "# hmcauth -l\n#\n", parse_as("hmcauth", "# hmcauth -l\n#\n"))
    assert not fits("hmcauth", "hello\n", parse_as("hmcauth", "hello\n"))


def test_every_kind_has_a_parser() -> None:
    for kind in KINDS:
        parse_as(kind, "")
