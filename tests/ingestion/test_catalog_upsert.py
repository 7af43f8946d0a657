import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ingestion.importers.records import (
    AlbumRecord,
    ArtistRecord,
    Origin,
    PlaylistRecord,
    TrackFeatures,
    TrackRecord,
)
from ingestion.models import Album, Artist, Playlist, PlaylistTrack, Track
from ingestion.services.catalog import UpsertSummary, catalog_upsert_playlists, catalog_upsert_tracks
from tests.factories import fake_spotify_id

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
HERE = Origin("test.json", 1)
FEATURES = TrackFeatures(danceability=0.52, energy=0.731, valence=0.662, tempo=173.93, key=6, mode=None)


def track(n: int, **overrides) -> TrackRecord:
    artist = ArtistRecord(name=f"Artist {n}", genres=("pop", "k-pop"), popularity=90)
    fields = {
        "name": f"Song {n}",
        "origin": HERE,
        "spotify_id": fake_spotify_id(n),
        "artists": (artist,),
        "album": AlbumRecord(
            name=f"Album {n}", artist=artist, release_date=dt.date(2022, 5, 20), release_date_precision="day"
        ),
        "duration_ms": 167303,
        "popularity": 94,
        "features": FEATURES,
    }
    return TrackRecord(**{**fields, **overrides})


def test_tracks_are_created_with_artists_albums_genres_and_features():
    summary, pks = catalog_upsert_tracks(records=[track(1)], now=T0)
    song = Track.objects.get(pk=pks[fake_spotify_id(1)])
    assert (song.name, song.album.name, song.tempo, song.mode) == ("Song 1", "Album 1", 173.93, None)
    assert song.features_source == "imported"
    assert [a.name for a in song.artists.all()] == ["Artist 1"]
    assert sorted(song.artists.get().genres.values_list("name", flat=True)) == ["k-pop", "pop"]
    assert song.album.artist.name == "Artist 1"
    assert (summary.tracks.created, summary.artists.created, summary.albums.created, summary.genres_created) == (
        1, 1, 1, 2,
    )


def test_second_run_changes_nothing_not_even_timestamps():
    records = [track(n) for n in range(5)]
    catalog_upsert_tracks(records=records, now=T0)
    before = list(Track.objects.values_list("pk", "updated_at", "first_seen").order_by("pk"))
    summary, _ = catalog_upsert_tracks(records=records, now=T1)
    assert (summary.tracks.created, summary.tracks.updated, summary.tracks.unchanged) == (0, 0, 5)
    assert (summary.artists.unchanged, summary.albums.unchanged) == (5, 5)
    assert list(Track.objects.values_list("pk", "updated_at", "first_seen").order_by("pk")) == before
    assert set(Artist.objects.values_list("updated_at", flat=True)) == {T0}


def test_change_updates_only_the_changed_row_and_its_timestamp():
    catalog_upsert_tracks(records=[track(1), track(2)], now=T0)
    summary, _ = catalog_upsert_tracks(records=[track(1, popularity=50), track(2)], now=T1)
    assert (summary.tracks.updated, summary.tracks.unchanged) == (1, 1)
    assert dict(Track.objects.values_list("name", "updated_at")) == {"Song 1": T1, "Song 2": T0}
    assert Track.objects.get(name="Song 1").first_seen == T0


def test_unknown_fields_never_erase_what_the_catalog_knows():
    catalog_upsert_tracks(records=[track(1)], now=T0)
    # An MPD entry knows only the id, the title and the artist's name.
    bare = TrackRecord(
        name="Song 1", origin=HERE, spotify_id=fake_spotify_id(1), artists=(ArtistRecord(name="Artist 1"),)
    )
    summary, _ = catalog_upsert_tracks(records=[bare], now=T1)
    song = Track.objects.get()
    assert (song.popularity, song.danceability, song.album.name, song.updated_at) == (94, 0.52, "Album 1", T0)
    assert summary.tracks.unchanged == 1
    assert Artist.objects.count() == 1


def test_name_only_artist_is_adopted_when_its_spotify_id_arrives():
    mpd = TrackRecord(name="Toxic", origin=HERE, spotify_id=fake_spotify_id(7), artists=(ArtistRecord("Britney"),))
    catalog_upsert_tracks(records=[mpd], now=T0)
    with_id = ArtistRecord(name="Britney", spotify_id=fake_spotify_id(99), genres=("dance pop",))
    catalog_upsert_tracks(records=[TrackRecord(name="Toxic", origin=HERE, spotify_id=fake_spotify_id(7),
                                               artists=(with_id,))], now=T1)
    artist = Artist.objects.get()
    assert artist.spotify_id == fake_spotify_id(99)
    assert list(artist.genres.values_list("name", flat=True)) == ["dance pop"]


