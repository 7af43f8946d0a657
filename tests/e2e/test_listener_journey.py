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
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from ingestion.models import Track
from recommendations.artifacts import forget_loaded_engines
from tests.audio import click_track_wav
from tests.e2e.browser import audio_time, shoot, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_site(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    forget_loaded_engines()
    call_command("seed_demo", "--no-previews", verbosity=0)
    call_command("train_recommenders", verbosity=0)
    _give_demo_tracks_audio()
    # Read here, before the browser starts: under Playwright's sync API the test body runs in a greenlet whose
    # database connection Django would never close (and PostgreSQL could not drop the test database).
    yield Track.objects.filter(is_demo=True).order_by("pk").values_list("name", flat=True).first()
    forget_loaded_engines()


def _give_demo_tracks_audio() -> None:
    """Until seed_demo synthesizes each demo track's preview, every demo track shares one generated WAV."""
    if Track.objects.filter(is_demo=True).exclude(audio_file="").exists():
        return
    name = default_storage.save("audio/demo-stand-in.wav", ContentFile(click_track_wav(seconds=8)))
    Track.objects.filter(is_demo=True).update(audio_file=name)


def card_titles(page) -> list[str]:
    return [title.strip() for title in page.locator(".today-card .today-title").all_inner_texts()]


def no_page_load_since_marked(page) -> bool:
    return page.evaluate("window.__stillHere === true")


def english_left_on(page) -> list[str]:
    """Phrases of the English interface found in the visible text of a page that should be Korean."""
    text = page.locator("main").inner_text() + page.locator(".site-header").inner_text()
    return [phrase for phrase in ENGLISH_PHRASES if phrase in text]


# Words a listener reads on the pages; none may be left in English on a Korean page.
ENGLISH_PHRASES = (
    "Play all", "Player", "Press play", "Preview", "Like", "Not for me", "Another list", "Change my taste",
    "Songs for", "Today's songs", "New songs for", "Matched playlists", "understood as", "Your playlists",
    "No preview", "demo song", "Spotify's player", "Newest releases", "Songs you liked", "Log out", "Unlike",
    # The engines' reasons and messages as they read in English before they became data (issue 9).
    "same genres as", "genres close to", "other genres than", "genres unknown", "sounds like", "similar tempo",
    "similar energy", "similar danceability", "similar valence", "similar acousticness", "audio features unknown",
    "next best match", "closest to your filters", "popular in the catalog", "released 20", "release date unknown",
    "group (", "of your playlist", "of your songs", "of the catalog", "filling in", "placed by genre",
    "in playlists like", "goes with", "often in playlists with your tracks", "close to your tracks",
    "placed by its genres", "popular in playlists", "kept by many listeners", "people who keep",
    "playlists called", "are full of it", "words like yours", "common in playlists", "No playlist name matches",
    "so here are", "None of these tracks", "Try a situation", "Cluster ", "uplifting", "even-tempered",
    "high energy", "average-sounding", "catalog's average", "mostly ", "as you asked", "a song you liked",
    "new releases", "new release",
)


def test_new_listener_signs_up_picks_a_taste_and_gets_todays_songs(demo_site, browser_page):
    page, site, blocked = browser_page
    favourite = demo_site  # the first demo track's title

    # Sign up with a local account: the site takes the new listener straight to the wizard.
    page.goto(f"{site}/accounts/signup/")
    shoot(page, "01-signup")
    page.fill("input[name=username]", "newlistener")
    page.fill("input[name=password1]", "a-long-pass-phrase-42")
    page.fill("input[name=password2]", "a-long-pass-phrase-42")
    page.click("form button[type=submit]:has-text('Sign up')")
    page.wait_for_url(re.compile(r"/taste/$"))
    assert page.locator(".suggestion").count() >= 6  # starting songs, even with no curated suggestions

    # Wizard, step 1: search-as-you-type; choosing two songs keeps the results on screen.
    page.evaluate("window.__stillHere = true")
    page.fill("#track-search", favourite[:6])
    page.locator("#search-results button[name=add]").first.wait_for()
    page.locator("#search-results button[name=add]").first.click()
    page.locator("#favourites .pick").first.wait_for()
    page.locator(".suggestion button[name=add]").first.click()
    wait_until(page, "document.querySelectorAll('#favourites .pick').length === 2")
    assert no_page_load_since_marked(page) and page.locator("#search-results .pick").count() >= 1
    shoot(page, "02-wizard-song")
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

    # Play all: a demo preview really plays (its position moves on).
    page.click("#player [data-action=toggle]")
    wait_until(page, "document.querySelector('#player .player-audio').currentTime > 0.3")
    position = audio_time(page)
    page.wait_for_timeout(600)
    assert audio_time(page) > position
    assert first_list[0].startswith(page.locator("#player .player-title").inner_text())  # the first song, "New" aside
    shoot(page, "04-today")

    # Like the first song, dislike the second, without a page load (the music keeps playing).
    page.evaluate("window.__stillHere = true")
    page.locator(".today-card").nth(0).locator("button.like").click()
    page.locator(".today-card").nth(0).locator("button.like[aria-pressed=true]").wait_for()
    disliked = card_titles(page)[1]
    page.locator(".today-card").nth(1).locator("button.dislike").click()
    page.locator(".reaction-undo").wait_for()
    assert disliked not in card_titles(page) and no_page_load_since_marked(page)
    assert not page.evaluate("document.querySelector('#player .player-audio').paused")
    shoot(page, "05-today-after-like-and-dislike")
    page.click("#player [data-action=toggle]")  # pause

    # Another list: different songs, and the disliked one never comes back.
    page.click("button:has-text('Another list')")
    page.wait_for_url(re.compile(r"/today/$"))
    second_list = card_titles(page)
    assert second_list and second_list != first_list and disliked not in second_list
    shoot(page, "06-today-rerolled")

    # Situation search in Korean reaches the coding/study playlists; its cards play and take reactions too.
    page.goto(f"{site}/situation/")
    page.fill("input[name=q]", "코딩할 때 듣기 좋은 음악")
    page.click("button:has-text('Find songs')")
    page.wait_for_load_state()
    assert page.locator(".matched .chip").count() > 0 and page.locator(".track-card").count() >= 10
    assert page.locator(".track-card [data-play]").count() >= 10
    page.evaluate("window.__stillHere = true")
    page.locator(".track-card").nth(0).locator("button.like").click()
    page.locator(".track-card").nth(0).locator("button.like[aria-pressed=true]").wait_for()
    assert no_page_load_since_marked(page)
    shoot(page, "07-situation")

    # Playlist picks from the liked songs: a chart of cluster shares and new songs.
    page.goto(f"{site}/picks/")
    page.click("a:has-text('Songs you liked')")
    page.wait_for_load_state()
    assert page.locator(".cluster-chart li").count() >= 2 and page.locator(".track-card").count() > 0
    shoot(page, "08-playlist-picks")

    # Home plays the newest releases; the account page lists the liked songs.
    page.goto(f"{site}/")
    assert page.locator(".release [data-play]").count() >= 4
    shoot(page, "09-home")
    page.goto(f"{site}/accounts/profile/")
    assert page.locator(".liked-song").count() == 2
    shoot(page, "10-account")

    # Spotify is not configured on this server: its login URL is the site's own page, not an error.
    page.goto(f"{site}/accounts/spotify/login/")
    assert "Spotify is off on this server" in page.content()
    shoot(page, "11-spotify-off")

    # The same pages in Korean, switched from the header: no English left in what a listener reads.
    page.goto(f"{site}/today/")
    page.click(".language-form button[value=ko]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ko"
    assert english_left_on(page) == []
    shoot(page, "12-today-korean")
    for path, name in (("/situation/?q=비 오는 날", "13-situation-korean"), ("/", "14-home-korean"),
                       ("/accounts/profile/", "15-account-korean"), ("/taste/", "16-wizard-korean"),
                       ("/situation/?q=xyzzy", "13b-situation-no-match-korean"),
                       ("/picks/?source=liked", "13c-picks-korean")):
        page.goto(f"{site}{path}")
        assert english_left_on(page) == [], path
        shoot(page, name)

    # A phone-sized screen: no sideways scrolling.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{site}/today/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shoot(page, "17-today-phone")

    assert not [url for url in blocked if "open.spotify.com" not in url and "scdn.co" not in url], blocked
