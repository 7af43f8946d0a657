"""The seed dataset's JSON and CSV formats, and the value rules shared by every catalog format."""
import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from ingestion.importers.formats import ImportFileError, read_records
from ingestion.importers.records import AlbumRecord, ArtistRecord, Origin, Rejection, TrackFeatures, TrackRecord

TRACK_ID = "4Dvkj6JhhA12EX05fT7y2e"
OTHER_ID = "75FEaRjZTKLhTrFGsfMUXR"
GOOD = {
    "artist_name": "Harry Styles",
    "track_name": "As It Was",
    "album_name": "Harry's House",
    "artist_genre": ["Pop", " dance  pop ", "pop"],
    "artist_popularity": 94,
    "track_popularity": 93,
    "artist_followers": 21560011,
    "danceability": 0.52,
    "energy": 0.731,
    "key": 6,
    "loudness": -5.338,
    "speechiness": 0.0557,
    "acousticness": 0.342,
    "instrumentalness": 0.00101,
    "liveness": 0.311,
    "valence": 0.662,
    "tempo": 173.93,
    "duration_ms": 167303,
    "time_signature": 4,
    "uri": f"spotify:track:{TRACK_ID}",
    "release_date": "2022-05-20",
    "album_image": "https://i.scdn.co/image/ab67616d0000b2732e8ed79e177ff6011076f5f0",
    "id": TRACK_ID,
}
CSV_COLUMNS = [
    "", "id", "artist_name", "track_name", "album_name", "artist_genre", "artist_popularity", "track_popularity",
    "artist_followers", "danceability", "energy", "key", "loudness", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo", "duration_ms", "time_signature",
]
GOOD_FEATURES = TrackFeatures(
    danceability=0.52, energy=0.731, valence=0.662, key=6, loudness=-5.338, speechiness=0.0557,
    acousticness=0.342, instrumentalness=0.00101, liveness=0.311, tempo=173.93, time_signature=4,
)


