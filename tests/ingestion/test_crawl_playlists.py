"""The playlist crawler against the fake Spotify: every page, every item once, faults survived, gaps refilled."""
import json
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from ingestion.models import Album, Artist, CrawlRun, Playlist, Track
from ingestion.services.crawls import crawl_playlists
from tests.fake_spotify import FakeSpotify, Fault, Faults, small_catalog
from tests.fake_spotify.helpers import Killed, Waits, catalog_snapshot, client_killed_after, connect, recording_client

pytestmark = pytest.mark.django_db

CATALOG = small_catalog()
PLAYLISTS = list(CATALOG.playlists)


@pytest.fixture
def fake(settings):
    with FakeSpotify(small_catalog(), page_limit=7) as server:
        connect(settings, server)
        yield server


def served_ids(fake: FakeSpotify) -> tuple[set[str], set[str], set[str]]:
    """The tracks, albums and artists the given playlists reach on the server."""
    tracks = {t for p in fake.catalog.playlists.values() for t in p["track_ids"]}
    albums = {fake.catalog.tracks[t]["album_id"] for t in tracks}
    artists = {a for t in tracks for a in fake.catalog.tracks[t]["artist_ids"]}
    artists |= {a for album in albums for a in fake.catalog.albums[album]["artist_ids"]}
    return tracks, albums, artists


def test_crawl_stores_every_track_album_and_artist_once_with_ordered_entries(fake):
    run = crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())

    tracks, albums, artists = served_ids(fake)
    assert run.status == CrawlRun.Status.SUCCEEDED, run.errors
    assert sorted(Track.objects.values_list("spotify_id", flat=True)) == sorted(tracks)
    assert sorted(Album.objects.values_list("spotify_id", flat=True)) == sorted(albums)
    assert sorted(Artist.objects.values_list("spotify_id", flat=True)) == sorted(artists)
    morning = Playlist.objects.get(source=Playlist.Source.SPOTIFY, external_id=PLAYLISTS[0])
    entries = list(morning.entries.order_by("position").values_list("track__spotify_id", flat=True))
    assert entries == fake.catalog.playlists[PLAYLISTS[0]]["track_ids"]  # 21 entries over 3 pages, one repeated
    assert morning.followers == 12


def test_crawl_keeps_genres_release_dates_and_spotify_features(fake):
    crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())

    artist = Artist.objects.get(name="Fake Artist 0")
    assert sorted(artist.genres.values_list("name", flat=True)) == ["dance pop", "k-pop"]
    assert artist.followers == 1000
    assert str(Album.objects.get(name="Fake Album 1").release_date) == "2026-03-02"
    track = Track.objects.get(name="Fake Track 3")
    assert track.features_source == Track.FeatureSource.SPOTIFY
    assert track.danceability == pytest.approx(0.33)


def test_track_spotify_has_no_features_for_is_estimated_from_its_artist(fake):
    crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())

    no_analysis = Track.objects.get(name="Fake Track 29")  # by Fake Artist 5, like tracks 5, 11, 17, 23 and 28
    neighbours = Track.objects.filter(artists__name="Fake Artist 5").exclude(pk=no_analysis.pk)
    assert sorted(neighbours.values_list("name", flat=True)) == [f"Fake Track {n}" for n in (11, 17, 23, 28, 5)]
    assert no_analysis.features_source == Track.FeatureSource.ESTIMATED
    assert no_analysis.danceability == pytest.approx(sum(t.danceability for t in neighbours) / 5, abs=1e-4)


def test_crawl_through_429s_5xx_and_bad_bodies_ends_with_the_same_catalog(fake, settings):
    crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())
    clean = catalog_snapshot()
    Track.objects.all().delete(), Album.objects.all().delete(), Artist.objects.all().delete()
    Playlist.objects.all().delete()
    fake.faults = Faults([
        Fault("rate_limit", on={1, 6}, retry_after=2),
        Fault("server_error", on={2, 9, 10}),
        Fault("malformed", on={4}),
        Fault("truncated", on={7}),
        Fault("cut", on={12}),
        Fault("server_error", probability=0.1),
    ], seed=7)
    waits = Waits()

    run = crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client(waits))

    assert run.status == CrawlRun.Status.SUCCEEDED, run.errors
    assert catalog_snapshot() == clean
    assert 2 in waits  # the Retry-After was honoured
    assert run.counts["retries"] >= 7