def test_track_level_genre_labels_are_added_to_the_artists_genres():
    catalog_upsert_tracks(records=[track(1)], now=T0)
    labelled = ArtistRecord(name="Artist 1", genres=("dance",), genres_replace=False)
    catalog_upsert_tracks(records=[track(1, artists=(labelled,))], now=T1)
    assert sorted(Artist.objects.get().genres.values_list("name", flat=True)) == ["dance", "k-pop", "pop"]
    again, _ = catalog_upsert_tracks(records=[track(1, artists=(labelled,))], now=T1)
    assert again.artists.unchanged == 1


def test_estimated_features_never_replace_imported_ones():
    catalog_upsert_tracks(records=[track(1)], now=T0)
    guess = TrackFeatures(danceability=0.1, energy=0.1, valence=0.1)
    catalog_upsert_tracks(records=[track(1, features=guess, features_source="estimated")], now=T1)
    assert Track.objects.get().danceability == 0.52


def test_same_track_twice_in_a_batch_is_one_row_counted_once():
    summary, _ = catalog_upsert_tracks(records=[track(1), track(1, popularity=60)], now=T0)
    assert Track.objects.get().popularity == 60
    assert summary.tracks.created == 1


def test_track_without_spotify_id_is_rejected_with_its_origin():
    summary, _ = catalog_upsert_tracks(records=[track(1, spotify_id=None, origin=Origin("a.csv", 9))], now=T0)
    assert Track.objects.count() == 0
    assert [str(r) for r in summary.rejections] == ["a.csv:9: track 'Song 1' has no Spotify id"]


def test_album_without_id_is_keyed_by_name_and_artist():
    catalog_upsert_tracks(records=[track(1), track(2, album=AlbumRecord(name="Album 1"))], now=T0)
    assert Album.objects.filter(name="Album 1").count() == 2  # one by Artist 1, one with no artist


def test_query_count_barely_grows_with_the_batch():
    def queries_for(records):
        with CaptureQueriesContext(connection) as captured:
            catalog_upsert_tracks(records=records, now=T0)
        return len(captured)

    small = queries_for([track(n) for n in range(2)])
    large = queries_for([track(n) for n in range(100, 300)])
    # 100x the rows costs only a few more INSERT statements (the database's parameter limit splits them);
    # a row-by-row upsert would need over a thousand queries here.
    assert large <= small + 10


def playlist(pid: str, track_numbers: list[int], **overrides) -> PlaylistRecord:
    tracks = tuple(
        TrackRecord(name=f"Song {n}", origin=HERE, spotify_id=fake_spotify_id(n), artists=(ArtistRecord(f"A{n}"),))
        for n in track_numbers
    )
    return PlaylistRecord(**{"source": "mpd", "external_id": pid, "name": f"list {pid}", "origin": HERE,
                             "followers": 10, "tracks": tracks, **overrides})


def entries(pid: str) -> list[str]:
    rows = PlaylistTrack.objects.filter(playlist__external_id=pid).order_by("position")
    return list(rows.values_list("track__name", flat=True))


def test_playlists_keep_their_order_and_repeated_tracks():
    summary = catalog_upsert_playlists(records=[playlist("1", [3, 1, 2, 1]), playlist("2", [1])], now=T0)
    assert entries("1") == ["Song 3", "Song 1", "Song 2", "Song 1"]
    assert (summary.playlists.created, summary.tracks.created, summary.playlist_entries_written) == (2, 3, 5)


def test_reimporting_playlists_changes_nothing():
    records = [playlist("1", [3, 1, 2]), playlist("2", [1, 4])]
    catalog_upsert_playlists(records=records, now=T0)
    entry_pks = list(PlaylistTrack.objects.values_list("pk", flat=True).order_by("pk"))
    summary = catalog_upsert_playlists(records=records, now=T1)
    assert (summary.playlists.unchanged, summary.playlist_entries_written) == (2, 0)
    assert list(PlaylistTrack.objects.values_list("pk", flat=True).order_by("pk")) == entry_pks
    assert set(Playlist.objects.values_list("updated_at", flat=True)) == {T0}


def test_reordered_playlist_is_rewritten_and_counted_updated():
    catalog_upsert_playlists(records=[playlist("1", [1, 2, 3])], now=T0)
    summary = catalog_upsert_playlists(records=[playlist("1", [3, 2, 1])], now=T1)
    assert entries("1") == ["Song 3", "Song 2", "Song 1"]
    assert summary.playlists.updated == 1
    assert Playlist.objects.get().updated_at == T1


def test_rows_are_counted_once_across_batches_of_one_import():
    summary = UpsertSummary()
    catalog_upsert_playlists(records=[playlist("1", [1, 2])], summary=summary, now=T0)
    catalog_upsert_playlists(records=[playlist("2", [2, 3])], summary=summary, now=T0)
    assert (summary.tracks.created, summary.tracks.unchanged) == (3, 0)
