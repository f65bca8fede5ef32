"""The fingerprint binds an approval to exactly what was previewed."""

from __future__ import annotations

import hashlib

import pytest

from liveupdate.checks import PreviewOutcome
from liveupdate.fingerprint import canonical_form, combine_fingerprints, fingerprint_of
from tests.policy.factory import make_preview, sample_lvupdate_data


def test_the_canonical_form_is_sorted_compact_json() -> None:
    form = canonical_form(
        kind="lku",
        lpar="lpar01",
        oslevel="7300-02-02-2420\n",
        media="/mnt/7300-03-01",
        filesets=["bos.rte", "bos.mp64", "bos.rte"],
        lvupdate_data="hmc:\n\tuser = liveup\n",
        outcome="passed",
    )
    assert form == (
        b'{"filesets":["bos.mp64","bos.rte"],"kind":"lku","lpar":"lpar01",'
        b'"lvupdate_data":"hmc:\\n\\tuser = liveup\\n","media":"/mnt/7300-03-01",'
        b'"oslevel":"7300-02-02-2420","outcome":"passed","v":1}'
    )
    assert fingerprint_of(form) == hashlib.sha256(form).hexdigest()
    preview = make_preview(
        oslevel="7300-02-02-2420\n",
        filesets=("bos.rte", "bos.mp64"),
        lvupdate_data="hmc:\n\tuser = liveup\n",
    )
    assert preview.fingerprint == fingerprint_of(form)


def test_the_same_preview_gives_the_same_fingerprint() -> None:
    assert make_preview().fingerprint == make_preview().fingerprint
    assert len(make_preview().fingerprint) == 64


def test_fileset_order_does_not_matter() -> None:
    one = make_preview(filesets=("bos.mp64", "bos.rte.libc"))
    other = make_preview(filesets=("bos.rte.libc", "bos.mp64"))
    assert one.fingerprint == other.fingerprint


@pytest.mark.parametrize(
    "changed",
    [
        {"lpar": "lpar02"},
        {"oslevel": "7300-03-01-2520"},
        {"media": "/mnt/7300-03-02"},
        {"media": None},
        {"filesets": ("update_all", "bos.rte.libc")},
        {"outcome": PreviewOutcome.FAILED},
        # An indented key moved to column 0: AIX would silently ignore it.
        {"lvupdate_data": sample_lvupdate_data().replace("        user", "user")},
        {"lvupdate_data": sample_lvupdate_data() + "\n"},
    ],
)
def test_any_change_to_what_was_previewed_changes_the_fingerprint(changed: dict) -> None:
    assert make_preview(**changed).fingerprint != make_preview().fingerprint


def test_a_group_fingerprint_covers_every_lpar() -> None:
    one, two = make_preview("lpar01"), make_preview("lpar02")
    combined = combine_fingerprints({"lpar01": one.fingerprint, "lpar02": two.fingerprint})
    assert combined == combine_fingerprints({"lpar02": two.fingerprint, "lpar01": one.fingerprint})
    changed = make_preview("lpar02", oslevel="7300-03-01-2520").fingerprint
    assert combined != combine_fingerprints({"lpar01": one.fingerprint, "lpar02": changed})
    assert combine_fingerprints({"lpar01": one.fingerprint}) == one.fingerprint