def test_rerun_changes_nothing(fake):
    crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())
    before = catalog_snapshot()
    stamps = sorted(Track.objects.values_list("updated_at", flat=True))

    run = crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())

    assert catalog_snapshot() == before
    assert sorted(Track.objects.values_list("updated_at", flat=True)) == stamps
    assert run.counts["tracks"]["created"] == run.counts["tracks"]["updated"] == 0
    assert run.counts["playlists"]["updated"] == 0


def test_rerun_looks_up_only_what_spotify_left_unknown(fake):
    crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())
    fake.requests.clear()

    crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())

    # Besides the playlists' pages, only what Spotify itself does not know is asked for again: the album
    # without a release date, the artist without genres or images, the track without audio analysis.
    lookups = [r for r in fake.requests if "/playlists/" not in r]
    assert len(lookups) == 3
    assert fake.count("/albums") == fake.count("/artists") == fake.count("/audio-features") == 1


def test_long_retry_after_defers_the_run_without_waiting(fake):
    fake.faults = Faults([Fault("rate_limit", on={3}, retry_after=7200)])
    waits = Waits()

    run = crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client(waits))

    assert run.status == CrawlRun.Status.DEFERRED
    assert 7100 < (run.deferred_until - run.started).total_seconds() < 7300
    assert waits == []
    assert run.gaps["playlists"] == sorted(PLAYLISTS)


def test_deferred_playlists_are_crawled_by_the_next_run(fake):
    fake.faults = Faults([Fault("rate_limit", on={1}, retry_after=7200)])
    crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())
    fake.faults = Faults()

    run = crawl_playlists(playlist_ids=[], client=recording_client())

    assert run.status == CrawlRun.Status.SUCCEEDED
    assert Playlist.objects.filter(source=Playlist.Source.SPOTIFY).count() == 2


def test_requests_that_keep_failing_become_gaps_the_next_run_fills(fake):
    fake.faults = Faults([Fault("server_error", path="/artists", probability=1.0, times=4)])
    first = crawl_playlists(playlist_ids=PLAYLISTS[:1], client=recording_client())
    assert first.status == CrawlRun.Status.PARTIAL
    assert set(first.gaps) == {"artists", "playlists"}
    assert Artist.objects.get(name="Fake Artist 0").genres.count() == 0
    fake.faults = Faults()

    second = crawl_playlists(playlist_ids=PLAYLISTS[1:], client=recording_client())

    assert second.status == CrawlRun.Status.SUCCEEDED, second.errors
    assert second.gaps == {}
    assert Artist.objects.get(name="Fake Artist 0").genres.count() == 2
    assert Playlist.objects.filter(source=Playlist.Source.SPOTIFY).count() == 2


def test_unreadable_playlist_page_leaves_the_playlist_as_it_was(fake):
    fake.faults = Faults([Fault("server_error", path="/items", probability=1.0, times=4)])

    run = crawl_playlists(playlist_ids=PLAYLISTS[:1], client=recording_client())

    assert run.status == CrawlRun.Status.PARTIAL
    assert run.gaps == {"playlists": PLAYLISTS[:1]}
    assert not Playlist.objects.exists()  # never half a playlist


def test_missing_playlist_is_reported_and_the_others_still_crawl(fake):
    run = crawl_playlists(playlist_ids=["0" * 22, PLAYLISTS[1]], client=recording_client())

    assert run.status == CrawlRun.Status.PARTIAL
    assert "playlist 0000000000000000000000: Spotify answered 404" in run.errors[0]
    assert Playlist.objects.get().external_id == PLAYLISTS[1]


def uninterrupted_snapshot(settings) -> dict:
    """The catalog one uninterrupted crawl gives; the catalog and runs are emptied again."""
    crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())
    snapshot = catalog_snapshot()
    for model in (Playlist, Track, Album, Artist, CrawlRun):
        model.objects.all().delete()
    return snapshot


