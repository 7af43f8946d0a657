"""Helpers for the browser tests (the fixture is in conftest.py)."""
from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


def shoot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, site: str, username: str, password: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def audio_time(page) -> float:
    return page.evaluate("document.querySelector('#player .player-audio').currentTime")


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Wait until a JavaScript expression is true in the page, polling from here.

    Not Playwright's `wait_for_function`: it compiles the expression inside the page with `new Function`, which
    the site's Content-Security-Policy (no 'unsafe-eval') refuses, and the browser tests keep the production CSP
    on to prove the player works under it. `page.evaluate` runs through the DevTools protocol, outside the CSP.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f} s: {expression}")
        page.wait_for_timeout(50)
