"""`python -m sim.slack` serves the page too, completing the words it is given."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp


async def test_the_standalone_emulator_serves_the_page() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sim.slack",
        "--words",
        "lpar01,group:prod",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(20):
            line = ""
            while not line.startswith("  page: "):
                line = (await process.stdout.readline()).decode()
                assert line, "the emulator ended before printing its page's address"
        page_url = line.removeprefix("  page: ").strip()
        async with aiohttp.ClientSession() as http:
            async with http.get(page_url) as response:
                assert response.content_type == "text/html"
            async with http.get(f"{page_url}page/api/workspace") as response:
                workspace = await response.json()
        assert workspace["completions"]["words"] == ["lpar01", "group:prod"]
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(10):
            await process.communicate()
    assert process.returncode == 0
