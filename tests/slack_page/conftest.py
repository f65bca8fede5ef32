"""Fixtures: the emulator serving its browser page, a client of the page's API, and Debian's
Chromium under Playwright (a missing browser fails the test, it never skips it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import Browser, async_playwright

from sim.slack import EmulatorConfig, SlackEmulator
from sim.slack.web.chromium import ChromiumMissing, launch_chromium
from sim.slack.web.options import Completions, PageOptions

LPARS = ["lpar01", "lpar02", "lpar03"]


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    options = PageOptions(completions=Completions(words=LPARS))
    async with SlackEmulator.start(EmulatorConfig(speed=60), page=options) as emulator:
        yield emulator


@pytest.fixture
async def http(slack: SlackEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(base_url=slack.base_url, timeout=timeout) as session:
        yield session


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        try:
            chromium = await launch_chromium(playwright)
        except ChromiumMissing as missing:
            pytest.fail(str(missing), pytrace=False)
        try:
            yield chromium
        finally:
            await chromium.close()
