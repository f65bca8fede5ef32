"""genld -u, lparstat -i, oslevel -s, emgr -l and hmcauth -l over the real samples."""

from __future__ import annotations

from datetime import datetime

from liveupdate.emgr import parse_emgr_list
from liveupdate.genld import parse_genld
from liveupdate.hmcauth import parse_hmcauth
from liveupdate.lparstat import compare_lparstat, parse_lparstat
from liveupdate.oslevel import parse_oslevel
from tests.liveupdate.samples import sample


def test_genld_lists_pid_and_name_per_line() -> None:
    report = parse_genld("# genld -u\nProc_pid: 5046728 Proc_name: topasrec\n")
    assert [(p.pid, p.name) for p in report.processes] == [(5046728, "topasrec")]
    assert report.unknown_lines == ()


def test_genld_reads_a_paste_that_lost_its_line_breaks() -> None:
    text = "# genld -u Proc_pid: 1 Proc_name: init Proc_pid: 5046728 Proc_name: topasrec  "
    report = parse_genld(text)
    assert [(p.pid, p.name) for p in report.processes] == [(1, "init"), (5046728, "topasrec")]


def test_genld_keeps_lines_it_does_not_understand() -> None:
    report = parse_genld("Proc_pid: 7 Proc_name: sshd\nsomething else\n")
    assert [u.text for u in report.unknown_lines] == ["something else"]


def test_lparstat_reads_every_label_and_types_the_limits() -> None:
    stat = parse_lparstat(sample("lparstat-i-1.txt"))
    assert len(stat.fields) == 44
    assert stat.fields["Type"] == "Shared-SMT-4"
    assert stat.fields["Unallocated Variable Memory Capacity Weight"] == "-"
    assert stat.partition_number == 13
    assert (stat.online_virtual_cpus, stat.maximum_virtual_cpus, stat.minimum_virtual_cpus) == (
        2,
        8,
        1,
    )
    assert (stat.entitled_capacity, stat.minimum_capacity, stat.maximum_capacity) == (
        0.30,
        0.10,
        0.80,
    )
    assert (stat.online_memory_mb, stat.maximum_memory_mb, stat.minimum_memory_mb) == (
        12288,
        36864,
        4096,
    )
    assert stat.text("Memory Pool ID") is None


def test_lparstat_as_grep_prints_it() -> None:
    stat = parse_lparstat("# lparstat -i |grep Max\nMaximum Virtual CPUs :10\n")
    assert stat.maximum_virtual_cpus == 10


def test_lparstat_before_and_after_names_the_changed_limits() -> None:
    before = parse_lparstat(sample("lparstat-i-1.txt"))
    after_text = (
        sample("lparstat-i-1.txt")
        .replace("Maximum Virtual CPUs                       : 8", "Maximum Virtual CPUs : 10")
        .replace("Partition Number                           : 13", "Partition Number : 14")
    )
    after = parse_lparstat(after_text)
    changes = compare_lparstat(before, after)
    assert [c.describe() for c in changes] == ["Maximum Virtual CPUs 8 -> 10"]
    everything = compare_lparstat(before, after, labels=None)
    assert [c.label for c in everything] == ["Partition Number", "Maximum Virtual CPUs"]


def test_oslevel_reads_the_level_from_a_transcript_with_other_commands() -> None:
    level = parse_oslevel(sample("oslevel-s-1.txt"))
    assert (level.version, level.technology_level, level.service_pack, level.build) == (
        "7200",
        1,
        0,
        "0000",
    )
    assert level.release == "7.2"


def test_oslevel_from_the_lvupdate_sample_and_the_shorter_forms() -> None:
    assert parse_oslevel(sample("lvupdate-data-hmc-1.txt")).level == "7300-02-02-2420"
    short = parse_oslevel("7300-03\n")
    assert (short.technology_level, short.service_pack, short.build) == (3, None, None)
    assert parse_oslevel("7.3.0.0\n").version == "7300"
    assert parse_oslevel("no level here\n").version is None


def test_emgr_lists_fixes_by_column() -> None:
    fixes = parse_emgr_list(sample("emgr-l-1.txt"))
    assert [(f.id, f.state, f.label) for f in fixes.fixes] == [
        (1, "S", "81112ma"),
        (2, "S", "IJ50424s7a"),
        (3, "S", "IJ52366s7a"),
    ]
    first = fixes.fixes[0]
    assert first.installed_at == datetime(2025, 2, 1, 8, 46, 29)
    assert first.updated_by is None
    assert first.abstract == "ifix for openssh Jan CVEs"
    assert not fixes.reboot_required
    assert fixes.unknown_lines == ()


def test_emgr_marks_a_fix_that_needs_a_reboot() -> None:
    text = sample("emgr-l-1.txt").replace("3    S    IJ52366s7a", "3   *Q*   IJ52366s7a")
    fixes = parse_emgr_list(text)
    assert [f.reboot_required for f in fixes.fixes] == [False, False, True]
    assert fixes.fixes[2].state == "*Q*"
    assert fixes.fixes[2].state_name == "reboot required"


def test_emgr_without_alignment_still_reads_each_fix() -> None:
    text = "1 S 81112ma 02/01/25 08:46:29 ifix for openssh Jan CVEs\n"
    [fix] = parse_emgr_list(text).fixes
    assert (fix.label, fix.abstract) == ("81112ma", "ifix for openssh Jan CVEs")


def test_emgr_with_no_fixes() -> None:
    fixes = parse_emgr_list("There is no efix data on this system.\n")
    assert fixes.no_fixes
    assert fixes.fixes == ()


def test_hmcauth_reads_the_token() -> None:
    auth = parse_hmcauth(sample("hmcauth-l-1.txt"))
    assert auth.authenticated
    assert (auth.first.address, auth.first.user, auth.first.port) == (
        "192.168.199.50",
        "liveup",
        12443,
    )


def test_hmcauth_printing_nothing_means_no_token() -> None:
    auth = parse_hmcauth("# hmcauth -l\n#\n")
    assert not auth.authenticated
    assert auth.first.address is None


def test_hmcauth_with_two_hmcs_keeps_both() -> None:
    text = sample("hmcauth-l-1.txt") + "Address : 192.168.199.51\nUser name: liveup\nPort : 12443\n"
    auth = parse_hmcauth(text.replace("#\n", "", 1))
    assert [t.address for t in auth.tokens] == ["192.168.199.50", "192.168.199.51"]
