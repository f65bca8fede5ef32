"""`python -m sim.slack` serves until it is told to stop, the bot's client works against it,
and its browser page completes the words it was given."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient


async def test_standalone_emulator_serves_until_interrupted() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sim.slack",
        "--speed",
        "10",
        "--bot-token",
        "xoxb-standalone",
        "--words",
        "lpar01,group:prod",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(20):
            banner = (await process.stdout.readline()).decode()
            api_line = (await process.stdout.readline()).decode()
        assert banner.startswith("Slack emulator: http://127.0.0.1:")
        api_url = api_line.strip().removeprefix("LKUBOT_SLACK_API_URL=")
        client = AsyncWebClient(token="xoxb-standalone", base_url=api_url)
        assert (await client.auth_test())["user"] == "lkubot"
        async with asyncio.timeout(20):
            page_line = ""
            while not page_line.startswith("  page: "):
                page_line = (await process.stdout.readline()).decode()
                assert page_line, "the emulator ended before printing its page's address"
        page_url = page_line.removeprefix("  page: ").strip()
        async with aiohttp.ClientSession() as http:
            async with http.get(page_url) as response:
                assert response.content_type == "text/html"
            async with http.get(f"{page_url}page/api/workspace") as response:
                words = (await response.json())["completions"]["words"]
        assert words == ["lpar01", "group:prod"]
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(10):
            out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert out.decode().rstrip().endswith("Slack emulator stopped.")
