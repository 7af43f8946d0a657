"""Playlist picks from the listener's own Spotify (saved tracks, playlists), against the fake Spotify on 127.0.0.1:
the real client runs with the listener's token, and what goes wrong is told as it is (busy, revoked, gone)."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from recommendations.services.training import recommender_train
from tests.factories import fake_spotify_id
from tests.fake_spotify import FakeListener, FakeSpotify, Fault, Faults, small_catalog
from tests.fake_spotify.helpers import connect, spotify_connect
from tests.recommendations.catalogs import build_small_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]

DRIVE = "37i9dQZF1DXcBWIGoYBM5M"
UNKNOWN = fake_spotify_id(9_000_000)  # a song Spotify has and our catalog does not


@pytest.fixture
def catalog():
    tracks = build_small_catalog()
    recommender_train(engine="clusters")
    return tracks


@pytest.fixture
def spotify(settings, client, catalog):
    """A listener logged in with Spotify, whose account saves two rock songs and has a "Drive" playlist of jazz."""
    listener = FakeListener(
        saved_track_ids=[catalog["rock_1"].spotify_id, catalog["rock_2"].spotify_id],
        playlists={DRIVE: {"name": "Drive", "track_ids": [catalog["jazz_1"].spotify_id, UNKNOWN]}},
    )
    with FakeSpotify(small_catalog(), listener=listener) as fake:
        connect(settings, fake)
        settings.SPOTIFY_BACKOFF_SECONDS = 0
        user = User.objects.create_user("listener", password="pw")
        spotify_connect(user, listener)
        client.force_login(user)
        yield fake


def test_the_listeners_spotify_sources_are_offered(client, spotify):
    page = client.get("/picks/").content.decode()

    assert "Your saved tracks on Spotify" in page and "Drive" in page
    assert f"?source=spotify%3A{DRIVE}" in page or f"?source=spotify:{DRIVE}" in page


def test_a_spotify_playlist_gives_new_songs_and_counts_what_the_catalog_lacks(client, spotify):
    page = client.get("/picks/", {"source": f"spotify:{DRIVE}"}).content.decode()

    assert "New songs for “Drive”" in page
    assert "1 of its 2 songs is not in our catalog yet and was left out." in page


def test_saved_tracks_are_read_as_a_source(client, spotify):
    page = client.get("/picks/", {"source": "spotify-saved"}).content.decode()

    assert "New songs for “Your saved tracks on Spotify”" in page


def test_spotify_busy_for_long_says_when_to_try_again(client, spotify):
    spotify.faults = Faults([Fault("rate_limit", probability=1.0, path="/playlists/", retry_after=120)])

    page = client.get("/picks/", {"source": f"spotify:{DRIVE}"}).content.decode()

    assert "Spotify is busy. Please try again in 2 minutes." in page


def test_spotify_down_is_retried_once_then_said(client, spotify):
    spotify.faults = Faults([Fault("server_error", probability=1.0, path="/playlists/")])

    page = client.get("/picks/", {"source": f"spotify:{DRIVE}"}).content.decode()

    assert "Spotify did not answer; try again in a minute." in page
    assert spotify.count(f"/playlists/{DRIVE}") == 2  # the first try and one retry: a web request stays short


def test_a_revoked_login_says_to_log_in_with_spotify_again(client, spotify):
    spotify.listener.token = "revoked"

    page = client.get("/picks/", {"source": "spotify-saved"}).content.decode()

    assert "log in with Spotify again" in page


def test_a_playlist_gone_from_spotify_says_so(client, spotify):
    page = client.get("/picks/", {"source": f"spotify:{fake_spotify_id(8_000_000)}"}).content.decode()

    assert "That playlist is not on Spotify any more, or it is not yours." in page


def test_spotify_failing_while_listing_leaves_the_other_sources(client, spotify):
    spotify.faults = Faults([Fault("server_error", probability=1.0, path="/me/")])

    response = client.get("/picks/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Songs you liked" in page and "Your saved tracks on Spotify" not in page
