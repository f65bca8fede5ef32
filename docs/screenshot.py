"""Make docs/demo.png: the demo's page after the real bot ran a live kernel update, showing the
request card and the run in its thread (the status message and the final summary).

    .venv/bin/python docs/screenshot.py [--out docs/demo.png] [--speed 50]

The demo world (`bot.demo`) plays the scripted story (`bot.demo_story`) up to the final
summary, through the emulator's driver, printing its transcript; then Debian's Chromium opens
the page as alice with the card's thread open. Needs chromium (see sim/slack/web/chromium.py)
and, for the emoji to be drawn rather than boxes, `apt-get install fonts-noto-color-emoji`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright, expect

from bot.demo import CHANNEL, STORY_LPAR, demo_world
from bot.demo_story import play_run
from bot.demo_transcript import Transcript
from sim.slack.web.chromium import launch_chromium

VIEWPORT = {"width": 1400, "height": 1000}
SHOWN_WITHIN = 10_000
"""Milliseconds the page may take to draw what the story left."""


async def capture(out: Path, speed: float) -> None:
    with tempfile.TemporaryDirectory(prefix="lkubot-screenshot-") as directory:
        async with demo_world(Path(directory), speed=speed) as world, async_playwright() as pw:
            with Transcript(world.slack, sys.stdout) as transcript:
                await play_run(world, transcript)
            browser = await launch_chromium(pw)
            page = await browser.new_page(viewport=VIEWPORT)
            await page.goto(f"{world.page_url}?as=alice&channel={CHANNEL}")
            header = f"LU-1: Live Kernel Update on {STORY_LPAR}"
            card = page.locator("#messages .msg", has_text=header)
            await card.locator(".thread-link button").click()
            thread = page.locator("#thread-messages")
            await expect(thread).to_contain_text("succeeded: LU-1", timeout=SHOWN_WITHIN)
            # The replies from the first: the status message's phases, then the summary.
            first = page.locator("#thread-messages .msg").first
            await first.evaluate("reply => reply.scrollIntoView({block: 'start'})")
            await page.mouse.move(0, 0)  # no hover menus in the picture
            await page.screenshot(path=out, animations="disabled")
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("demo.png"))
    parser.add_argument("--speed", type=float, default=50.0, help="the LPARs' clock speed")
    arguments = parser.parse_args()
    asyncio.run(capture(arguments.out, arguments.speed))


if __name__ == "__main__":
    main()
