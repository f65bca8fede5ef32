"""The inventory: the shipped example loads, defaults merge, every mistake is one line naming the
file, the line, the place and the fix, and lookups find LPARs by name, group and frame."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpar.inventory import (
    Inventory,
    InventoryError,
    UnknownTargetError,
    load_inventory,
    parse_inventory,
)
from tests.lpar.conftest import fleet_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "lpars.example.yml"
EXAMPLE_TEXT = EXAMPLE.read_text()
FILE = Path("lpars.yml")


def _line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line number of the `occurrence`-th line containing `fragment`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(hits) >= occurrence, f"{fragment!r} not in the text"
    return hits[occurrence - 1]


def _edited(old: str, new: str) -> str:
    assert old in EXAMPLE_TEXT, old
    return EXAMPLE_TEXT.replace(old, new, 1)


def _errors(text: str) -> list[str]:
    with pytest.raises(InventoryError) as caught:
        parse_inventory(text, FILE)
    assert str(caught.value) == "\n".join(caught.value.lines)
    return list(caught.value.lines)


@pytest.fixture
def example() -> Inventory:
    return load_inventory(EXAMPLE)


# --- the shipped example -------------------------------------------------------------------


def test_the_shipped_example_is_a_valid_inventory(example: Inventory) -> None:
    assert list(example.lpars) == ["lpar01", "lpar02"]
    assert list(example.groups) == ["prod", "test"]
    assert example.admins == ("U0ADMIN01",)
    assert example.groups["prod"].approvals_required == 2


def test_defaults_fill_what_an_lpar_leaves_out(example: Inventory) -> None:
    lpar01 = example.lpar("lpar01")
    assert (lpar01.user, lpar01.port, lpar01.connect_timeout) == ("root", 22, 10.0)
    assert lpar01.lvupdate_data == "/var/adm/ras/liveupdate/lvupdate.data"
    assert lpar01.log_dir == "/var/adm/ras/liveupdate/logs"
    assert lpar01.media is None
    assert lpar01.hmc == "hmc01.example.com"
    assert lpar01.managed_system == "p10-frame-a"


def test_an_lpar_setting_wins_over_the_default(example: Inventory) -> None:
    lpar02 = example.lpar("lpar02")
    assert lpar02.port == 2222
    assert lpar02.media == "/mnt/7300-03-01"
    assert lpar02.address == "10.1.2.32:2222"


def test_relative_key_and_known_hosts_are_relative_to_the_inventory_file(
    example: Inventory,
) -> None:
    lpar01 = example.lpar("lpar01")
    assert lpar01.key == ROOT / "keys" / "lkubot_ed25519"
    assert lpar01.known_hosts == ROOT / "known_hosts"


def test_absolute_and_home_paths_are_kept(tmp_path: Path) -> None:
    text = _edited("key: keys/lkubot_ed25519", "key: /etc/lkubot/id_ed25519").replace(
        "known_hosts: known_hosts", "known_hosts: ~/lkubot_known_hosts", 1
    )
    lpar = parse_inventory(text, tmp_path / "lpars.yml").lpar("lpar01")
    assert lpar.key == Path("/etc/lkubot/id_ed25519")
    assert lpar.known_hosts == Path.home() / "lkubot_known_hosts"


def test_a_stage_list_on_an_lpar_replaces_that_stage_only() -> None:
    text = _edited("    pre: []", "    pre: [lsvg rootvg]").replace(
        "    post: []", "    post: [genld -u]", 1
    )
    inventory = parse_inventory(text, FILE)
    lpar01, lpar02 = inventory.lpar("lpar01"), inventory.lpar("lpar02")
    assert lpar01.stages.pre == ("lsvg rootvg",)
    assert lpar01.stages.prep == (
        "stopsrc -s pfcdaemon",
        "/etc/rc.d/ipfilter.sh unload",
        "rmdev -l ipsec_v4",
    )
    assert lpar01.stages.post[-1] == "startsrc -s pfcdaemon"
    assert lpar02.stages.pre == ("lsvg rootvg",)
    assert lpar02.stages.post == ("genld -u",)


def test_a_written_null_media_on_an_lpar_overrides_a_default_media() -> None:
    text = _edited("  media: null", "  media: /mnt/default").replace(
        "    media: /mnt/7300-03-01", "    media: null"
    )
    inventory = parse_inventory(text, FILE)
    assert inventory.lpar("lpar01").media == "/mnt/default"
    assert inventory.lpar("lpar02").media is None


# --- one line per mistake -------------------------------------------------------------------


def test_a_port_that_is_not_a_number_names_file_line_place_and_value() -> None:
    text = _edited("    port: 2222", "    port: ssh")
    line = _line_of(text, "port: ssh")
    assert _errors(text) == [
        f'lpars.yml:{line}: lpars.lpar02.port: must be a number from 1 to 65535, not "ssh"'
    ]


def test_a_port_out_of_range_is_refused() -> None:
    text = _edited("  port: 22\n", "  port: 70000\n")
    line = _line_of(text, "port: 70000")
    assert _errors(text) == [
        f"lpars.yml:{line}: defaults.port: must be a number from 1 to 65535, not 70000"
    ]


def test_an_unknown_key_is_refused_with_a_suggestion_and_the_allowed_keys() -> None:
    text = _edited("    port: 2222", "    port: 2222\n    hots: lpar02b")
    line = _line_of(text, "hots:")
    [error] = _errors(text)
    assert error.startswith(
        f"lpars.yml:{line}: lpars.lpar02.hots: is not a known key; did you mean `host`?"
    )
    assert "the keys allowed here are: user, port, key" in error
    assert "managed_system" in error


def test_an_unknown_top_level_key_is_refused() -> None:
    text = EXAMPLE_TEXT + "lpar03:\n  host: x\n"
    [error] = _errors(text)
    assert error.startswith(f"lpars.yml:{_line_of(text, 'lpar03:')}: lpar03: is not a known key")
    assert "defaults, admins, groups, lpars" in error


def test_a_missing_required_key_names_where_to_add_it() -> None:
    text = _edited("    host: 10.1.2.32\n", "")
    line = _line_of(text, "  lpar02:")
    assert _errors(text) == [
        f"lpars.yml:{line}: lpars.lpar02.host: is required; add `host: ...` under lpars.lpar02"
    ]


def test_an_lpar_must_name_a_group_that_exists() -> None:
    text = _edited("    group: test", "    group: tset")
    line = _line_of(text, "group: tset")
    assert _errors(text) == [
        f'lpars.yml:{line}: lpars.lpar02.group: names the group "tset", which is not under '
        'groups. Did you mean "test"?'
    ]


def test_a_key_and_known_hosts_must_be_set_somewhere() -> None:
    text = _edited("  key: keys/lkubot_ed25519 ", "  #")
    assert _errors(text) == [
        f"lpars.yml:{_line_of(text, '  lpar01:')}: lpars.lpar01.key: has no value; "
        "set `key:` on this LPAR or under defaults",
        f"lpars.yml:{_line_of(text, '  lpar02:')}: lpars.lpar02.key: has no value; "
        "set `key:` on this LPAR or under defaults",
    ]


def test_an_empty_value_does_not_silently_fall_back_to_the_default() -> None:
    text = _edited("    port: 2222", "    port:")
    assert _errors(text) == [
        f"lpars.yml:{_line_of(text, '    port:')}: lpars.lpar02.port: must not be empty; "
        "remove the line to use the default"
    ]


def test_an_lpar_written_twice_is_refused() -> None:
    text = _edited("  lpar02:", "  lpar01:")
    first, second = _line_of(text, "  lpar01:"), _line_of(text, "  lpar01:", 2)
    assert _errors(text) == [
        f"lpars.yml:{second}: lpars.lpar01: written twice (lines {first} and {second}); "
        "keep one of them"
    ]


def test_a_yaml_syntax_error_names_its_line() -> None:
    text = _edited("    port: 2222", "    port: [2222")
    [error] = _errors(text)
    # PyYAML notices the unclosed list on the line after it; the message says to look at both.
    assert error.startswith(f"lpars.yml:{_line_of(text, 'port: [2222') + 1}: ")
    assert "YAML syntax error" in error
    assert "check the indentation, colons and quotes" in error


def test_an_empty_file_and_a_non_mapping_are_refused() -> None:
    assert _errors("") == ["lpars.yml:1: the inventory is empty; start from lpars.example.yml"]
    [error] = _errors("- lpar01\n")
    assert error.startswith("lpars.yml:1: must be a mapping (`key: value` lines), not a list")


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = (
        _edited("admins: [U0ADMIN01]", "admins: [alice]")
        .replace("    port: 2222", "    port: ssh")
        .replace("approval_ttl: 24h", "approval_ttl: 24 hours")
    )
    errors = _errors(text)
    assert [e.split(":")[1] for e in errors] == [
        str(_line_of(text, "admins: [alice]")),
        str(_line_of(text, "approval_ttl: 24 hours")),
        str(_line_of(text, "port: ssh")),
    ]
    assert errors[0].endswith(
        "admins.0: must be a Slack user id (U..., W...) or user group id (S...), "
        'e.g. U0123ABCD, not "alice"'
    )
    assert "groups.test.approval_ttl: '24 hours' is not a duration" in errors[1]


def test_a_renamed_group_is_reported_with_the_lpars_that_still_name_it() -> None:
    text = _edited("  test:", "  tests:").replace("approval_ttl: 24h", "approval_ttl: 1 day")
    errors = _errors(text)
    assert len(errors) == 2
    assert "groups.tests.approval_ttl: '1 day' is not a duration" in errors[0]
    assert errors[1] == (
        f"lpars.yml:{_line_of(text, 'group: test')}: lpars.lpar02.group: names the group "
        '"test", which is not under groups. Did you mean "tests"?'
    )


def test_a_group_policy_error_is_reported_at_the_group() -> None:
    text = _edited("approvals_required: 1", "approvals_required: 5")
    [error] = _errors(text)
    assert error.startswith(f"lpars.yml:{_line_of(text, '  test:')}: groups.test: ")
    assert "approvals_required is 5 but only 2 approver(s) are listed" in error


@pytest.mark.parametrize(
    ("old", "new", "place", "expected"),
    [
        ("  lpar02:", "  lpar 02:", "lpars.lpar 02", "an LPAR name must be"),
        ("  lpar02:", "  -lpar02:", "lpars.-lpar02", "an LPAR name must be"),
        ("host: 10.1.2.32", "host: '10.1.2.32; reboot'", "lpars.lpar02.host", "a host must be"),
        ("host: 10.1.2.32", "host: 'fe80::1%$(reboot)'", "lpars.lpar02.host", "a host must be"),
        ("  user: root", "  user: '-oProxyCommand=x'", "defaults.user", "a user name must be"),
        ("media: /mnt/7300-03-01", "media: ../mnt", "lpars.lpar02.media", "must be absolute"),
        ("media: /mnt/7300-03-01", "media: /mnt/a b", "lpars.lpar02.media", "no spaces"),
        ("media: /mnt/7300-03-01", "media: '/mnt/$(x)'", "lpars.lpar02.media", "must be absolute"),
        (
            "  log_dir: /var/adm/ras/liveupdate/logs",
            "  log_dir: /var/../tmp",
            "defaults.log_dir",
            "no '..'",
        ),
        (
            "managed_system: p10-frame-b",
            "managed_system: 'p10 b'",
            "lpars.lpar02.managed_system",
            "a managed system name must be",
        ),
        (
            "connect_timeout: 10",
            "connect_timeout: 0",
            "defaults.connect_timeout",
            "must be a number of seconds above 0",
        ),
        (
            "        - rmdev -l ipsec_v4",
            "        - ''",
            "lpars.lpar01.stages.prep.2",
            "a stage command must be one line",
        ),
        ("  prod:", "  prod/x:", "groups.prod/x", "a group name must be"),
    ],
)
def test_values_that_end_up_in_commands_are_checked_strictly(
    old: str, new: str, place: str, expected: str
) -> None:
    text = _edited(old, new)
    errors = _errors(text)
    [error] = [e for e in errors if f": {place}: " in e]
    assert error.startswith(f"lpars.yml:{_line_of(text, new.strip())}: {place}: "), error
    assert expected in error


def test_a_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    missing = tmp_path / "lpars.yml"
    with pytest.raises(InventoryError) as caught:
        load_inventory(missing)
    assert caught.value.lines == (
        f"{missing}: no such file; copy lpars.example.yml to {missing} and edit it, "
        "or point LKUBOT_INVENTORY (or --inventory) at your inventory",
    )


# --- lookups -------------------------------------------------------------------------------


def test_lookup_by_name_suggests_a_close_name(example: Inventory) -> None:
    assert example.lpar("lpar02").host == "10.1.2.32"
    with pytest.raises(UnknownTargetError) as caught:
        example.lpar("lpar2")
    assert (
        str(caught.value) == 'There is no LPAR "lpar2" in lpars.example.yml. Did you mean "lpar02"?'
    )


def test_a_target_is_an_lpar_or_a_group(example: Inventory) -> None:
    assert [lpar.name for lpar in example.resolve("lpar01")] == ["lpar01"]
    assert [lpar.name for lpar in example.resolve("group:test")] == ["lpar02"]
    with pytest.raises(UnknownTargetError) as caught:
        example.resolve("group:prd")
    assert str(caught.value) == 'There is no group "prd" in lpars.example.yml. Did you mean "prod"?'


def test_lpars_of_a_managed_system() -> None:
    text = _edited("managed_system: p10-frame-b", "managed_system: p10-frame-a")
    inventory = parse_inventory(text, FILE)
    assert [lpar.name for lpar in inventory.on_managed_system("p10-frame-a")] == [
        "lpar01",
        "lpar02",
    ]
    assert inventory.on_managed_system("p10-frame-z") == []


def test_the_policy_of_an_lpar_is_its_group_s() -> None:
    inventory = parse_inventory(EXAMPLE_TEXT, FILE)
    assert inventory.policy(inventory.lpar("lpar01")).channel == "C0PRODOPS"


def test_an_ipv6_address_is_bracketed_in_messages() -> None:
    lpar = parse_inventory(_edited("host: 10.1.2.32", "host: fd00::32"), FILE).lpar("lpar02")
    assert lpar.address == "[fd00::32]:2222"


async def test_the_inventory_lkubot_sim_writes_is_valid(tmp_path: Path) -> None:
    async with fleet_of(tmp_path, 6) as fleet:
        inventory = load_inventory(fleet.inventory_path)
    assert list(inventory.lpars) == fleet.names
    for name, lpar in inventory.lpars.items():
        placement = fleet.lpar(name).state.placement
        assert (lpar.group, lpar.managed_system, lpar.hmc) == (
            placement.group,
            placement.managed_system,
            placement.hmc,
        )
        assert (lpar.host, lpar.port) == ("127.0.0.1", fleet.port(name))
        assert lpar.key == fleet.client_key_path
        assert lpar.known_hosts == fleet.known_hosts_path
    assert {lpar.group for lpar in inventory.lpars.values()} == set(inventory.groups)
