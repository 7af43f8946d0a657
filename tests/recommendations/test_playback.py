"""Which player each song gets, the site's own audio endpoint, and the player on every page that lists songs."""
import pytest
from django.core.files.base import ContentFile

from recommendations.playback import PlaybackKind, playback_for
from tests.audio import click_track_wav
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def with_audio(**fields):
    track = TrackFactory(**fields)
    track.audio_file.save("song.wav", ContentFile(click_track_wav(seconds=1)), save=True)
    return track


@pytest.mark.parametrize(
    ("fields", "sdk", "kind"),
    [
        ({}, True, PlaybackKind.SDK),  # Premium and on Spotify: the full song through the SDK
        ({}, False, PlaybackKind.EMBED),
        ({"preview_url": "https://cdn.example/p.mp3"}, False, PlaybackKind.AUDIO),  # own audio beats the embed
        ({"preview_url": "https://cdn.example/p.mp3", "spotify_id": None}, True, PlaybackKind.AUDIO),
        ({"spotify_id": None}, True, PlaybackKind.NONE),
        ({"spotify_id": None}, False, PlaybackKind.NONE),
    ],
)
def test_each_track_gets_the_best_player_this_listener_can_use(fields, sdk, kind):
    assert playback_for(TrackFactory(**fields), sdk=sdk).kind == kind


def test_an_uploaded_file_is_preferred_to_a_preview_url_and_kept_as_the_sdks_fallback(media):
    track = with_audio(preview_url="https://cdn.example/p.mp3")

    assert playback_for(track, sdk=False).audio_url == f"/tracks/{track.pk}/audio/"
    premium = playback_for(track, sdk=True)
    assert premium.kind == PlaybackKind.SDK and premium.audio_url == f"/tracks/{track.pk}/audio/"


def test_the_audio_endpoint_streams_the_stored_file(client, media):
    track = with_audio()

    response = client.get(f"/tracks/{track.pk}/audio/")

    assert response.status_code == 200 and response["Content-Type"] == "audio/x-wav"
    assert b"".join(response.streaming_content)[:4] == b"RIFF"


def audio_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_audio_endpoint_says_it_accepts_byte_ranges(client, media):
    track = with_audio()

    response = client.get(f"/tracks/{track.pk}/audio/")

    assert response["Accept-Ranges"] == "bytes"
    assert int(response["Content-Length"]) == track.audio_file.size


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, None),  # to the end (what a browser asks when it seeks)
        ("bytes=-50", -50, None),  # the last 50 bytes
        ("bytes=10-999999999", 10, None),  # an end past the file is the file's end
    ],
)
def test_a_range_request_gets_that_part_with_206_and_content_range(client, media, header, first, last):
    track = with_audio()
    whole = track.audio_file.open("rb").read()
    size = len(whole)
    start = size + first if first < 0 else first
    end = size - 1 if last is None else last

    response = client.get(f"/tracks/{track.pk}/audio/", HTTP_RANGE=header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "audio/x-wav"
    assert audio_bytes(response) == whole[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=50-10", "bytes=-0"])
def test_a_range_the_file_does_not_have_is_416_naming_the_size(client, media, header):
    track = with_audio()

    response = client.get(f"/tracks/{track.pk}/audio/", HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{track.audio_file.size}"


@pytest.mark.parametrize("header", ["items=0-10", "bytes=0-10,20-30", "bytes=abc", "bytes=-"])
def test_a_range_header_that_is_not_one_byte_range_gets_the_whole_file(client, media, header):
    track = with_audio()

    response = client.get(f"/tracks/{track.pk}/audio/", HTTP_RANGE=header)

    assert response.status_code == 200
    assert audio_bytes(response) == track.audio_file.open("rb").read()


def test_a_head_request_answers_without_the_body(client, media):
    track = with_audio()

    response = client.head(f"/tracks/{track.pk}/audio/")

    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"


def test_the_audio_endpoint_is_404_for_hidden_tracks_missing_files_and_tracks_without_audio(client, media):
    hidden = with_audio(is_hidden=True)
    gone = with_audio()
    gone.audio_file.storage.delete(gone.audio_file.name)

    assert client.get(f"/tracks/{hidden.pk}/audio/").status_code == 404
    assert client.get(f"/tracks/{gone.pk}/audio/").status_code == 404
    assert client.get(f"/tracks/{TrackFactory().pk}/audio/").status_code == 404


def test_home_plays_the_newest_releases(client, media):
    track = with_audio(name="Fresh Single")

    page = client.get("/").content.decode()

    assert 'id="player"' in page and f'data-audio-url="/tracks/{track.pk}/audio/"' in page
    assert 'data-title="Fresh Single"' in page
