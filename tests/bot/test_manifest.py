"""manifest.yml is an app manifest Slack accepts: checked offline against Slack's published
JSON Schema (a copy kept in tests/fixtures/slack-manifest-schema/)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "fixtures" / "slack-manifest-schema"
PUBLISHED = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"


def _validator() -> jsonschema.protocols.Validator:
    entry = json.loads((SCHEMAS / "manifest.schema.json").read_text())
    resources = [
        (PUBLISHED + name, Resource.from_contents(json.loads((SCHEMAS / name).read_text())))
        for name in ("manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json")
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    cls = jsonschema.validators.validator_for(entry)
    return cls(entry, registry=registry)


def _manifest() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_manifest_matches_slacks_schema() -> None:
    errors = sorted(_validator().iter_errors(_manifest()), key=str)
    assert not errors, "\n".join(e.message for e in errors)


def test_schema_check_can_fail() -> None:
    broken = _manifest()
    broken["features"]["slash_commands"][0]["command"] = "lku"  # Slack wants the leading slash
    assert list(_validator().iter_errors(broken))


def test_only_the_scopes_lkubot_needs() -> None:
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "commands",
        "chat:write",
        "chat:write.public",
        "files:write",
        "users:read",
        "usergroups:read",
    }


@pytest.mark.parametrize("command", ["/lku", "/llu"])
def test_both_slash_commands_are_declared(command: str) -> None:
    declared = {c["command"] for c in _manifest()["features"]["slash_commands"]}
    assert command in declared


def test_the_manifest_declares_exactly_the_slash_commands_the_bot_registers() -> None:
    from bot.listeners.slash import COMMANDS

    declared = {c["command"] for c in _manifest()["features"]["slash_commands"]}
    assert declared == set(COMMANDS)


def test_interactivity_is_on_for_the_buttons_and_modals_the_bot_listens_to() -> None:
    settings = _manifest()["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True


def test_every_button_lkubot_posts_has_a_listener() -> None:
    import inspect

    from bot.listeners import cancel, details, launch, llu, votes
    from bot.views import actions

    source = "".join(inspect.getsource(m) for m in (cancel, details, launch, llu, votes))
    buttons = {
        name
        for name, value in vars(actions).items()
        if name.isupper()
        and not name.startswith("_")
        and isinstance(value, str)
        and not name.endswith(("_BLOCK", "_INPUT"))
    }
    unheard = sorted(b for b in buttons if not re.search(rf"actions\.{b}\b", source))
    assert unheard == []


def test_the_description_leaves_the_number_of_approvers_to_each_groups_policy() -> None:
    # approvals_required is set per inventory group (1 in a test group, 2 in prod, ...).
    info = _manifest()["display_information"]
    for text in (info["description"], info["long_description"]):
        assert not re.search(r"\b(one|two|three|four|\d+) (people|persons|approvers)\b", text)
        assert "approved by" in text or "approve" in text
