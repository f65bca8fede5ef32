"""config.diff: per file, lines added and removed, under any header that names the file."""

from __future__ import annotations

from liveupdate.configdiff import SAMPLE_LINES, parse_config_diff

UNIFIED = """\
--- /var/adm/ras/config/etc/inittab\t2025-01-29 09:09:00
+++ /etc/inittab\t2025-01-29 09:20:17
@@ -3,4 +3,5 @@
 init:2:initdefault:
-brc::sysinit:/sbin/rc.boot 3 >/dev/console 2>&1
+brc::sysinit:/sbin/rc.boot 3 >/dev/console 2>&1 # Phase 3 of system boot
+-- a removed-looking added line
 powerfail::powerfail:/etc/rc.powerfail 2>&1 | alog -tboot > /dev/console
\\ No newline at end of file
"""

CLASSIC = """\
diff /var/adm/ras/config/etc/hosts /etc/hosts
3a4
> 10.1.1.20 lpar01-new
7,8c8
< 10.1.1.9 old1
< 10.1.1.10 old2
---
> 10.1.1.11 new
"""


def test_a_unified_diff_counts_lines_and_names_the_live_file() -> None:
    [change] = parse_config_diff(UNIFIED).files
    assert (change.path, change.added, change.removed, change.hunks) == ("/etc/inittab", 2, 1, 1)
    assert change.sample[0].startswith("-brc::sysinit")
    assert change.sample[2] == "+-- a removed-looking added line"


def test_a_classic_diff_under_a_diff_header() -> None:
    [change] = parse_config_diff(CLASSIC).files
    assert (change.path, change.added, change.removed, change.hunks) == ("/etc/hosts", 2, 2, 2)
    assert change.sample == (
        "+10.1.1.20 lpar01-new",
        "-10.1.1.9 old1",
        "-10.1.1.10 old2",
        "+10.1.1.11 new",
    )


def test_several_files_under_free_form_headers_in_one_paste() -> None:
    text = (
        "# cat /var/adm/ras/config.diff\n"
        "=== /etc/inittab ===\n"
        "@@ -1 +1 @@\n-a\n+b\n"
        "File: /etc/security/limits\n"
        "12c12\n< fsize = 2097151\n---\n> fsize = -1\n"
        "something unexpected\n"
    )
    diff = parse_config_diff(text)
    assert [(f.path, f.added, f.removed, f.line) for f in diff.files] == [
        ("/etc/inittab", 1, 1, 2),
        ("/etc/security/limits", 1, 1, 6),
    ]
    assert [(u.line, u.text) for u in diff.unknown_lines] == [(11, "something unexpected")]


def test_hunks_before_any_header_belong_to_an_unnamed_file() -> None:
    [change] = parse_config_diff("2d1\n< gone\n").files
    assert (change.path, change.removed) == (None, 1)


def test_only_the_first_changed_lines_are_kept_as_a_sample() -> None:
    body = "".join(f"+line {n}\n" for n in range(40))
    [change] = parse_config_diff(f"=== /etc/motd ===\n@@ -0,0 +1,40 @@\n{body}").files
    assert change.added == 40
    assert len(change.sample) == SAMPLE_LINES


def test_crlf_and_blank_context_lines_are_read() -> None:
    text = "=== /etc/rc.tcpip ===\r\n@@ -1,3 +1,3 @@\r\n \r\n-x\r\n+y\r\n \r\n"
    [change] = parse_config_diff(text).files
    assert (change.added, change.removed) == (1, 1)
    assert parse_config_diff(text).unknown_lines == ()


def test_notes_after_the_path_in_file_headers_are_not_part_of_the_path() -> None:
    text = (
        "--- /etc/services (saved 01/29/2025-09:00:00)\n"
        "+++ /etc/services (01/29/2025-10:00:00)\n"
        "@@ -1,1 +1,2 @@\n"
        " ftp             21/tcp\n"
        "+rsync           873/tcp\n"
    )
    [change] = parse_config_diff(text).files
    assert (change.path, change.added, change.removed) == ("/etc/services", 1, 0)
