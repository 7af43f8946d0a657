"""Preview lookup against fake Deezer and iTunes servers on 127.0.0.1: the real client code runs, no network."""
import datetime as dt

import pytest
from django.core.files.storage import default_storage

from ingestion.models import Track
from ingestion.previews.errors import PreviewDeferred
from ingestion.previews.http import PreviewHttp
from ingestion.services.changes import catalog_state
from ingestion.services.previews import (
    Outcome,
    PreviewLookupOff,
    fetch_preview,
    preview_lookup,
    preview_sources,
    previews_look_up,
)
from tests.factories import ArtistFactory, TrackFactory
from tests.fake_previews import FakePreviews, FakeSong, Fault, Faults
from tests.ingestion.sounds import tone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def waits(settings) -> list[float]:
    """The seconds the lookup would have slept (backoff and Retry-After), recorded instead of slept."""
    settings.PREVIEW_MAX_RETRIES, settings.PREVIEW_BACKOFF_SECONDS, settings.PREVIEW_MAX_RETRY_AFTER = 3, 0.5, 30
    return []


def sources_for(fake: FakePreviews, settings, waits: list[float], *names: str):
    settings.PREVIEW_SOURCES = list(names or ["deezer"])
    settings.DEEZER_API_URL, settings.ITUNES_API_URL = fake.deezer_url, fake.itunes_url
    http = PreviewHttp(timeout=settings.PREVIEW_TIMEOUT_SECONDS, max_retry_after=settings.PREVIEW_MAX_RETRY_AFTER,
                       max_retries=settings.PREVIEW_MAX_RETRIES, backoff_seconds=settings.PREVIEW_BACKOFF_SECONDS,
                       sleep=waits.append)
    return preview_sources(http=http)


def song_track(name="Hype Boy", artist="NewJeans", *, isrc="", seconds=200, **fields) -> Track:
    missing = {"features_source": Track.FeatureSource.MISSING, "danceability": None, "energy": None,
               "valence": None, "tempo": None, "acousticness": None}
    return TrackFactory(name=name, artists=[ArtistFactory(name=artist)], isrc=isrc, duration_ms=seconds * 1000,
                        **{**missing, **fields})


# --- finding the song ---


def test_deezer_is_asked_by_isrc_first_and_gives_the_mp3(settings, waits):
    track = song_track(isrc="USA2P2230001")
    with FakePreviews([FakeSong("뉴진스", "하입 보이", isrc="USA2P2230001")]) as fake:  # names in another script
        audio = fetch_preview(track, sources=sources_for(fake, settings, waits))

        assert fake.count("/deezer/track/isrc:USA2P2230001") == 1 and fake.count("search") == 0
    assert (audio.source, audio.mime, audio.extension) == ("deezer", "audio/mpeg", "mp3")
    assert audio.data == fake.songs[0].audio and audio.url == fake.audio_url(0)


def test_without_an_isrc_deezer_is_searched_by_artist_and_title(settings, waits):
    track = song_track("Ditto")
    songs = [FakeSong("NewJeans", "Ditto (250 ver.)", seconds=250), FakeSong("NewJeans", "Ditto", seconds=185)]
    track.duration_ms = 186_000
    track.save()
    with FakePreviews(songs) as fake:
        audio = fetch_preview(track, sources=sources_for(fake, settings, waits))

        assert 'artist:"NewJeans" track:"Ditto"' in fake.requests[0].replace("%22", '"').replace("+", " ").replace(
            "%3A", ":")
    assert audio.url == fake.audio_url(1)  # the 250 s version has the same title but is another recording


def test_an_unknown_isrc_falls_back_to_the_search(settings, waits):
    track = song_track(isrc="USA2P2239999")
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")]) as fake:
        audio = fetch_preview(track, sources=sources_for(fake, settings, waits))

    assert audio is not None and fake.count("isrc:") == 1 and fake.count("search") == 1


def test_another_artists_song_of_the_same_title_is_rejected(settings, waits):
    track = song_track("Love Story", "Taylor Swift")
    songs = [FakeSong("Taylor Swift Tribute Band", "Love Story"), FakeSong("Taylor Swift", "Love Story Remix Megamix")]
    with FakePreviews(songs) as fake:
        lookup = preview_lookup(track, sources=sources_for(fake, settings, waits))

        assert fake.count("/audio/") == 0  # nothing downloaded
    assert (lookup.audio, lookup.outcome) == (None, Outcome.MISMATCHED), lookup.details
    assert any("its artist is “Taylor Swift Tribute Band”" in d for d in lookup.details), lookup.details
    assert any("its title is" in d for d in lookup.details)


