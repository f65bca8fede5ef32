"""The demo in a real browser (Debian's Chromium under Playwright), as a newcomer clicks
through it: carol types the preview with the composer's completion, alice and bob approve
from the card, carol launches through the confirmation dialog, and the run's final summary
arrives in the card's thread without a reload. A missing Chromium fails the test, saying how
to install it."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from bot.demo import STORY_LPAR, demo_world

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(120)]

SPEED = 100.0
"""The LPARs' clocks: the 40 s preview takes 0.4 s, the 11-minute update about 7 s."""
SHOWN_WITHIN = 10_000
"""Milliseconds the page may take to show what a click did (a busy 2-core machine)."""
RUN_WITHIN = 60_000
"""Milliseconds for the whole run to reach its final summary."""

PEOPLE = {
    "carol": "carol (Carol Requester)",
    "alice": "alice (Alice Approver)",
    "bob": "bob (Bob Approver)",
}


async def _act_as(page: Page, name: str) -> None:
    await page.select_option("#user-switcher", label=PEOPLE[name])
    await expect(page.locator("#connection.live")).to_be_visible(timeout=SHOWN_WITHIN)


async def test_preview_two_approvals_launch_and_the_summary_in_the_browser(
    browser: Browser, tmp_path
) -> None:
    async with demo_world(tmp_path / "demo", speed=SPEED) as world:
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        await page.goto(world.page_url)
        await expect(page.locator("#connection.live")).to_be_visible(timeout=SHOWN_WITHIN)
        await expect(page.locator("#channel-title")).to_have_text("#aix-team")
        await expect(page.locator("#user-switcher")).to_have_value("U0CAROL01")
        await page.evaluate("window.sameDocument = true")

        # carol types the command; the composer completes the verb and the LPAR's name.
        composer = page.locator("#composer-input")
        completions = page.locator("#composer .completions li")
        await composer.type("/lku pre")
        await expect(completions).to_have_text(["preview"])
        await composer.press("Tab")
        await composer.type("lpar")
        await expect(completions).to_have_text(world.lpars)
        await composer.press("ArrowDown")  # lpar002, the second
        await composer.press("Tab")
        await expect(composer).to_have_value(f"/lku preview {STORY_LPAR} ")
        await composer.press("Enter")

        card = page.locator("#messages .msg", has_text=f"LU-1: Live Kernel Update on {STORY_LPAR}")
        await expect(card.locator(".sk-header")).to_be_visible(timeout=SHOWN_WITHIN)
        await expect(card).to_contain_text("Waiting for approvals")

        for approver in ("alice", "bob"):
            await _act_as(page, approver)
            await card.locator("button", has_text="Approve").click()
            await expect(card).to_contain_text(f"@{approver} approved", timeout=SHOWN_WITHIN)

        await _act_as(page, "carol")
        launch = card.locator("button", has_text="Launch")
        await expect(launch).to_be_visible(timeout=SHOWN_WITHIN)
        await launch.click()
        dialog = page.locator("#confirm-dialog")
        await expect(dialog).to_contain_text(f"Launch LU-1 on {STORY_LPAR}?")
        await dialog.locator("#confirm-accept").click()
        await expect(card).to_contain_text("Running", timeout=SHOWN_WITHIN)

        await card.locator(".thread-link button").click()
        thread = page.locator("#thread-messages")
        await expect(thread).to_contain_text(
            f"succeeded: LU-1, live kernel update on {STORY_LPAR}", timeout=RUN_WITHIN
        )
        await expect(thread).to_contain_text("/etc/inittab")
        await expect(card).to_contain_text("Succeeded", timeout=SHOWN_WITHIN)

        assert await page.evaluate("window.sameDocument") is True, "nothing was reloaded"
        shot = tmp_path / "demo.png"
        await page.screenshot(path=shot)
        assert shot.stat().st_size > 10_000
