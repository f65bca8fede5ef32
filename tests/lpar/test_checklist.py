"""Checklist verdicts over the real captured outputs: what an approver reads for each item."""

from __future__ import annotations

from liveupdate.checks import CheckStatus, PreviewOutcome, UpdateKind
from lpar.checklist import (
    Reading,
    check_efixes,
    check_free_disks,
    check_genld,
    check_hmc_token,
    check_lku_preview,
    check_llu_mode,
    check_oslevel,
)
from tests.liveupdate.samples import sample

LSPV = (
    "hdisk0          00f6db0a6c7aece3                    rootvg          active\n"
    "hdisk2          00f6db0a2f6e1c77                    None\n"
    "hdisk5          none                                None\n"
)


def said(command: str, stdout: str, exit_status: int = 0) -> Reading:
    return Reading(command=command, exit_status=exit_status, stdout=stdout)


def test_a_token_for_another_hmc_than_lvupdate_data_names_is_a_warning() -> None:
    # The captured LPAR: token for 192.168.199.50, lvupdate.data names 192.168.199.15.
    item = check_hmc_token(
        said("hmcauth -l", sample("hmcauth-l-1.txt")), sample("lvupdate-data-hmc-1.txt"), None
    )

    assert item.status is CheckStatus.WARN
    assert item.summary.startswith("The token is for 192.168.199.50, but 192.168.199.15")
    assert "User name: liveup" in item.evidence


def test_a_token_for_another_user_than_lvupdate_data_names_fails_like_aix() -> None:
    data = sample("lvupdate-data-hmc-1.txt").replace("user = liveup", "user = hscroot")
    item = check_hmc_token(said("hmcauth -l", sample("hmcauth-l-1.txt")), data, None)

    assert item.status is CheckStatus.FAIL
    assert "AIX would stop with 1430-246" in item.summary
    assert "`hmcauth -u hscroot -a 192.168.199.50`" in item.summary


def test_the_captured_interim_fixes_need_no_reboot() -> None:
    item = check_efixes(said("emgr -l", sample("emgr-l-1.txt")), UpdateKind.LKU)

    assert (item.status, item.summary) == (
        CheckStatus.PASS,
        "3 installed, none waiting for a reboot",
    )


def test_free_disks_are_read_from_lspv_against_nhdisk_and_mhdisk() -> None:
    data = sample("lvupdate-data-hmc-1.txt")

    assert (
        check_free_disks(said("lspv", LSPV), data).summary
        == "hdisk2 (nhdisk), hdisk5 (mhdisk) free"
    )
    busy = LSPV.replace("hdisk5          none                                None",
                        "hdisk5          none                                datavg")  # fmt: skip
    item = check_free_disks(said("lspv", busy), data)
    assert item.status is CheckStatus.FAIL
    assert item.summary.startswith("hdisk5 (mhdisk) belongs to datavg")
    gone = check_free_disks(said("lspv", LSPV.splitlines()[0]), data)
    assert gone.summary.startswith("hdisk2 (nhdisk) is not on this LPAR; hdisk5 (mhdisk) is not")


def test_the_real_1430_246_preview_failure_is_the_verdict() -> None:
    item, outcome = check_lku_preview(
        said("geninstall -k -p update_all", sample("lku-preview-fail-hmcauth-1430-246.txt"), 1)
    )

    assert outcome is PreviewOutcome.FAILED
    assert item.summary == (
        "exit status 1: 1430-246 FAILED: No valid authentication with an HMC console."
    )


def test_the_level_and_what_no_answer_means() -> None:
    item, level = check_oslevel(said("oslevel -s", sample("oslevel-s-1.txt")))
    assert (item.status, level) == (CheckStatus.PASS, "7200-01-00-0000")

    lost = Reading(command="oslevel -s", error="lpar01: the SSH connection dropped.")
    item, level = check_oslevel(lost)
    assert (item.status, item.summary, level) == (
        CheckStatus.FAIL,
        "lpar01: the SSH connection dropped.",
        "",
    )


def test_llu_mode_off_only_matters_when_a_library_update_is_wanted() -> None:
    off = said("raso -o llu_mode", "llu_mode = 0\n")

    assert check_llu_mode(off, UpdateKind.LLU, None).status is CheckStatus.FAIL
    assert check_llu_mode(off, UpdateKind.LKU, None).status is CheckStatus.PASS
    wants = "llvupdate:\n        llu = yes\n"
    assert check_llu_mode(off, UpdateKind.LKU, wants).status is CheckStatus.WARN


def test_processes_on_old_code_are_named() -> None:
    stale = said("genld -u", "Proc_pid: 5046728 Proc_name: topasrec\n")

    item = check_genld(stale, UpdateKind.LKU)
    assert item.status is CheckStatus.WARN
    assert item.summary.startswith("topasrec (5046728) still run old code")
    assert check_genld(said("genld -u", ""), UpdateKind.LKU).summary == "none"
