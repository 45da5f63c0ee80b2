"""What the browser tests share: one Debian Chromium per test module, driven by Playwright (never a downloaded
browser; under CI=true a missing one fails, see chromium_or_skip)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_console_browser import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
