"""Make docs/demo.png: the Slack emulator's page showing a request's card and its run thread.

    .venv/bin/python docs/screenshot.py [--out docs/demo.png]

The channel is filled by script through the emulator's Web API, as the bot would post it,
until `lkubot demo --scripted` can play the real bot into the page; then `fill` gives way to it.
Needs Debian's chromium (see sim/slack/web/chromium.py) and, for the emoji to be drawn rather
than boxes, `apt-get install fonts-noto-color-emoji`.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright, expect
from slack_sdk.web.async_client import AsyncWebClient

from sim.slack import EmulatorConfig, SlackEmulator
from sim.slack.web.chromium import launch_chromium
from sim.slack.web.options import Completions, PageOptions

CHANNEL = "C0PRODOPS"
LPARS = ["lpar01", "lpar02", "lpar03", "group:prod", "group:test"]


def _text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _card() -> list[dict[str, Any]]:
    launch_confirm = {
        "title": {"type": "plain_text", "text": "Launch LU-17 on lpar01?"},
        "text": _text("`geninstall -k` runs on *lpar01* now; the blackout is about 20 s."),
        "confirm": {"type": "plain_text", "text": "Launch"},
        "deny": {"type": "plain_text", "text": "Not now"},
    }
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "LU-17 \u00b7 LKU on lpar01"}},
        {
            "type": "section",
            "text": _text(
                "Requested by <@U0CAROL01>: `update_all` from `/mnt/7300-03-01` "
                "(group *prod*, frame p10-frame-a)"
            ),
        },
        {
            "type": "section",
            "fields": [
                _text("*oslevel*\n7300-02-02-2420 \u2192 7300-03-01"),
                _text("*HMC token*\n:white_check_mark: hmc01 as liveupdate"),
                _text("*lvupdate.data*\n:warning: 1 warning (clone_from_hmc_profile)"),
                _text("*Free disks*\n:white_check_mark: hdisk1, hdisk2"),
                _text("*geninstall -k -p*\n:white_check_mark: preview passed"),
                _text("*LLU mode*\n:white_check_mark: llu_mode=1"),
            ],
        },
        {
            "type": "context",
            "elements": [
                _text("2 approvals from <!subteam^S0AIXAPPR>, not the requester, within 4 h")
            ],
        },
        {"type": "divider"},
        {
            "type": "section",
            "text": _text(
                ":white_check_mark: Approved by <@U0ALICE01> at 21:02 \u00b7 "
                ":white_check_mark: <@U0BOB0001> at 21:05 \u2014 *approved*"
            ),
        },
        {
            "type": "actions",
            "block_id": "launch",
            "elements": [
                {
                    "type": "button",
                    "action_id": "launch",
                    "value": "LU-17",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Launch"},
                    "confirm": launch_confirm,
                },
                {
                    "type": "button",
                    "action_id": "cancel",
                    "value": "LU-17",
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Cancel request"},
                },
            ],
        },
    ]


def _status(phase: int, elapsed: str, note: str) -> list[dict[str, Any]]:
    done = round(20 * phase / 25)
    bar = "\u2588" * done + "\u2591" * (20 - done)
    return [
        {
            "type": "section",
            "text": _text(f"*Phase {phase} of 25*: {note}\n`{bar}` {4 * phase}% \u00b7 {elapsed}"),
        },
        {
            "type": "context",
            "elements": [_text(":arrows_counterclockwise: status edited in place every 2 s")],
        },
    ]


async def fill(slack: SlackEmulator) -> None:
    """A run in progress (LU-16, its thread) and an approved request (LU-17), posted as the
    bot would post them."""
    bot = AsyncWebClient(token=slack.credentials.bot_token, base_url=slack.api_url)
    running = await bot.chat_postMessage(
        channel=CHANNEL,
        text="LU-16: LKU on lpar02",
        blocks=[
            {
                "type": "header",
                "text": {"type": "plain_text", "text": "LU-16 \u00b7 LKU on lpar02"},
            },
            {
                "type": "section",
                "text": _text("Requested by <@U0ADMIN01>: `update_all` from `/mnt/7300-03-01`"),
            },
            {
                "type": "context",
                "elements": [
                    _text(
                        ":arrow_forward: *Running* \u00b7 approved by <@U0ALICE01>, <@U0BOB0001>"
                        " \u00b7 launched by <@U0ADMIN01> at 20:58"
                    )
                ],
            },
        ],
    )
    thread = str(running["ts"])
    await bot.chat_postMessage(
        channel=CHANNEL,
        thread_ts=thread,
        text=":white_check_mark: Prep stage: `stopsrc -s pfcdaemon` (exit 0)",
    )
    status = await bot.chat_postMessage(
        channel=CHANNEL,
        thread_ts=thread,
        text="Phase 1 of 25",
        blocks=_status(1, "0m04s elapsed", "starting"),
    )
    await bot.chat_update(
        channel=CHANNEL,
        ts=status["ts"],
        text="Phase 17 of 25",
        blocks=_status(17, "6m12s elapsed", ":rotating_light: *blackout* (workload moving)"),
    )
    slack.state.post(
        CHANNEL,
        user="U0CAROL01",
        text="Patching lpar01 to 7300-03-01 tonight, approvals please :pray:",
        blocks=[],
    )
    await bot.chat_postMessage(channel=CHANNEL, text="LU-17: LKU on lpar01", blocks=_card())
    await bot.chat_postEphemeral(
        channel=CHANNEL,
        user="U0ALICE01",
        text="You approved LU-17 (2 of 2 approvals): <@U0CAROL01> can launch it now.",
    )


async def capture(out: Path) -> None:
    options = PageOptions(completions=Completions(words=LPARS), default_channel="prod-ops")
    async with (
        SlackEmulator.start(EmulatorConfig(), page=options) as slack,
        async_playwright() as playwright,
    ):
        await fill(slack)
        browser = await launch_chromium(playwright)
        page = await browser.new_page(viewport={"width": 1400, "height": 860})
        await page.goto(f"{slack.page_url}?as=alice&channel=prod-ops")
        card = page.locator(".msg", has_text="LU-16 \u00b7 LKU on lpar02")
        await card.locator(".thread-link button").click()
        await expect(page.locator("#thread-messages")).to_contain_text("Phase 17 of 25")
        await page.locator("#composer-input").type("/lku launch LU-17")
        await page.mouse.move(0, 0)  # no hover menus in the picture
        await page.screenshot(path=out, animations="disabled")
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("demo.png"))
    asyncio.run(capture(parser.parse_args().out))


if __name__ == "__main__":
    main()