def test_interrupted_crawl_run_again_ends_with_the_uninterrupted_catalog(settings, fake):
    expected = uninterrupted_snapshot(settings)
    responses = len(fake.requests) + 1  # the token, then every API request of an uninterrupted crawl
    fake.requests.clear()
    for killed_at in range(1, responses):
        with pytest.raises(Killed):
            crawl_playlists(playlist_ids=PLAYLISTS, client=client_killed_after(killed_at))

        crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())

        assert catalog_snapshot() == expected, f"killed after response {killed_at}"
        for model in (Playlist, Track, Album, Artist, CrawlRun):
            model.objects.all().delete()


def test_command_accepts_links_and_uris_and_reports_bad_references(fake, capsys):
    with pytest.raises(SystemExit) as exit_code:
        call_command(
            "crawl_playlists",
            f"https://open.spotify.com/playlist/{PLAYLISTS[0]}?si=abc",
            f"spotify:playlist:{PLAYLISTS[1]}",
            "not-a-playlist",
            "--json",
        )

    output = capsys.readouterr()
    assert exit_code.value.code == 1
    assert "'not-a-playlist' is not a Spotify playlist" in output.err
    summary = json.loads(output.out)
    assert summary["status"] == "succeeded"
    assert summary["counts"]["playlists"]["created"] == 2


def test_command_prints_a_summary(fake, capsys):
    call_command("crawl_playlists", PLAYLISTS[1], "--no-progress")

    out = capsys.readouterr().out
    assert "Playlists crawl #" in out and "succeeded" in out
    assert "tracks:    12 created" in out


def test_command_without_spotify_app_says_what_to_set(settings):
    settings.SPOTIFY_CLIENT_ID = ""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="SPOTIFY_CLIENT_ID"):
        call_command("crawl_playlists", PLAYLISTS[0])


@pytest.mark.django_db(transaction=True)
def test_two_crawls_at_once_duplicate_nothing(settings, fake):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with one database lock: two crawls cannot overlap there")
    expected = uninterrupted_snapshot(settings)
    failures: list[BaseException] = []

    def crawl() -> None:
        try:
            crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())
        except BaseException as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=crawl) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert catalog_snapshot() == expected


def test_admin_action_crawls_the_selected_spotify_playlists(fake, admin_client, django_capture_on_commit_callbacks):
    from tests.factories import PlaylistFactory

    stale = PlaylistFactory(source=Playlist.Source.SPOTIFY, external_id=PLAYLISTS[1], name="old name")
    PlaylistFactory(source=Playlist.Source.MPD)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/ingestion/playlist/",
            {"action": "crawl_from_spotify", "_selected_action": list(Playlist.objects.values_list("pk", flat=True))},
            follow=True,
        )

    assert "1 playlist not from Spotify skipped" in response.content.decode()
    stale.refresh_from_db()
    assert stale.name == "Fake Rainy Drive"
    assert stale.entries.count() == 12
    assert CrawlRun.objects.get().status == CrawlRun.Status.SUCCEEDED


def test_admin_lists_crawl_runs_read_only(fake, admin_client):
    run = crawl_playlists(playlist_ids=["0" * 22], client=recording_client())

    listing = admin_client.get("/admin/ingestion/crawlrun/")
    detail = admin_client.get(f"/admin/ingestion/crawlrun/{run.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    assert "partial" in listing.content.decode()
    assert "Spotify answered 404" in detail.content.decode()
    assert admin_client.get("/admin/ingestion/crawlrun/add/").status_code == 403


def test_a_crawl_that_changes_the_catalog_exports_a_snapshot_and_marks_it_dirty(
    fake, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from recommendations.services.rebuilds import dataset_state

    settings.MEDIA_ROOT = tmp_path / "media"
    with django_capture_on_commit_callbacks(execute=True):
        crawl_playlists(playlist_ids=PLAYLISTS[:1], client=recording_client())
    _, snapshots = default_storage.listdir("snapshots")
    with django_capture_on_commit_callbacks(execute=True):
        crawl_playlists(playlist_ids=PLAYLISTS[:1], client=recording_client())  # nothing new: no second file

    assert len(snapshots) == 1 and default_storage.listdir("snapshots")[1] == snapshots
    exported = json.loads(default_storage.open(f"snapshots/{snapshots[0]}").read())
    assert len(exported) == Track.objects.count() > 0
    assert dataset_state().dirty_since is not None
