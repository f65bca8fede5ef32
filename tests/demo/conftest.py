"""Fixtures: Debian's Chromium under Playwright, the same one the page's own browser tests use
(a missing browser fails the test, saying how to install it)."""

from __future__ import annotations

from tests.slack_page.conftest import browser

__all__ = ["browser"]
