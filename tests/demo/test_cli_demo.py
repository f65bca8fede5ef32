"""`lkubot demo` as a user runs it, in a subprocess: `--scripted` plays the whole story and
prints its transcript; without it the page is served on 127.0.0.1 only until Ctrl-C, which
stops everything cleanly, even while lkubot is at work, and removes the demo's files."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from bot.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

LKUBOT = str(Path(sys.executable).parent / "lkubot")
ROOT = Path(__file__).resolve().parents[2]
SCRIPTED_WITHIN = 90.0
"""Seconds the scripted story may take at 100x (about 10 s on the 2-core machine)."""
WITHIN = 30.0
UNCLEAN = ("Traceback", "Task was destroyed", "Unclosed", "Exception ignored", "never awaited")


async def _demo(*args: str) -> asyncio.subprocess.Process:
    """`lkubot demo ARGS`, in the runner's environment without Slack or lkubot settings (the
    demo needs none), its output piped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LKUBOT_"))}
    return await asyncio.create_subprocess_exec(
        LKUBOT,
        "demo",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_scripted_plays_the_whole_story_and_verifies_the_audit_trail(tmp_path) -> None:
    kept = tmp_path / "demo"
    process = await _demo("--scripted", "--speed", "100", "--keep", str(kept))
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=SCRIPTED_WITHIN)
    finally:
        if process.returncode is None:
            process.kill()
    transcript, errors = out.decode(), err.decode()
    assert process.returncode == 0, errors + transcript
    assert not any(word in errors for word in UNCLEAN), errors

    # In the order the story tells it.
    expected = [
        "carol   /lku preview lpar002",
        "lkubot  (only carol sees this) Previewing lpar002",
        "lkubot  LU-1: Live Kernel Update on lpar002",
        "\u2705 geninstall -k -p: The live update preview succeeded.",
        "carol   clicks [Approve] on the request card of LU-1",
        "lkubot  (only carol sees this) \u26a0\ufe0f You asked for this update, so someone "
        "else has to approve it.",
        "alice   clicks [Approve] on the request card of LU-1",
        "\U0001f44d @alice approved",
        "bob     clicks [Approve] on the request card of LU-1",
        "\U0001f44d @bob approved",
        "[Launch] [Approve] [Reject]",
        "carol   clicks [Launch] on the request card of LU-1",
        '        Slack asks: "Launch LU-1 on lpar002?',
        "carol   clicks [Launch]",
        "#aix-team, thread of LU-1: Live Kernel Update on lpar002",
        "lkubot  LU-1: live kernel update on lpar002 \u00b7 \U0001f504 running",
        "lkubot  edits the status message of LU-1:",
        "lkubot  \u23f1\ufe0f LU-1 lpar002: blackout 21 s",
        "lkubot  \U0001f389 succeeded: LU-1, live kernel update on lpar002",
        "AIX level 7300-02-02-2420 \u2192 7300-03-01-2446",
        "Configuration files changed (1 file, config.diff)",
        "+clcomd:23456789:once:/usr/bin/startsrc -s clcomd",
        "Still running old code (genld -u, 2 processes): topasrec (5046728), sshd (4391388).",
        "carol   clicks [LLU preview] on the final summary of LU-1",
        "lkubot  LU-2: Live Library Update on lpar002",
        "llvupdate -P",
        f"$ lkubot audit verify --db {kept / 'lkubot.db'} --head ",
        "Audit chain intact: ",
        "The anchored head ",
        ": nothing recorded up to it was changed or removed.",
        "lkubot demo --scripted: the story played in ",
    ]
    position = 0
    for line in expected:
        found = transcript.find(line, position)
        assert found >= 0, (
            f"{line!r} not in the transcript after position {position}:\n" + (transcript[position:])
        )
        position = found + len(line)
    assert "{" not in transcript, "message texts, not JSON"
    assert (kept / "lkubot.db").exists()
    assert (kept / "fleet" / "lpars.yml").exists()


async def test_the_page_is_served_on_127_0_0_1_until_ctrl_c_stops_everything(tmp_path) -> None:
    port = _free_port()
    process = await _demo("--port", str(port))
    try:
        assert process.stdout is not None
        welcome = await asyncio.wait_for(_until(process.stdout, "Ctrl-C stops"), WITHIN)
        assert f"Open http://127.0.0.1:{port}/ in a browser." in welcome
        assert "/lku preview lpar003   fails: no HMC token" in welcome
        files = Path(re.search(r"Files: (\S+)\. Ctrl-C", welcome)[1])  # type: ignore[index]
        assert (files / "fleet" / "lpars.yml").exists()

        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(f"http://127.0.0.1:{port}/") as page:
                assert page.status == 200
                assert "<html" in (await page.text()).lower()
            # Bound to 127.0.0.1 only: another loopback address of this machine finds no one.
            with pytest.raises(aiohttp.ClientConnectionError):
                await http.get(f"http://127.0.0.2:{port}/")
            # carol asks for a preview through the page; Ctrl-C lands while lkubot is at work.
            asked = {"user": "carol", "channel": "aix-team", "command": "/lku"}
            async with http.post(
                f"http://127.0.0.1:{port}/page/api/slash",
                json={**asked, "text": "preview lpar002"},
            ) as sent:
                assert (await sent.json())["ok"] is True
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), WITHIN)
    errors = err.decode()
    assert process.returncode == 0, errors
    assert not any(word in errors for word in UNCLEAN), errors
    assert out.decode().rstrip().endswith("lkubot demo: stopped.")
    assert not await asyncio.to_thread(files.exists), "the throwaway directory is removed"


def test_a_port_in_use_is_refused_saying_what_to_do(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["demo", "--port", str(port)])
    assert result.exit_code == 1
    assert f"lkubot demo: cannot serve the page on 127.0.0.1:{port}" in result.output
    assert "pick another --port, or leave it out to use any free one" in result.output


def test_keep_refuses_a_directory_with_something_in_it(tmp_path) -> None:
    (tmp_path / "lkubot.db").write_text("an earlier demo")
    result = CliRunner().invoke(main, ["demo", "--scripted", "--keep", str(tmp_path)])
    assert result.exit_code == 2
    assert "the directory is not empty; name a new or empty one" in result.output
    assert (tmp_path / "lkubot.db").read_text() == "an earlier demo"


async def _until(stream: asyncio.StreamReader, word: str) -> str:
    seen = []
    while True:
        raw = await stream.readline()
        if not raw:
            pytest.fail("lkubot demo ended before it was ready:\n" + "".join(seen))
        seen.append(raw.decode())
        if word in seen[-1]:
            return "".join(seen)
