"""`lkubot inspect` and `lkubot check-config`: output, the promised JSON fields, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.liveupdate.test_configdiff import UNIFIED
from tests.liveupdate.test_llu import PREVIEW

FIXTURES = Path(__file__).parent / "fixtures"

# The fields README promises for each kind, and for each listed item.
PROMISED: dict[str, set[str]] = {
    "lvupdate-log": {
        "kind",
        "status",
        "blackout_seconds",
        "total_seconds",
        "reported_total_seconds",
        "point_of_no_return_passed",
        "phases",
        "errors",
        "modified_files",
    },
    "lvupdate-data": {"kind", "stanzas", "findings"},
    "config-diff": {"kind", "files"},
    "llvupdate-preview": {"kind", "processes"},
    "genld": {"kind", "processes"},
    "lparstat": {"kind", "fields"},
    "oslevel": {"kind", "version", "technology_level", "service_pack", "build"},
    "emgr": {"kind", "fixes"},
    "hmcauth": {"kind", "authenticated", "address", "user", "port"},
}
PROMISED_ITEMS = {
    ("lvupdate-log", "phases"): {"message", "started_at", "seconds"},
    ("lvupdate-log", "errors"): {"code", "message"},
    ("lvupdate-data", "findings"): {"severity", "line", "message"},
    ("config-diff", "files"): {"path", "added", "removed"},
    ("llvupdate-preview", "processes"): {"pid", "libraries"},
    ("genld", "processes"): {"pid", "name"},
    ("emgr", "fixes"): {"id", "state", "label", "reboot_required"},
}


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def inspect_json(text: str, *extra: str) -> dict[str, object]:
    code, out, err = run("inspect", "-", "--json", *extra, stdin=text)
    assert code == 0, err
    parsed: dict[str, object] = json.loads(out)
    return parsed


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            (FIXTURES / "lku-success-1.log").read_text()
            + (FIXTURES / "lku-preview-fail-hmcauth-1430-246.txt").read_text(),
            "lvupdate-log",
        ),
        ((FIXTURES / "lvupdate-data-skeleton-1.txt").read_text(), "lvupdate-data"),
        (UNIFIED, "config-diff"),
        (PREVIEW, "llvupdate-preview"),
        ("Proc_pid: 5046728 Proc_name: topasrec\n", "genld"),
        ((FIXTURES / "lparstat-i-1.txt").read_text(), "lparstat"),
        ((FIXTURES / "oslevel-s-1.txt").read_text(), "oslevel"),
        ((FIXTURES / "emgr-l-1.txt").read_text(), "emgr"),
        ((FIXTURES / "hmcauth-l-1.txt").read_text(), "hmcauth"),
    ],
)
def test_json_has_exactly_the_promised_fields(text: str, kind: str) -> None:
    data = inspect_json(text)
    assert data["kind"] == kind
    assert set(data) == PROMISED[kind]
    for (item_kind, field), keys in PROMISED_ITEMS.items():
        if item_kind == kind:
            items = data[field]
            assert isinstance(items, list)
            assert items, f"the sample for {kind} should list some {field}"
            assert all(set(item) == keys for item in items)


def test_the_real_run_in_json() -> None:
    data = inspect_json((FIXTURES / "lku-success-1.log").read_text())
    assert data["status"] == "succeeded"
    assert data["blackout_seconds"] == 21
    assert data["total_seconds"] == data["reported_total_seconds"] == 658
    assert data["point_of_no_return_passed"] is True
    assert data["modified_files"] == ["/etc/inittab"]
    phases = data["phases"]
    assert isinstance(phases, list)
    assert phases[0] == {
        "message": "The live update preview succeeded.",
        "started_at": "2025-01-29T09:09:09",
        "seconds": 10,
    }


def test_values_have_the_promised_types() -> None:
    genld = inspect_json("Proc_pid: 5046728 Proc_name: topasrec\n")
    assert genld["processes"] == [{"pid": 5046728, "name": "topasrec"}]
    hmc = inspect_json((FIXTURES / "hmcauth-l-1.txt").read_text())
    assert (hmc["authenticated"], hmc["port"]) == (True, 12443)
    data = inspect_json((FIXTURES / "lvupdate-data-hmc-1.txt").read_text())
    assert data["stanzas"] == {
        "hmc": {"management_console": "192.168.199.15", "user": "liveup"},
        "disks": {"nhdisk": "hdisk2", "mhdisk": "hdisk5"},
    }


def test_the_table_names_the_kind_and_the_phases() -> None:
    code, out, _ = run("inspect", str(FIXTURES / "lku-success-1.log"))
    assert code == 0
    assert out.startswith("kind: lvupdate-log")
    assert "Blackout Time started." in out
    assert "19/25" in out
    assert "10m 58s" in out


def test_text_from_the_file_is_printed_literally_not_as_markup() -> None:
    code, out, _ = run("inspect", "-", "--as", "genld", stdin="Proc_pid: 1 Proc_name: [bold]x\n")
    assert code == 0
    assert "[bold]x" in out


def test_a_failed_run_shows_its_error_and_advice() -> None:
    code, out, _ = run("inspect", str(FIXTURES / "lku-preview-fail-hmcauth-1430-246.txt"))
    assert code == 0
    assert "1430-246" in out
    assert "hmcauth -l" in out


def test_as_kind_reads_empty_hmcauth_output_as_no_token() -> None:
    data = inspect_json("# hmcauth -l\n#\n", "--as", "hmcauth")
    assert data == {
        "kind": "hmcauth",
        "authenticated": False,
        "address": None,
        "user": None,
        "port": None,
    }


def test_unrecognisable_text_exits_2_with_a_clear_message() -> None:
    code, out, err = run("inspect", "-", stdin="hello world\n")
    assert code == 2
    assert out == ""
    assert "does not recognise" in err
    assert "--as KIND" in err


def test_text_that_is_not_the_named_kind_exits_2() -> None:
    code, _, err = run("inspect", "-", "--as", "oslevel", stdin="hello world\n")
    assert code == 2
    assert "does not read as oslevel" in err


def test_a_missing_file_exits_2() -> None:
    code, _, err = run("inspect", "/nonexistent/file")
    assert code == 2
    assert "No such file" in err


def test_check_config_on_a_clean_file_exits_0() -> None:
    code, out, _ = run("check-config", str(FIXTURES / "lvupdate-data-hmc-1.txt"))
    assert code == 0
    assert "0 error(s), 0 warning(s)" in out


def test_check_config_names_line_numbers_and_exits_1_on_errors(tmp_path: Path) -> None:
    path = tmp_path / "lvupdate.data"
    path.write_text(
        "general:\n"
        "cpu_reduction = yes\n"
        "hmc:\n"
        "        management_console = 192.168.199.15\n"
        "        user = liveup\n"
        "disks:\n"
        "        nhdisk = hdisk2\n"
        "        mhdisk = hdisk5\n"
    )
    code, out, _ = run("check-config", str(path))
    assert code == 1
    assert f"{path}:2: error: `cpu_reduction = yes` starts at column 1" in out


def test_check_config_json() -> None:
    code, out, _ = run("check-config", str(FIXTURES / "lvupdate-data-skeleton-1.txt"), "--json")
    assert code == 0  # warnings only
    data = json.loads(out)
    assert (data["errors"], data["warnings"]) == (0, 2)
    assert data["findings"][0] == {
        "severity": "warning",
        "line": 5,
        "stanza": "disks",
        "key": "nhdisk",
        "message": data["findings"][0]["message"],
    }


def test_check_config_on_an_unreadable_file_exits_2() -> None:
    code, _, err = run("check-config", "/nonexistent/lvupdate.data")
    assert code == 2
    assert "No such file" in err
