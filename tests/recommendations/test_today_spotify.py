"""Saving today's songs as a Spotify playlist, against the fake Spotify on 127.0.0.1 (the real spotipy runs)."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from filters.models import TasteProfile
from ingestion.models import Track
from recommendations.models import TodayList
from tests.fake_spotify import FakeListener, FakeSpotify, Fault, Faults, small_catalog
from tests.fake_spotify.helpers import connect, spotify_connect
from tests.filters.catalog import build_listener_catalog, train_recommenders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]


@pytest.fixture
def ready(client, django_capture_on_commit_callbacks) -> TodayList:
    build_listener_catalog(size=40)
    train_recommenders()
    user = User.objects.create_user("listener", password="pw")
    TasteProfile.objects.create(user=user, mood="bright", completed_at=timezone.now())
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/today/loading/")
    return TodayList.objects.get(user=user)


@pytest.fixture
def fake_spotify(settings, ready):
    """Starts a fake Spotify and logs the listener in with Spotify there; returns their fake account."""
    servers: list[FakeSpotify] = []

    def start(*, refuse: bool = False, faults: Faults | None = None) -> FakeListener:
        listener = FakeListener(refuse_writes=refuse)
        servers.append(FakeSpotify(small_catalog(), listener=listener, faults=faults).start())
        connect(settings, servers[-1])
        spotify_connect(ready.user, listener)
        return listener

    yield start
    for server in servers:
        server.stop()


def test_saving_creates_a_private_playlist_with_the_songs_on_spotify(client, ready, fake_spotify):
    fake = fake_spotify()
    demo = ready.entries.order_by("position").first().track
    Track.objects.filter(pk=demo.pk).update(spotify_id=None)

    response = client.post("/today/save-playlist/", follow=True)

    page = response.content.decode()
    assert "Saved to your Spotify as a private playlist." in page
    assert 'href="https://open.spotify.com/playlist/pl1"' in page
    assert fake.created[0]["public"] is False and fake.created[0]["name"].startswith("오늘의 노래 · ")
    expected = [
        f"spotify:track:{spotify_id}"
        for spotify_id in ready.entries.order_by("position").values_list("track__spotify_id", flat=True)
        if spotify_id
    ]
    assert fake.added == expected and len(expected) == 19


def test_spotify_refusing_is_a_message_not_an_error_page(client, ready, fake_spotify):
    fake_spotify(refuse=True)

    response = client.post("/today/save-playlist/", follow=True)

    assert response.status_code == 200
    assert "Spotify did not accept the playlist. Please try again later." in response.content.decode()


def test_without_a_spotify_login_saving_says_what_to_do(client, ready):
    response = client.post("/today/save-playlist/", follow=True)

    assert "Log in with Spotify to save playlists to your Spotify account." in response.content.decode()


def test_demo_songs_cannot_be_saved(client, ready, fake_spotify):
    fake = fake_spotify()
    Track.objects.update(spotify_id=None)

    response = client.post("/today/save-playlist/", follow=True)

    assert "None of these songs is on Spotify (demo songs)" in response.content.decode()
    assert fake.created == []


def test_spotify_busy_for_long_says_when_to_try_again(client, ready, fake_spotify):
    fake = fake_spotify(faults=Faults([Fault("rate_limit", on={1}, retry_after=600)]))

    response = client.post("/today/save-playlist/", follow=True)

    assert "Spotify is busy. Please try again in 10 minutes." in response.content.decode()
    assert fake.created == []


def test_a_short_rate_limit_is_waited_out_and_the_playlist_saved(client, ready, fake_spotify, settings):
    settings.SPOTIFY_BACKOFF_SECONDS = 0
    fake = fake_spotify(faults=Faults([Fault("rate_limit", on={1}, retry_after=0)]))

    response = client.post("/today/save-playlist/", follow=True)

    assert "Saved to your Spotify as a private playlist." in response.content.decode()
    assert len(fake.created) == 1


def test_a_revoked_spotify_login_says_to_log_in_again(client, ready, fake_spotify):
    fake = fake_spotify()
    fake.token = "revoked"  # Spotify no longer accepts the stored token

    response = client.post("/today/save-playlist/", follow=True)

    assert "log in with Spotify again" in response.content.decode()


def test_spotify_failing_while_creating_is_not_retried_into_two_playlists(client, ready, fake_spotify, settings):
    settings.SPOTIFY_BACKOFF_SECONDS = 0
    fake = fake_spotify(faults=Faults([Fault("server_error", probability=1.0, path="/me/playlists", times=1)]))

    response = client.post("/today/save-playlist/", follow=True)

    assert "Spotify did not answer; try again in a minute." in response.content.decode()
    assert fake.created == []  # the failed POST made nothing, and it was not sent again
