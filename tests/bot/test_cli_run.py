"""`lkubot run`: settings checked before anything starts, one line per problem; and a real
start-up over Socket Mode against the emulator's local WebSocket, answering a command, then a
clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from sim.aix import Fleet
from sim.slack import EmulatorConfig, SlackEmulator

LKUBOT = [str(Path(sys.executable).parent / "lkubot"), "run"]
ROOT = Path(__file__).resolve().parents[2]


def _env(**values: str) -> dict[str, str]:
    """The test runner's environment without any Slack or lkubot setting, plus `values`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LKUBOT_"))}
    return {**clean, **values}


async def _run(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *LKUBOT, *args, env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_missing_credentials_stop_start_up_with_one_line_each(tmp_path) -> None:
    code, err = await _run([], _env(LKUBOT_INVENTORY=str(tmp_path / "lpars.yml")))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert "SLACK_BOT_TOKEN is not set" in lines[0]
    assert "SLACK_APP_TOKEN is not set" in lines[1]


async def test_http_mode_needs_the_signing_secret(tmp_path) -> None:
    code, err = await _run(["--http", "8080"], _env(SLACK_BOT_TOKEN="xoxb-1"))
    assert code == 2
    assert err.strip().splitlines() == [
        "lkubot run: SLACK_SIGNING_SECRET is not set: --http needs it to verify that requests "
        "come from Slack (Basic Information > App Credentials)."
    ]


async def test_malformed_settings_are_named(tmp_path) -> None:
    code, err = await _run(
        [],
        _env(
            SLACK_BOT_TOKEN="xoxb-1",
            SLACK_APP_TOKEN="xapp-1",
            LKUBOT_MEMBERSHIP_TTL="soon",
            LKUBOT_CHANNELS="C0AIXTEAM,#aix-team",
        ),
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("lkubot run: LKUBOT_CHANNELS: #aix-team is not a channel id")
    assert lines[1].startswith("lkubot run: LKUBOT_MEMBERSHIP_TTL:")


async def test_a_wrong_token_type_and_a_missing_inventory(tmp_path) -> None:
    code, err = await _run(
        [],
        _env(
            SLACK_BOT_TOKEN="xoxp-user-token",
            SLACK_APP_TOKEN="xapp-1",
            LKUBOT_INVENTORY=str(tmp_path / "nowhere.yml"),
        ),
    )
    assert code == 2
    assert "SLACK_BOT_TOKEN must be a bot token, starting with xoxb-." in err
    code, err = await _run(
        [],
        _env(
            SLACK_BOT_TOKEN="xoxb-1",
            SLACK_APP_TOKEN="xapp-1",
            LKUBOT_INVENTORY=str(tmp_path / "nowhere.yml"),
        ),
    )
    assert code == 2
    assert "nowhere.yml: no such file; copy lpars.example.yml" in err


async def test_socket_mode_start_up_answers_a_command_and_stops_on_sigterm(tmp_path) -> None:
    async with (
        Fleet.start(1, out_dir=tmp_path / "fleet", speed=600.0) as fleet,
        SlackEmulator.start(EmulatorConfig(speed=60)) as slack,
    ):
        env = _env(
            SLACK_BOT_TOKEN=slack.credentials.bot_token,
            SLACK_APP_TOKEN=slack.credentials.app_token,
            LKUBOT_SLACK_API_URL=slack.api_url,
            LKUBOT_INVENTORY=str(fleet.inventory_path),
            LKUBOT_DB=str(tmp_path / "lkubot.db"),
        )
        process = await asyncio.create_subprocess_exec(
            *LKUBOT, env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
        )
        try:
            assert process.stderr is not None
            ready = await asyncio.wait_for(_line_with(process.stderr, "ready"), timeout=30)
            assert "over Socket Mode: 1 LPARs in 2 groups" in ready
            await slack.wait_for_socket(within=10)
            delivery = await slack.slash("carol", "aix-team", "/lku", "help")
            assert delivery.via == "socket"
            assert delivery.acked
            await slack.wait_for_ephemeral("carol", lambda e: "preview" in e.content, within=10)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), timeout=30)
        assert code == 0
        assert (tmp_path / "lkubot.db").exists()


async def _line_with(stream: asyncio.StreamReader, word: str) -> str:
    seen = []
    while True:
        raw = await stream.readline()
        if not raw:
            pytest.fail("lkubot run ended before it was ready:\n" + "".join(seen))
        line = raw.decode()
        seen.append(line)
        if word in line:
            return line
