"""The daily new-release crawl: new albums and their tracks, with fallbacks for development-mode apps."""
import json

import pytest
from django.core.management import call_command

from ingestion.models import Album, Artist, CrawlRun, Track
from ingestion.services.crawls import crawl_new_releases
from ingestion.tasks import crawl_new_releases_task
from tests.factories import ArtistFactory, TrackFactory
from tests.fake_spotify import FakeSpotify, Fault, Faults, small_catalog
from tests.fake_spotify.helpers import Killed, catalog_snapshot, client_killed_after, connect, recording_client

pytestmark = pytest.mark.django_db

NEW_ALBUMS = small_catalog().new_releases


@pytest.fixture
def fake(settings):
    with FakeSpotify(small_catalog(), page_limit=3) as server:
        connect(settings, server)
        yield server


@pytest.fixture
def dev_mode_fake(settings):
    with FakeSpotify(small_catalog(), page_limit=3, restricted=True) as server:
        connect(settings, server)
        yield server


def new_release_tracks(fake: FakeSpotify) -> set[str]:
    return {t for album in fake.catalog.new_releases for t in fake.catalog.album_track_ids(album)}


def without_features(snapshot: dict) -> dict:
    """The snapshot with Spotify-only values blanked: features, popularity, followers."""
    return {
        "artists": sorted((a[0], a[1], a[4], a[5]) for a in snapshot["artists"]),
        "albums": snapshot["albums"],
        "tracks": sorted((t[:5] + t[13:]) for t in snapshot["tracks"]),
    }


def test_crawl_stores_new_albums_with_all_their_tracks_once(fake):
    run = crawl_new_releases(client=recording_client())

    assert run.status == CrawlRun.Status.SUCCEEDED, run.errors
    assert set(Track.objects.values_list("spotify_id", flat=True)) == new_release_tracks(fake)
    assert Track.objects.count() == 20
    assert set(Album.objects.values_list("spotify_id", flat=True)) == set(NEW_ALBUMS)
    assert Track.objects.filter(features_source=Track.FeatureSource.SPOTIFY).count() == 20
    assert Track.objects.filter(popularity__isnull=False).count() == 20  # from the full track lookups
    assert Artist.objects.get(name="Fake Artist 0").genres.count() == 2


def test_limit_bounds_the_albums_read(fake):
    crawl_new_releases(limit=2, client=recording_client())

    assert set(Album.objects.values_list("spotify_id", flat=True)) == set(NEW_ALBUMS[:2])


def test_crawl_through_faults_ends_with_the_clean_catalog(fake):
    crawl_new_releases(client=recording_client())
    clean = catalog_snapshot()
    Track.objects.all().delete(), Album.objects.all().delete(), Artist.objects.all().delete()
    fake.faults = Faults([
        Fault("rate_limit", on={1, 5}, retry_after=3),
        Fault("server_error", on={2, 3}),
        Fault("truncated", on={6}),
        Fault("malformed", on={8}),
        Fault("cut", on={10}),
    ])

    run = crawl_new_releases(client=recording_client())

    assert run.status == CrawlRun.Status.SUCCEEDED, run.errors
    assert catalog_snapshot() == clean


def test_second_run_skips_complete_albums_and_changes_nothing(fake):
    crawl_new_releases(client=recording_client())
    before = catalog_snapshot()
    fake.requests.clear()

    run = crawl_new_releases(client=recording_client())

    assert catalog_snapshot() == before
    assert run.counts["tracks"]["created"] == run.counts["tracks"]["updated"] == 0
    assert [r for r in fake.requests if "/new-releases" not in r] == []  # no album, track or artist asked again


def test_development_mode_gives_the_same_catalog_minus_spotify_features(fake, settings):
    crawl_new_releases(client=recording_client())
    full = without_features(catalog_snapshot())
    Track.objects.all().delete(), Album.objects.all().delete(), Artist.objects.all().delete()

    with FakeSpotify(small_catalog(), page_limit=3, restricted=True) as restricted:
        connect(settings, restricted)
        run = crawl_new_releases(client=recording_client())

    assert run.status == CrawlRun.Status.SUCCEEDED, run.errors
    assert set(run.counts["refused_endpoints"]) == {"new_releases", "tracks", "artists", "audio_features"}
    assert restricted.count("/search") >= 2  # tag:new, 3 per page here
    assert without_features(catalog_snapshot()) == full
    assert not Track.objects.filter(features_source=Track.FeatureSource.SPOTIFY).exists()
    assert Track.objects.filter(popularity__isnull=False).count() == 0


