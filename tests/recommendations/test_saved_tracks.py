"""The songs a listener saved on Spotify: read after a Spotify login (against the fake Spotify on 127.0.0.1), kept
like likes for collaborative filtering, left out of today's songs as songs they have, forgotten on disconnect."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from recommendations.models import SpotifySavedTrack
from recommendations.selectors import listener_rows, saved_track_ids
from recommendations.services.saved_tracks import saved_tracks_refresh
from tests.factories import fake_spotify_id
from tests.fake_spotify import FakeListener, FakeSpotify, Fault, Faults, small_catalog
from tests.fake_spotify.helpers import connect, spotify_connect
from tests.fake_spotify.server import CLIENT_ID, CLIENT_SECRET
from tests.filters.catalog import build_listener_catalog, train_recommenders
from tests.recommendations.test_today_service import make_listener, request_list, track_ids

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]

UNKNOWN = fake_spotify_id(9_000_001)  # saved on Spotify, not in our catalog


@pytest.fixture
def tracks():
    return build_listener_catalog()


@pytest.fixture
def spotify(settings, tracks):
    """A fake Spotify whose listener saved three catalog songs and one the catalog lacks."""
    listener = FakeListener(saved_track_ids=[tracks[5].spotify_id, tracks[6].spotify_id, UNKNOWN, tracks[7].spotify_id])
    with FakeSpotify(small_catalog(), listener=listener) as fake:
        connect(settings, fake)
        settings.SPOTIFY_BACKOFF_SECONDS = 0
        providers = {**settings.SOCIALACCOUNT_PROVIDERS}  # this server's Spotify app, for the connections page
        providers["spotify"] = {**providers["spotify"], "APPS": [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET}]}
        settings.SOCIALACCOUNT_PROVIDERS = providers
        yield fake


@pytest.fixture
def listener(spotify):
    user = User.objects.create_user("saver", password="saver-password-1")
    spotify_connect(user, spotify.listener)
    return user


def test_a_refresh_keeps_the_catalogs_saved_songs_and_a_second_one_follows_the_library(tracks, spotify, listener):
    assert saved_tracks_refresh(user_id=listener.pk) == 3
    assert saved_track_ids(user_id=listener.pk) == sorted([tracks[5].pk, tracks[6].pk, tracks[7].pk])

    spotify.listener.saved_track_ids = [tracks[6].spotify_id, tracks[8].spotify_id]  # un-saved 5 and 7, saved 8
    assert saved_tracks_refresh(user_id=listener.pk) == 2
    assert saved_track_ids(user_id=listener.pk) == sorted([tracks[6].pk, tracks[8].pk])
    assert SpotifySavedTrack.objects.count() == 2


def test_spotify_failing_keeps_what_was_read_before(tracks, spotify, listener):
    saved_tracks_refresh(user_id=listener.pk)
    spotify.faults = Faults([Fault("server_error", probability=1.0, path="/me/tracks")])

    assert saved_tracks_refresh(user_id=listener.pk) is None
    assert len(saved_track_ids(user_id=listener.pk)) == 3


def test_a_listener_without_spotify_is_left_alone(tracks, spotify):
    user = User.objects.create_user("local", password="pw")

    assert saved_tracks_refresh(user_id=user.pk) is None
    assert spotify.count("/me/tracks") == 0


def test_logging_in_reads_the_saved_songs_once_in_a_while(client, tracks, spotify, listener,
                                                          django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/accounts/login/", {"login": "saver", "password": "saver-password-1"})
        client.logout()

    assert len(saved_track_ids(user_id=listener.pk)) == 3
    assert spotify.count("/me/tracks") == 1  # the second login was within the refresh interval


def test_disconnecting_spotify_forgets_the_saved_songs(client, tracks, spotify, listener):
    saved_tracks_refresh(user_id=listener.pk)
    client.force_login(listener)
    account = listener.socialaccount_set.get(provider="spotify")

    client.post("/accounts/3rdparty/", {"account": account.pk})

    assert not listener.socialaccount_set.exists()
    assert saved_track_ids(user_id=listener.pk) == []


def test_saved_songs_count_like_likes_for_collaborative_filtering(tracks):
    user = make_listener()
    SpotifySavedTrack.objects.create(user=user, track=tracks[3])

    rows = listener_rows()

    assert [row.positive_ids for row in rows] == [[tracks[3].pk]]


def test_saved_songs_never_come_back_in_todays_songs(tracks, django_capture_on_commit_callbacks):
    train_recommenders()
    user = make_listener(favourites=[tracks[1]])
    first = track_ids(request_list(user, django_capture_on_commit_callbacks))
    for pk in first[:5]:
        SpotifySavedTrack.objects.create(user=user, track_id=pk)

    shown = set()
    for _ in range(3):
        shown |= set(track_ids(request_list(user, django_capture_on_commit_callbacks, reroll=True)))

    assert shown and not set(first[:5]) & shown
