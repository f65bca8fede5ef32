"""The lvupdate.data checker: one test per rule, over the real samples and small variants."""

from __future__ import annotations

import pytest

from liveupdate.lvcheck import KNOWN_STANZAS, Finding, check_lvupdate_text, has_errors
from tests.liveupdate.samples import sample

VALID = """general:
        kext_check =
        cpu_reduction = no

disks:
        nhdisk = hdisk2
        mhdisk = hdisk5

hmc:
        management_console = hmc01.example.com
        user = liveup
        lpar_id =
"""


def check(text: str) -> list[Finding]:
    return check_lvupdate_text(text)


def only(findings: list[Finding], severity: str) -> list[Finding]:
    return [f for f in findings if f.severity == severity]


def with_line(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_a_complete_file_has_nothing_to_say() -> None:
    assert check(VALID) == []


def test_the_real_hmc_sample_is_clean() -> None:
    assert check(sample("lvupdate-data-hmc-1.txt")) == []


def test_the_real_skeleton_is_flagged_for_its_placeholder_disks() -> None:
    findings = check(sample("lvupdate-data-skeleton-1.txt"))
    assert [(f.severity, f.line, f.key) for f in findings] == [
        ("warning", 5, "nhdisk"),
        ("warning", 6, "mhdisk"),
    ]
    assert "hdiskx" in findings[0].message
    assert "lspv" in findings[0].message


def test_a_key_at_column_one_is_an_error_because_aix_ignores_it() -> None:
    text = with_line(VALID, "        cpu_reduction = no", "cpu_reduction = yes")
    [finding] = check(text)
    assert (finding.severity, finding.line, finding.stanza, finding.key) == (
        "error",
        3,
        "general",
        "cpu_reduction",
    )
    assert "ignores" in finding.message
    assert "indent" in finding.message


def test_an_unknown_stanza_is_a_warning_with_the_nearest_name() -> None:
    text = VALID + "\ndisk:\n        tohdisk = hdisk9\n"
    [finding] = check(text)
    assert (finding.severity, finding.line, finding.stanza) == ("warning", 14, "disk")
    assert "Did you mean `disks:`?" in finding.message


def test_an_unknown_key_is_a_warning_with_the_nearest_name() -> None:
    text = with_line(VALID, "kext_check =", "kext_chek = no")
    [finding] = check(text)
    assert (finding.severity, finding.line, finding.key) == ("warning", 2, "kext_chek")
    assert "Did you mean `kext_check`?" in finding.message


def test_a_key_under_the_wrong_stanza_says_where_it_belongs() -> None:
    text = with_line(VALID, "        lpar_id =\n", "        nhdisk = hdisk7\n")
    findings = check(text)
    assert any("belongs under `disks:`" in f.message for f in findings)


@pytest.mark.parametrize("value", ["true", "YES", "y", "1"])
def test_yes_no_keys_take_only_yes_or_no(value: str) -> None:
    text = with_line(VALID, "cpu_reduction = no", f"cpu_reduction = {value}")
    [finding] = check(text)
    assert (finding.severity, finding.key) == ("error", "cpu_reduction")
    assert "write yes or no" in finding.message


def test_cpu_reduction_and_clone_from_hmc_profile_exclude_each_other() -> None:
    text = with_line(VALID, "cpu_reduction = no", "cpu_reduction = yes")
    text = with_line(text, "        lpar_id =", "        clone_from_hmc_profile = yes")
    errors = only(check(text), "error")
    assert [(f.line, f.key) for f in errors] == [(3, "cpu_reduction")]
    assert "exclude each other" in errors[0].message


def test_clone_from_hmc_profile_reminds_to_turn_sync_off_and_remove_the_line() -> None:
    text = with_line(VALID, "        lpar_id =", "        clone_from_hmc_profile = yes")
    [finding] = check(text)
    assert (finding.severity, finding.line, finding.stanza) == ("warning", 12, "hmc")
    assert "profile sync off" in finding.message
    assert "remove this line" in finding.message


def test_clone_from_hmc_profile_is_also_accepted_under_general() -> None:
    text = with_line(VALID, "        cpu_reduction = no", "        clone_from_hmc_profile = yes")
    [finding] = check(text)
    assert (finding.severity, finding.stanza) == ("warning", "general")


def test_a_duplicate_key_is_an_error_naming_the_first_line() -> None:
    text = with_line(VALID, "mhdisk = hdisk5", "mhdisk = hdisk5\n        mhdisk = hdisk6")
    [finding] = check(text)
    assert (finding.severity, finding.line, finding.key) == ("error", 8, "mhdisk")
    assert "first on line 7" in finding.message


def test_a_missing_mirror_disk_is_an_error() -> None:
    text = with_line(VALID, "        mhdisk = hdisk5\n", "")
    [finding] = check(text)
    assert (finding.severity, finding.line, finding.key) == ("error", 5, "mhdisk")


def test_an_empty_surrogate_disk_is_an_error_on_its_line() -> None:
    text = with_line(VALID, "nhdisk = hdisk2", "nhdisk =")
    [finding] = check(text)
    assert (finding.severity, finding.line, finding.key) == ("error", 6, "nhdisk")


def test_the_same_disk_for_surrogate_and_mirror_is_an_error() -> None:
    text = with_line(VALID, "mhdisk = hdisk5", "mhdisk = hdisk5 hdisk2")
    [finding] = check(text)
    assert (finding.severity, finding.line) == ("error", 7)
    assert "hdisk2 is named in both `nhdisk` and `mhdisk`" in finding.message


def test_a_missing_disks_stanza_is_an_error_without_a_line() -> None:
    text = with_line(VALID, "disks:\n        nhdisk = hdisk2\n        mhdisk = hdisk5\n", "")
    [finding] = check(text)
    assert (finding.severity, finding.line, finding.stanza) == ("error", None, "disks")
    assert "nhdisk and mhdisk" in finding.message


@pytest.mark.parametrize("value", ["abc", "12a", "-3", "0"])
def test_lpar_id_must_be_a_positive_number(value: str) -> None:
    text = with_line(VALID, "lpar_id =", f"lpar_id = {value}")
    [finding] = check(text)
    assert (finding.severity, finding.line, finding.key) == ("error", 12, "lpar_id")


def test_a_numeric_lpar_id_is_fine() -> None:
    assert check(with_line(VALID, "lpar_id =", "lpar_id = 42")) == []


@pytest.mark.parametrize("key", ["management_console", "user"])
def test_the_hmc_stanza_needs_its_console_and_user(key: str) -> None:
    lines = [line for line in VALID.splitlines(keepends=True) if key not in line]
    [finding] = check("".join(lines))
    assert (finding.severity, finding.stanza, finding.key) == ("error", "hmc", key)
    assert finding.line == 9  # the hmc: header


def test_a_line_aix_cannot_read_is_an_error() -> None:
    [finding] = check(VALID + "        user: liveup\n")
    assert (finding.severity, finding.line) == ("error", 13)


def test_a_key_before_any_stanza_is_an_error() -> None:
    findings = check("        kext_check = no\n" + VALID)
    assert (findings[0].severity, findings[0].line, findings[0].stanza) == ("error", 1, None)


def test_llvupdate_timeout_is_bounded_by_300_seconds() -> None:
    text = VALID + "\nllvupdate:\n        llu = no\n        timeout = 301\n"
    [finding] = check(text)
    assert (finding.severity, finding.key) == ("error", "timeout")
    assert "maximum 300" in finding.message


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("kext_check =", "kext_check = no", "not known to be live update safe"),
        ("cpu_reduction = no", "cpu_reduction = yes", "6 s of blackout"),
        ("kext_check =", "ipsec_auto_migrate = yes", "IP filter rules are not"),
    ],
)
def test_risky_but_valid_choices_are_noted(old: str, new: str, words: str) -> None:
    [finding] = check(with_line(VALID, old, new))
    assert finding.severity == "info"
    assert words in finding.message


def test_the_seed_write_up_example_shows_why_indentation_matters() -> None:
    # As the blog printed it, every key sits at column 1: AIX would read none of them.
    seed = "general:\nkext_check = yes\ncpu_reduction = no\nhmc:\nuser = liveupdate\n"
    findings = check(seed)
    assert {f.line for f in findings if "ignores" in f.message} == {2, 3, 5}
    assert has_errors(findings)


def test_the_shipped_template_configures_nothing() -> None:
    # The real template excerpt is all comments: the checker says what is missing.
    findings = check(sample("lvupdate-template-general-stanza.txt"))
    assert [(f.line, f.stanza) for f in findings] == [(None, "disks"), (None, "hmc")]


def test_every_known_key_has_a_description() -> None:
    for stanza in KNOWN_STANZAS.values():
        assert stanza.description
        for spec in stanza.keys.values():
            assert spec.description


def test_findings_come_in_line_order_with_missing_things_last() -> None:
    text = "disks:\n        nhdisk = hdisk1\nkext_check = no\n        mhdisk = hdisk1\n"
    lines = [f.line for f in check(text)]
    numbered = [n for n in lines if n is not None]
    assert numbered == sorted(numbered)
    assert lines[-1] is None
