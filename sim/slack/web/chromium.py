"""Debian's Chromium, driven by Playwright, for the page's browser test and its screenshot.

Playwright's own browser download cannot work offline, so the browser is the system's
(`apt-get install chromium`; `make test` installs it when run as root). Playwright is a
development dependency: it is imported only by the callers, never by the emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root in a container has no user namespaces for Chromium's sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Nothing may leave the machine: no updates, no sync, no background fetches.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ChromiumMissing(RuntimeError):
    """There is no Chromium where Debian installs it."""


def require_chromium() -> Path:
    """Debian's Chromium, or ChromiumMissing saying how to install it."""
    if not CHROMIUM.exists():
        raise ChromiumMissing(
            f"Chromium is not installed at {CHROMIUM}: install it with "
            "`apt-get update && apt-get install -y chromium` (as root, `make test` does this)."
        )
    return CHROMIUM


async def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, with the flags above."""
    return await playwright.chromium.launch(
        executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True
    )
