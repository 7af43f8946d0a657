"""Headless Debian Chromium through Playwright's Python package, with every request to another host blocked.

Skips when /usr/bin/chromium is missing, except under CI=true, where a missing browser is a failure.
"""
from __future__ import annotations

import os

import pytest

from tests.e2e.browser import CHROMIUM, SCREENSHOTS


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """(page, site URL, blocked URLs): a fresh English browser tab on the live test server."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium at /usr/bin/chromium: run scripts/install-system-packages")
        pytest.skip("Debian's chromium is not installed (scripts/install-system-packages installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls (the database
    # teardown of this test) while one runs; they are still synchronous, so allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []
    with sync_api.sync_playwright() as playwright:
        # Headless Chromium has no sound card: a fake audio output lets <audio> really play (currentTime moves).
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--use-fake-device-for-media-stream"]
        )
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})

        def only_the_site(route):
            if route.request.url.startswith(live_server.url):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_the_site)
        page = context.new_page()
        page.set_default_timeout(15_000)
        # The site's production Content-Security-Policy stays on: anything of the site's own that it refuses (a
        # script, a fetch, an inline handler) is a bug a listener would meet, so it fails the test.
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        yield page, live_server.url, blocked
        context.close()
        browser.close()
    assert not refused, refused