def test_refused_features_are_estimated_from_same_artist_tracks_and_marked(dev_mode_fake):
    artist_id = dev_mode_fake.catalog.albums[NEW_ALBUMS[0]]["artist_ids"][0]
    artist = ArtistFactory(spotify_id=artist_id, name="Fake Artist 3")
    TrackFactory(artists=[artist], album=None, danceability=0.2, energy=0.9, valence=0.4, tempo=100.0)
    TrackFactory(artists=[artist], album=None, danceability=0.4, energy=0.7, valence=0.6, tempo=140.0)

    run = crawl_new_releases(limit=1, client=recording_client())

    crawled = Track.objects.filter(album__spotify_id=NEW_ALBUMS[0])
    assert run.counts["features_estimated"] == crawled.count() == 5
    for track in crawled:
        assert track.features_source == Track.FeatureSource.ESTIMATED
        assert (track.danceability, track.energy, track.valence, track.tempo) == pytest.approx((0.3, 0.8, 0.5, 120))


def test_refused_features_fall_back_to_tracks_sharing_a_genre(dev_mode_fake):
    TrackFactory(artists=[ArtistFactory(genres=["k-pop"])], danceability=0.8, energy=0.6, valence=0.7)

    crawl_new_releases(limit=4, client=recording_client())

    by_kpop_artist = Track.objects.filter(album__spotify_id=NEW_ALBUMS[2], artists__name="Fake Artist 1").first()
    assert by_kpop_artist.features_source == Track.FeatureSource.ESTIMATED
    assert by_kpop_artist.danceability == pytest.approx(0.8)


def test_without_neighbours_features_stay_missing(dev_mode_fake):
    crawl_new_releases(client=recording_client())

    assert Track.objects.count() == 20
    assert set(Track.objects.values_list("features_source", flat=True)) == {Track.FeatureSource.MISSING}


def test_album_tracks_that_keep_failing_are_refetched_by_the_next_run(fake):
    fake.faults = Faults([Fault("server_error", path="/tracks", probability=1.0, times=4)])
    first = crawl_new_releases(client=recording_client())
    assert first.status == CrawlRun.Status.PARTIAL
    assert first.gaps["albums"] == [NEW_ALBUMS[0]]
    fake.faults = Faults()

    second = crawl_new_releases(client=recording_client())

    assert second.status == CrawlRun.Status.SUCCEEDED, second.errors
    assert second.gaps == {}
    assert set(Track.objects.values_list("spotify_id", flat=True)) == new_release_tracks(fake)


def test_interrupted_crawl_run_again_ends_with_the_uninterrupted_catalog(fake):
    crawl_new_releases(limit=2, client=recording_client())
    expected = catalog_snapshot()
    responses = len(fake.requests) + 1  # the token, then every API request
    for killed_at in range(1, responses):
        for model in (Track, Album, Artist, CrawlRun):
            model.objects.all().delete()
        with pytest.raises(Killed):
            crawl_new_releases(limit=2, client=client_killed_after(killed_at))

        crawl_new_releases(limit=2, client=recording_client())

        assert catalog_snapshot() == expected, f"killed after response {killed_at}"


def test_long_retry_after_defers_the_task_run(fake):
    fake.faults = Faults([Fault("rate_limit", on={2}, retry_after=3600)])

    status = crawl_new_releases_task.delay().get()

    run = CrawlRun.objects.get()
    assert run.status == CrawlRun.Status.DEFERRED and run.deferred_until is not None
    assert run.resume_at == run.deferred_until  # waits in the database for beat, not in a broker ETA
    assert f"crawl run {run.pk}: deferred, resumed by beat after {run.resume_at.isoformat()}" == status


def test_command_prints_json(fake, capsys):
    call_command("crawl_new_releases", "--limit", "1", "--json")

    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "succeeded"
    assert summary["counts"]["tracks"]["created"] == 5