def test_a_song_of_another_length_is_another_recording(settings, waits):
    track = song_track(seconds=180)
    with FakePreviews([FakeSong("NewJeans", "Hype Boy", seconds=240)]) as fake:
        lookup = preview_lookup(track, sources=sources_for(fake, settings, waits))

    assert lookup.outcome == Outcome.MISMATCHED and "length differs by 60 s" in lookup.details[0]


def test_an_isrc_result_of_the_wrong_length_is_rejected_too(settings, waits):
    track = song_track(isrc="USA2P2230001", seconds=180)
    with FakePreviews([FakeSong("NewJeans", "Hype Boy", isrc="USA2P2230001", seconds=300)]) as fake:
        assert fetch_preview(track, sources=sources_for(fake, settings, waits)) is None


def test_a_preview_that_is_not_audio_is_rejected_and_the_next_source_asked(settings, waits):
    track = song_track()
    songs = [FakeSong("NewJeans", "Hype Boy", audio=b"<html>not found</html>" * 20, content_type="text/html")]
    with FakePreviews(songs) as fake:
        sources = sources_for(fake, settings, waits, "deezer", "itunes")
        lookup = preview_lookup(track, sources=sources)

        assert fake.count("/deezer/") == 1 and fake.count("/itunes/search") == 1
    assert lookup.outcome == Outcome.UNDECODABLE
    assert any("not usable audio" in d for d in lookup.details)


def test_itunes_is_asked_when_deezer_has_nothing(settings, waits):
    track = song_track("Seven", "Jung Kook")
    with FakePreviews([FakeSong("Jung Kook", "Seven (feat. Latto)", audio=tone(format="ogg"), extension="ogg",
                                content_type="audio/ogg")]) as fake:
        fake.deezer = lambda parts, query: {"data": [], "total": 0}
        audio = fetch_preview(track, sources=sources_for(fake, settings, waits, "deezer", "itunes"))

    assert (audio.source, audio.mime) == ("itunes", "audio/ogg")


# --- faults ---


def test_a_short_429_is_waited_out_and_the_lookup_goes_on(settings, waits):
    track = song_track()
    faults = Faults([Fault("rate_limit", on={1}, retry_after=3)])
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")], faults=faults) as fake:
        sources = sources_for(fake, settings, waits)
        audio = fetch_preview(track, sources=sources)

    assert audio is not None and waits == [3] and sources.http.stats.retries == 1


def test_deezers_quota_error_in_a_200_answer_is_a_rate_limit_too(settings, waits):
    track = song_track()
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")], faults=Faults([Fault("quota", on={1})])) as fake:
        audio = fetch_preview(track, sources=sources_for(fake, settings, waits))

    assert audio is not None and waits == [5]


def test_a_long_429_defers_instead_of_blocking(settings, waits):
    track = song_track()
    faults = Faults([Fault("rate_limit", on={1}, retry_after=3600)])
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")], faults=faults) as fake:
        sources = sources_for(fake, settings, waits)
        with pytest.raises(PreviewDeferred) as deferred:
            fetch_preview(track, sources=sources)

        assert fake.count("/deezer/") == 1
    assert waits == [] and deferred.value.until > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=59)


def test_5xx_are_retried_with_growing_backoff(settings, waits):
    track = song_track()
    faults = Faults([Fault("server_error", on={1, 2}), Fault("malformed", on={3})])
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")], faults=faults) as fake:
        audio = fetch_preview(track, sources=sources_for(fake, settings, waits))

    assert audio is not None and waits == [0.5, 1.0, 2.0]


def test_a_source_that_keeps_failing_is_given_up_for_that_track_and_the_next_source_asked(settings, waits):
    track = song_track()
    faults = Faults([Fault("server_error", path="/deezer/", probability=1.0)])
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")], faults=faults) as fake:
        lookup = preview_lookup(track, sources=sources_for(fake, settings, waits, "deezer", "itunes"))

        assert fake.count("/deezer/") == 4  # the first try and 3 retries
    assert lookup.audio.source == "itunes" and "503" in lookup.details[0]


