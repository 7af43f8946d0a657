"""A new listener's whole visit in headless Debian Chromium, driven by Playwright's Python package.

Signs up, completes the taste wizard, reaches today's songs, likes one and dislikes another, asks for another
list, searches a situation, opens playlist picks, and sees the site in Korean — on the demo catalog with trained
models, against the live test server. Every request to another host is blocked (and must not be needed).
Screenshots of each page go to test-artifacts/screenshots/ (README: "About the tests").

Skips when /usr/bin/chromium is missing, except under CI=true, where a missing browser is a failure.
"""
from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from ingestion.models import Track
from recommendations.artifacts import forget_loaded_engines
from tests.e2e.browser import shoot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_site(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    forget_loaded_engines()
    call_command("seed_demo", "--no-previews", verbosity=0)
    call_command("train_recommenders", verbosity=0)
    # Read here, before the browser starts: under Playwright's sync API the test body runs in a greenlet whose
    # database connection Django would never close (and PostgreSQL could not drop the test database).
    yield Track.objects.filter(is_demo=True).order_by("pk").values_list("name", flat=True).first()
    forget_loaded_engines()


def card_titles(page) -> list[str]:
    return [title.strip() for title in page.locator(".today-card .today-title").all_inner_texts()]


def test_new_listener_signs_up_picks_a_taste_and_gets_todays_songs(demo_site, browser_page):
    page, site, blocked = browser_page
    favourite = demo_site  # the first demo track's title

    # Sign up with a local account.
    page.goto(f"{site}/accounts/signup/")
    shoot(page, "01-signup")
    page.fill("input[name=username]", "newlistener")
    page.fill("input[name=password1]", "a-long-pass-phrase-42")
    page.fill("input[name=password2]", "a-long-pass-phrase-42")
    page.click("form button[type=submit]:has-text('Sign up')")
    page.wait_for_load_state()
    assert "newlistener" in page.content()

    # Wizard, step 1: search-as-you-type for a favourite song.
    page.goto(f"{site}/taste/")
    page.fill("#track-search", favourite[:6])
    page.locator("#search-results button[name=add]").first.wait_for()
    shoot(page, "02-wizard-song")
    page.locator("#search-results button[name=add]").first.click()
    page.wait_for_load_state()
    page.click("button[name=next]")

    # Steps 2-4: mood, speed, emotion as picture buttons.
    for step, choice in (("mood", "bright"), ("speed", "fast"), ("emotion", "excited")):
        page.wait_for_url(re.compile(rf"/taste/{step}/"))
        page.click(f"label[for=choice-{choice}]")
        shoot(page, f"03-wizard-{step}")
        page.click(".wizard-nav button[type=submit]")

    # The loading screen moves on by itself to today's songs.
    page.wait_for_url(re.compile(r"/today/$"))
    first_list = card_titles(page)
    assert len(first_list) >= 10
    shoot(page, "04-today")

    # Like the first song, dislike the second: the disliked one leaves the list.
    page.locator(".today-card").nth(0).locator("button.like").click()
    page.wait_for_load_state()
    disliked = card_titles(page)[1]
    page.locator(".today-card").nth(1).locator("button.dislike").click()
    page.wait_for_load_state()
    assert page.locator(".today-card").nth(0).locator("button.like[aria-pressed=true]").count() == 1
    assert disliked not in card_titles(page)
    shoot(page, "05-today-after-like-and-dislike")

    # Another list: different songs, and the disliked one never comes back.
    page.click("button:has-text('Another list')")
    page.wait_for_url(re.compile(r"/today/$"))
    second_list = card_titles(page)
    assert second_list and second_list != first_list and disliked not in second_list
    shoot(page, "06-today-rerolled")

    # Situation search in Korean reaches the coding/study playlists.
    page.goto(f"{site}/situation/")
    page.fill("input[name=q]", "코딩할 때 듣기 좋은 음악")
    page.click("button:has-text('Find songs')")
    page.wait_for_load_state()
    assert page.locator(".matched .chip").count() > 0 and page.locator(".track-card").count() >= 10
    shoot(page, "07-situation")

    # Playlist picks from the liked songs: a chart of cluster shares and new songs.
    page.goto(f"{site}/picks/")
    page.click("a:has-text('Songs you liked')")
    page.wait_for_load_state()
    assert page.locator(".cluster-chart li").count() >= 2 and page.locator(".track-card").count() > 0
    shoot(page, "08-playlist-picks")

    # The same pages in Korean, switched from the header.
    page.goto(f"{site}/today/")
    page.click(".language-form button[value=ko]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ko"
    assert "오늘의 노래" in page.content() and "Another list" not in page.content()
    shoot(page, "09-today-korean")

    # A phone-sized screen: no sideways scrolling.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{site}/today/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shoot(page, "10-today-phone")

    assert not [url for url in blocked if "open.spotify.com" not in url and "scdn.co" not in url], blocked