def write_json(tmp_path: Path, elements: list[dict]) -> Path:
    path = tmp_path / "tracks.json"
    path.write_text(json.dumps(elements, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def write_seed_csv(tmp_path: Path, *rows: dict) -> Path:
    """A seed-csv file with one line per row: GOOD with the row's overrides, as the CSV export writes it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for index, overrides in enumerate(rows):
        values = {**GOOD, "artist_genre": str(GOOD["artist_genre"]), "": index, **overrides}
        writer.writerow([values.get(column, "") for column in CSV_COLUMNS])
    path = tmp_path / "track_data.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def only_rejection(path: Path, format_name: str = "seed-csv") -> Rejection:
    (item,) = read_records(path, format_name)
    assert isinstance(item, Rejection), item
    return item


def test_seed_json_element_becomes_exact_record(tmp_path):
    path = write_json(tmp_path, [GOOD])

    (record,) = read_records(path, "seed-json")

    artist = ArtistRecord(name="Harry Styles", genres=("pop", "dance pop"), popularity=94, followers=21560011)
    assert record == TrackRecord(
        name="As It Was",
        origin=Origin(str(path), 2),
        spotify_id=TRACK_ID,
        artists=(artist,),
        album=AlbumRecord(
            name="Harry's House",
            artist=artist,
            release_date=dt.date(2022, 5, 20),
            release_date_precision="day",
            image_url=GOOD["album_image"],
        ),
        duration_ms=167303,
        popularity=93,
        features=GOOD_FEATURES,
    )


def test_seed_json_origins_are_the_lines_where_elements_start(tmp_path):
    path = write_json(tmp_path, [GOOD, {**GOOD, "danceability": 7}, GOOD])
    element_lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line == "  {"]

    items = list(read_records(path, "seed-json"))

    assert [item.origin.line for item in items] == element_lines
    assert isinstance(items[1], Rejection)
    assert items[1].reason == "danceability 7 is outside 0..1"


def test_seed_json_invalid_json_is_one_rejection_at_its_line_after_the_good_elements(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps([GOOD], indent=2)[:-2] + ",\n  {\"track_name\": oops}\n]", encoding="utf-8")

    first, second = read_records(path, "seed-json")

    assert isinstance(first, TrackRecord)
    assert second.origin == Origin(str(path), len(path.read_text().splitlines()) - 1)
    assert second.reason.startswith("invalid JSON: Expecting value")
    assert "the rest of the file was not read" in second.reason


def test_seed_json_nested_absurdly_deep_is_a_rejection_not_a_crash(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[\n" + "[" * 100_000 + "]" * 100_000 + "\n]", encoding="utf-8")

    (item,) = read_records(path, "seed-json")

    assert item.origin.line == 2
    assert item.reason.startswith("invalid JSON: Nested too deeply")


def test_seed_json_that_is_not_an_array_cannot_be_read(tmp_path):
    path = tmp_path / "object.json"
    path.write_text('{"track_name": "x"}', encoding="utf-8")

    with pytest.raises(ImportFileError, match="object.json: expected a JSON array"):
        list(read_records(path, "seed-json"))


def test_seed_json_element_that_is_not_an_object_is_rejected(tmp_path):
    path = write_json(tmp_path, [GOOD, ["not", "a", "track"]])

    items = list(read_records(path, "seed-json"))

    assert items[1] == Rejection(Origin(str(path), items[1].origin.line), items[1].reason)
    assert items[1].reason.startswith("expected a track object, found list")


def test_seed_csv_good_row_ignores_the_index_and_parses_the_genre_string(tmp_path):
    path = write_seed_csv(tmp_path, {"artist_genre": "['dance pop', 'Pop', 'dance pop']"})

    (record,) = read_records(path, "seed-csv")

    artist = ArtistRecord(name="Harry Styles", genres=("dance pop", "pop"), popularity=94, followers=21560011)
    assert record == TrackRecord(
        name="As It Was",
        origin=Origin(str(path), 2),
        spotify_id=TRACK_ID,
        artists=(artist,),
        album=AlbumRecord(name="Harry's House", artist=artist),
        duration_ms=167303,
        popularity=93,
        features=GOOD_FEATURES,
    )


def test_seed_csv_danceability_holding_the_duration_is_rejected_saying_so(tmp_path):
    path = write_seed_csv(tmp_path, {"danceability": 167303})

    assert only_rejection(path) == Rejection(
        Origin(str(path), 2), "danceability 167303 is outside 0..1 (it equals duration_ms: the column holds durations)"
    )


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"energy": "high"}, "energy 'high' is not a number"),
        ({"energy": "nan"}, "energy nan is not a finite number"),
        ({"valence": 1.5}, "valence 1.5 is outside 0..1"),
        ({"loudness": -70}, "loudness -70 is outside -60..5"),
        ({"key": 12}, "key 12 is outside -1..11"),
        ({"key": 2.5}, "key 2.5 is not a whole number"),
        ({"time_signature": 2}, "time_signature 2 is outside 3..7"),
        ({"tempo": 420}, "tempo 420 is outside 1..300"),
        ({"danceability": 250000}, "danceability 250000 is outside 0..1 (it looks like a duration in milliseconds)"),
        ({"valence": ""}, "valence missing while other audio features are present"),
        ({"danceability": "", "energy": ""}, "danceability, energy missing while other audio features are present"),
        ({"id": TRACK_ID[:-1]}, f"id '{TRACK_ID[:-1]}' is not a Spotify track id (22 letters and digits)"),
        ({"id": ""}, "id is missing"),
        ({"track_popularity": 101}, "track_popularity 101 is outside 0..100"),
        ({"artist_popularity": "-1"}, "artist_popularity -1 is outside 0..100"),
        ({"artist_followers": -5}, "artist_followers -5 is below 0"),
        ({"artist_followers": "many"}, "artist_followers 'many' is not a number"),
        ({"duration_ms": 0}, "duration_ms 0 is below 1"),
        ({"artist_genre": "['pop', "}, "artist_genre \"['pop',\" is not a list like ['pop', 'rock']"),
        ({"artist_genre": "__import__('os')"}, "artist_genre \"__import__('os')\" is not a list like ['pop', 'rock']"),
        ({"artist_genre": "[1, 2]"}, "artist_genre '[1, 2]' is not a list of genre names"),
        ({"track_name": "  "}, "track_name is empty"),
        ({"track_name": "x" * 501}, "track_name is 501 characters long, more than 500"),
        ({"album_name": "Harry\x00s House"}, "album_name contains a NUL character"),
    ],
)
def test_seed_csv_bad_value_rejects_the_row_naming_column_and_value(tmp_path, overrides, reason):
    path = write_seed_csv(tmp_path, {}, overrides)

    good, bad = read_records(path, "seed-csv")

    assert isinstance(good, TrackRecord)
    assert bad == Rejection(Origin(str(path), 3), reason)


def test_spotify_not_detected_markers_become_unknown_not_rejections(tmp_path):
    path = write_seed_csv(tmp_path, {"tempo": 0, "time_signature": 1, "key": -1}, {"time_signature": 0})

    first, second = read_records(path, "seed-csv")

    assert (first.features.tempo, first.features.time_signature, first.features.key) == (None, None, -1)
    assert second.features.time_signature is None


def test_row_without_any_audio_feature_has_no_features(tmp_path):
    no_features = {name: "" for name in CSV_COLUMNS[9:19] if name != "duration_ms"} | {"time_signature": ""}
    path = write_seed_csv(tmp_path, no_features)

    (record,) = read_records(path, "seed-csv")

    assert record.features is None
    assert record.duration_ms == 167303


def test_only_the_core_features_are_required(tmp_path):
    path = write_seed_csv(tmp_path, {"loudness": "", "tempo": "", "key": ""})

    (record,) = read_records(path, "seed-csv")

    assert (record.features.loudness, record.features.tempo, record.features.key) == (None, None, None)


def test_same_track_twice_in_a_file_is_yielded_twice(tmp_path):
    path = write_seed_csv(tmp_path, {}, {"track_popularity": 50})

    first, second = read_records(path, "seed-csv")

    assert first.spotify_id == second.spotify_id == TRACK_ID
    assert (first.popularity, second.popularity) == (93, 50)


@pytest.mark.parametrize(
    ("written", "date", "precision"),
    [
        ("1985-09-16", dt.date(1985, 9, 16), "day"),
        ("1985-09", dt.date(1985, 9, 1), "month"),
        ("1985", dt.date(1985, 1, 1), "year"),
        ("", None, ""),
    ],
)
def test_release_date_precision_follows_what_is_written(tmp_path, written, date, precision):
    path = write_json(tmp_path, [{**GOOD, "release_date": written}])

    (record,) = read_records(path, "seed-json")

    assert (record.album.release_date, record.album.release_date_precision) == (date, precision)


@pytest.mark.parametrize("written", ["1985-13-01", "1985-02-30", "0000", "85", "16/09/1985"])
def test_invalid_release_date_rejects_the_row(tmp_path, written):
    path = write_json(tmp_path, [{**GOOD, "release_date": written}])

    (item,) = read_records(path, "seed-json")

    assert item.reason == f"release_date {written!r} is not a date like YYYY-MM-DD, YYYY-MM or YYYY"


def test_uri_gives_the_id_when_id_is_absent_and_must_agree_with_it(tmp_path):
    without_id = {key: value for key, value in GOOD.items() if key != "id"}
    path = write_json(tmp_path, [without_id, {**GOOD, "uri": f"spotify:track:{OTHER_ID}"}, {**GOOD, "uri": "x:y"}])

    first, second, third = read_records(path, "seed-json")

    assert first.spotify_id == TRACK_ID
    assert second.reason == f"id {TRACK_ID} does not match uri spotify:track:{OTHER_ID}"
    assert third.reason == "uri 'x:y' is not a Spotify track id (22 letters and digits)"


def test_uri_of_another_kind_is_rejected(tmp_path):
    path = write_json(tmp_path, [{**GOOD, "id": None, "uri": f"spotify:album:{TRACK_ID}"}])

    (item,) = read_records(path, "seed-json")

    assert item.reason == f"uri 'spotify:album:{TRACK_ID}' is not a spotify:track: URI"
