"""The parsers on the real datasets in ../shared/data (skipped when they are absent)."""
from collections import Counter

import pytest

from ingestion.importers.formats import detect_format, expand_paths, progress_total, read_records
from ingestion.importers.records import PlaylistRecord, Rejection, TrackRecord

pytestmark = pytest.mark.shared_data


def split(items) -> tuple[list, list[Rejection]]:
    items = list(items)
    return [item for item in items if not isinstance(item, Rejection)], [i for i in items if isinstance(i, Rejection)]


def test_seed_json_gives_585_records_all_with_features_and_genres(shared_data):
    path = shared_data / "seed-dataset" / "track_dataset.json"

    records, rejections = split(read_records(path, detect_format(path)))

    assert (len(records), rejections) == (585, [])
    assert all(record.features is not None and record.artists[0].genres is not None for record in records)
    assert sum(bool(record.artists[0].genres) for record in records) == 478  # the others say [] (no genres)


def test_seed_csv_rejects_every_row_whose_danceability_holds_the_duration(shared_data):
    path = shared_data / "seed-dataset" / "track_data.csv"

    records, rejections = split(read_records(path, detect_format(path)))

    assert (len(records), len(rejections)) == (0, 1154)
    assert all("the column holds durations" in rejection.reason for rejection in rejections)
    assert rejections[0].reason == (
        "danceability 167303 is outside 0..1 (it equals duration_ms: the column holds durations)"
    )


def test_kaggle_csv_rejects_only_the_truncated_last_line(shared_data):
    path = shared_data / "spotifyfeatures-partial" / "SpotifyFeatures.csv"

    records, rejections = split(read_records(path, detect_format(path)))

    assert [(r.origin.line, r.reason) for r in rejections] == [(19830, "truncated row: expected 18 fields, found 11")]
    assert progress_total(path, "kaggle-csv") == 19830
    assert (len(records), len({record.spotify_id for record in records})) == (19828, 19160)
    assert Counter(record.features.time_signature for record in records) == {4: 18434, 3: 1112, 5: 205, None: 77}


def test_spotify_api_crawl_joins_nearly_all_tracks(shared_data):
    path = shared_data / "spotify-api-2021"

    records, rejections = split(read_records(path, detect_format(path)))

    assert len(records) + len(rejections) == 20082
    assert len(records) == 19237
    # 845 tracks credit one of 174 artists the crawl has no artist.csv row for; no other row is bad.
    assert all(r.reason.startswith("track_artist_id") and r.reason.endswith("has no row in artist.csv")
               for r in rejections)
    assert sum(record.features is None for record in records) == 1  # the one track without an audio row


def test_mpd_dev_gives_every_playlist_and_entry(shared_data):
    units = expand_paths([shared_data / "mpd-dev"])

    counts = Counter()
    for unit in units:
        for item in read_records(unit, detect_format(unit)):
            assert isinstance(item, PlaylistRecord), item
            counts["playlists"] += 1
            counts["entries"] += len(item.tracks)

    assert (len(units), counts["playlists"], counts["entries"]) == (432, 3359, 328949)


def test_mpd_full_schema_slice_carries_albums_and_durations(shared_data):
    path = shared_data / "mpd-schema" / "mpd.slice.0-999.json"

    playlists = list(read_records(path, detect_format(path)))

    tracks = [track for playlist in playlists for track in playlist.tracks]
    assert (len(playlists), len(tracks)) == (37, 2023)
    assert all(isinstance(track, TrackRecord) and track.album.spotify_id and track.duration_ms for track in tracks)