def test_a_preview_cut_short_is_fetched_again(settings, waits):
    track = song_track()
    faults = Faults([Fault("cut", path="/audio/", probability=1.0, times=1)])
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")], faults=faults) as fake:
        audio = fetch_preview(track, sources=sources_for(fake, settings, waits))

        assert fake.count("/audio/") == 2
    assert audio.data == fake.songs[0].audio


def test_a_slow_source_times_out_and_counts_as_unavailable(settings, waits):
    settings.PREVIEW_TIMEOUT_SECONDS, settings.PREVIEW_MAX_RETRIES = 1, 1
    track = song_track()
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")], faults=Faults([Fault("slow", probability=1.0)])) as fake:
        lookup = preview_lookup(track, sources=sources_for(fake, settings, waits))

    assert lookup.outcome == Outcome.UNAVAILABLE and "ReadTimeout" in lookup.details[0]


def test_a_preview_bigger_than_the_limit_is_refused(settings, waits):
    settings.PREVIEW_MAX_BYTES = 1000
    track = song_track()
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")]) as fake:
        lookup = preview_lookup(track, sources=sources_for(fake, settings, waits))

    assert lookup.outcome == Outcome.UNDECODABLE and "audio files up to 1000" in lookup.details[0]


# --- off by default ---


def test_lookup_is_off_unless_sources_are_configured(settings):
    assert settings.PREVIEW_SOURCES == []
    track = song_track()

    assert fetch_preview(track) is None
    with pytest.raises(PreviewLookupOff, match="set PREVIEW_SOURCES"):
        previews_look_up()


# --- the lookup run: links stored, files discarded or kept ---


def test_the_run_stores_links_for_tracks_without_real_features_and_discards_the_audio(settings, waits):
    song_track()
    song_track("Ditto", features_source=Track.FeatureSource.ESTIMATED, danceability=0.5, energy=0.5, valence=0.5)
    real = TrackFactory(name="Attention", artists=[ArtistFactory(name="NewJeans")])  # imported features
    songs = [FakeSong("NewJeans", "Hype Boy"), FakeSong("NewJeans", "Ditto"), FakeSong("NewJeans", "Attention")]
    before = catalog_state().change_count
    with FakePreviews(songs) as fake:
        summary = previews_look_up(sources=sources_for(fake, settings, waits))

    assert (summary.tracks, summary.outcomes[Outcome.FOUND], summary.kept_files) == (2, 2, 0)
    links = dict(Track.objects.values_list("name", "preview_url"))
    assert links == {"Hype Boy": fake.audio_url(0), "Ditto": fake.audio_url(1), "Attention": ""}
    assert not Track.objects.exclude(audio_file="").exists()
    assert catalog_state().change_count == before + 1
    real.refresh_from_db()
    assert real.preview_url == ""


def test_with_keep_files_the_preview_becomes_the_tracks_audio_file(settings, waits):
    settings.PREVIEW_KEEP_FILES = True
    track = song_track()
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")]) as fake:
        summary = previews_look_up(sources=sources_for(fake, settings, waits))

    track.refresh_from_db()
    assert summary.kept_files == 1
    assert track.audio_file.name.startswith("audio/previews/") and track.audio_file.name.endswith(".mp3")
    assert default_storage.open(track.audio_file.name).read() == fake.songs[0].audio


def test_a_second_run_asks_nothing_for_tracks_that_got_a_link(settings, waits):
    song_track()
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")]) as fake:
        previews_look_up(sources=sources_for(fake, settings, waits))
        asked = len(fake.requests)
        again = previews_look_up(sources=sources_for(fake, settings, waits))

        assert len(fake.requests) == asked
    assert again.tracks == 0


def test_a_long_rate_limit_stops_the_run_and_says_how_many_are_left(settings, waits):
    for n in range(3):
        song_track(f"Song {n}")
    faults = Faults([Fault("rate_limit", on={3}, retry_after=7200)])
    songs = [FakeSong("NewJeans", f"Song {n}") for n in range(3)]
    with FakePreviews(songs, faults=faults) as fake:
        summary = previews_look_up(sources=sources_for(fake, settings, waits))

    assert summary.outcomes[Outcome.FOUND] == 1 and summary.outcomes[Outcome.DEFERRED] == 1 and summary.left == 1
    assert summary.deferred_until is not None and "1 tracks left for later" in str(summary)
    assert Track.objects.exclude(preview_url="").count() == 1
