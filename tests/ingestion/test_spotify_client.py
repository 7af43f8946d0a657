"""The spotipy-based client against the fake Spotify: waits, deferrals, retries, refusals, ids."""
import logging

import pytest

from ingestion.spotify import (
    SpotifyDeferred,
    SpotifyRefused,
    SpotifyRequestFailed,
    SpotifyUnavailable,
    spotify_client_for_token,
)
from ingestion.spotify.records import playlist_id_from
from tests.fake_spotify import FakeSpotify, Fault, Faults, small_catalog
from tests.fake_spotify.helpers import Waits, connect, recording_client
from tests.fake_spotify.server import TOKEN

CATALOG = small_catalog()
TRACKS = list(CATALOG.tracks)
PLAYLIST = next(iter(CATALOG.playlists))


@pytest.fixture
def fake(settings):
    with FakeSpotify(small_catalog(), page_limit=7) as server:
        connect(settings, server)
        yield server


def test_pages_follow_next_urls_back_to_the_server(fake):
    client = recording_client()
    page = client.playlist_items(PLAYLIST)
    ids = []
    while page is not None:
        ids += [item["track"]["id"] for item in page["items"]]
        page = client.next_page(page)

    assert ids == CATALOG.playlists[PLAYLIST]["track_ids"]
    assert fake.count("/items") == 3


def test_short_retry_after_is_waited_out(fake):
    fake.faults = Faults([Fault("rate_limit", on={1, 2}, retry_after=5)])
    waits = Waits()

    found = recording_client(waits).tracks(TRACKS[:3])

    assert [t["id"] for t in found] == TRACKS[:3]
    assert waits == [5, 5]


def test_long_retry_after_raises_deferred_without_waiting(fake):
    fake.faults = Faults([Fault("rate_limit", on={1}, retry_after=3600)])
    waits = Waits()

    with pytest.raises(SpotifyDeferred) as deferred:
        recording_client(waits).tracks(TRACKS[:3])

    assert waits == []
    assert deferred.value.until is not None


@pytest.mark.parametrize("kind", ["server_error", "malformed", "truncated", "cut"])
def test_transient_faults_are_retried_with_growing_backoff(fake, settings, kind):
    settings.SPOTIFY_BACKOFF_SECONDS = 0.5
    fake.faults = Faults([Fault(kind, on={1, 2, 3})])
    waits = Waits()

    found = recording_client(waits).artists([next(iter(CATALOG.artists))])

    assert found[0]["name"] == "Fake Artist 0"
    assert waits == [0.5, 1.0, 2.0]


def test_faults_past_the_retries_are_logged_with_the_request_but_no_token(fake, caplog):
    fake.faults = Faults([Fault("malformed", probability=1.0)])

    with caplog.at_level(logging.WARNING, logger="ingestion.spotify.client"), pytest.raises(SpotifyUnavailable):
        recording_client().audio_features(TRACKS[:2])

    assert fake.count("/audio-features") == 4  # the first try and 3 retries
    assert f"GET {fake.api_url}audio-features?ids={TRACKS[0]}" in caplog.text
    assert TOKEN not in caplog.text


def test_development_mode_refusal_is_told_apart(settings):
    with FakeSpotify(small_catalog(), restricted=True) as fake:
        connect(settings, fake)
        with pytest.raises(SpotifyRefused) as refused:
            recording_client().audio_features(TRACKS[:2])

    assert refused.value.status == 403


def test_wrong_credentials_fail_with_a_message_naming_the_settings(fake, settings):
    settings.SPOTIFY_CLIENT_SECRET = "wrong"

    with pytest.raises(SpotifyRequestFailed, match="SPOTIFY_CLIENT_SECRET"):
        recording_client().track(TRACKS[0])


def test_user_token_client_reads_with_the_given_token(fake):
    assert spotify_client_for_token(TOKEN, sleep=Waits()).track(TRACKS[0])["id"] == TRACKS[0]
    with pytest.raises(SpotifyRequestFailed):
        spotify_client_for_token("expired", sleep=Waits()).track(TRACKS[0])


@pytest.mark.parametrize(
    "reference",
    [
        "37i9dQZF1DXcBWIGoYBM5M",
        " https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M?si=1a2b3c ",
        "https://open.spotify.com/intl-ko/playlist/37i9dQZF1DXcBWIGoYBM5M",
        "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M",
        "spotify:user:someone:playlist:37i9dQZF1DXcBWIGoYBM5M",
    ],
)
def test_playlist_references_give_the_id(reference):
    assert playlist_id_from(reference) == "37i9dQZF1DXcBWIGoYBM5M"


@pytest.mark.parametrize(
    "reference", ["", "37i9dQZF1DXc", "https://open.spotify.com/album/37i9dQZF1DXcBWIGoYBM5M", "spotify:track:x"]
)
def test_other_references_are_refused_with_what_to_give(reference):
    with pytest.raises(ValueError, match="give its id"):
        playlist_id_from(reference)
