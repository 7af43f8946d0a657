"""The player in a real browser: a preview really plays, and every song that cannot play says why in words.

Today's list is made directly in the database (no training), so this test is quick. Spotify's hosts are blocked,
as they are for a listener without a connection to Spotify.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from filters.models import TasteProfile
from recommendations.models import TodayEntry, TodayList
from tests.audio import click_track_wav
from tests.e2e.browser import audio_time, log_in, shoot, wait_until
from tests.factories import AlbumFactory, TrackFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def todays_songs(settings, tmp_path, live_server):
    """A listener whose list holds: a broken preview, a playable one, a Spotify-only song, a demo song without audio."""
    settings.MEDIA_ROOT = tmp_path / "media"
    user = get_user_model().objects.create_user("player", password="player-password")
    TasteProfile.objects.create(user=user, completed_at=timezone.now())
    album = AlbumFactory(release_date=timezone.localdate() - dt.timedelta(days=3))
    broken = TrackFactory(name="Broken Preview", album=album, spotify_id=None,
                          preview_url=f"{live_server.url}/media/audio/missing.mp3")
    playable = TrackFactory(name="Real Preview", album=album, spotify_id=None)
    playable.audio_file.save("preview.wav", ContentFile(click_track_wav(seconds=6)), save=True)
    on_spotify = TrackFactory(name="Only On Spotify", album=album)
    silent = TrackFactory(name="Silent Demo", album=album, spotify_id=None, is_demo=True)
    today_list = TodayList.objects.create(user=user, day=timezone.localdate(), status=TodayList.Status.READY)
    for position, track in enumerate([broken, playable, on_spotify, silent], start=1):
        TodayEntry.objects.create(today_list=today_list, position=position, track=track, score=1.0, engine="content")
    return playable.pk


def card(page, title: str):
    return page.locator(".today-card", has_text=title)


def test_play_all_skips_a_broken_preview_and_plays_the_next(todays_songs, browser_page):
    page, site, blocked = browser_page
    log_in(page, site, "player", "player-password")
    page.goto(f"{site}/today/")

    assert page.locator("#player").is_visible()
    page.click("#player [data-action=toggle]")

    wait_until(page, "document.querySelector('#player .player-audio').currentTime > 0.5")
    assert "Real Preview" in page.locator("#player .player-title").inner_text()
    assert "could not be loaded" in card(page, "Broken Preview").inner_text()
    assert card(page, "Real Preview").locator("[data-play][aria-pressed=true]").count() == 1
    before = audio_time(page)
    page.wait_for_timeout(700)
    assert audio_time(page) > before  # really playing, not just started

    page.click("#player [data-action=toggle]")  # pause
    # `paused` turns true at once, but the label follows the audio element's "pause" event, which comes later
    # (once it came after the assertion under CI's load): wait for what the listener sees.
    wait_until(page, "document.querySelector('#player .player-audio').paused")
    wait_until(page, "/Play/.test(document.querySelector('#player [data-action=toggle]').innerText)")
    shoot(page, "20-player-playing")


def test_songs_that_cannot_play_say_so_in_words(todays_songs, browser_page):
    page, site, blocked = browser_page
    log_in(page, site, "player", "player-password")
    page.goto(f"{site}/today/")

    spotify = card(page, "Only On Spotify")
    spotify.locator("[data-embed]").click()
    spotify.get_by_text("could not load").wait_for()
    assert spotify.locator("iframe").count() == 0  # never an empty box
    assert "no preview" in card(page, "Silent Demo").inner_text()
    assert any("open.spotify.com" in url for url in blocked)
    shoot(page, "21-player-cannot-play")
