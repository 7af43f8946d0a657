"""Kaggle's SpotifyFeatures.csv: pitch names, Major/Minor, spreadsheet-spoiled time signatures, the cut last row."""
from pathlib import Path

import pytest

from ingestion.importers.formats import read_records
from ingestion.importers.formats.kaggle_csv import beats_per_bar, mode, pitch_class
from ingestion.importers.formats.values import BadValue
from ingestion.importers.records import ArtistRecord, Origin, Rejection, TrackFeatures, TrackRecord

HEADER = (
    "genre,artist_name,track_name,track_id,popularity,acousticness,danceability,duration_ms,energy,"
    "instrumentalness,key,liveness,loudness,mode,speechiness,tempo,time_signature,valence"
)
ROW = (
    "Dance,Sevyn Streeter,Peace Sign (feat. Dave East),2Sz55m4OEjprPWZ68g5e9C,51,0.388,0.634,273312,0.572,"
    "8.19E-06,C#,0.0806,-3.316,Minor,0.124,150.038,4-Mar,0.714"
)


def write_kaggle(tmp_path: Path, *rows: str, bom: bool = True, final_newline: bool = True) -> Path:
    path = tmp_path / "SpotifyFeatures.csv"
    text = "\n".join([HEADER, *rows]) + ("\n" if final_newline else "")
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def test_good_row_becomes_exact_record_with_genre_added_to_the_artist(tmp_path):
    path = write_kaggle(tmp_path, ROW)

    (record,) = read_records(path, "kaggle-csv")

    assert record == TrackRecord(
        name="Peace Sign (feat. Dave East)",
        origin=Origin(str(path), 2),
        spotify_id="2Sz55m4OEjprPWZ68g5e9C",
        artists=(ArtistRecord(name="Sevyn Streeter", genres=("dance",), genres_replace=False),),
        duration_ms=273312,
        popularity=51,
        features=TrackFeatures(
            danceability=0.634, energy=0.572, valence=0.714, key=1, loudness=-3.316, mode=0, speechiness=0.124,
            acousticness=0.388, instrumentalness=8.19e-06, liveness=0.0806, tempo=150.038, time_signature=3,
        ),
    )


@pytest.mark.parametrize("bom", [True, False])
def test_byte_order_mark_does_not_hide_the_genre_column(tmp_path, bom):
    path = write_kaggle(tmp_path, ROW, bom=bom)

    (record,) = read_records(path, "kaggle-csv")

    assert record.artists[0].genres == ("dance",)


def test_truncated_last_line_is_rejected_at_its_line(tmp_path):
    cut = ROW[: ROW.index(",8.19E-06") + len(",8.19E-06,")]
    path = write_kaggle(tmp_path, ROW, ROW, cut, final_newline=False)

    *records, last = read_records(path, "kaggle-csv")

    assert [type(record) for record in records] == [TrackRecord, TrackRecord]
    assert last == Rejection(Origin(str(path), 4), "truncated row: expected 18 fields, found 11")


@pytest.mark.parametrize(
    ("written", "pitch"),
    [("C", 0), ("C#", 1), ("Db", 1), ("D", 2), ("Eb", 3), ("E", 4), ("F", 5), ("F#", 6), ("Gb", 6), ("G", 7),
     ("G#", 8), ("Ab", 8), ("A", 9), ("A#", 10), ("Bb", 10), ("B", 11), ("Cb", 11), ("7", "7"), ("", "")],
)
def test_pitch_names_map_to_pitch_classes(written, pitch):
    assert pitch_class(written) == pitch


@pytest.mark.parametrize(("written", "value"), [("Major", 1), ("Minor", 0), ("minor", 0), ("1", "1")])
def test_major_and_minor_map_to_mode(written, value):
    assert mode(written) == value


@pytest.mark.parametrize(
    ("written", "beats"),
    [("4/4", 4), ("3/4", 3), ("4-Apr", 4), ("4-Mar", 3), ("4-May", 5), ("4-Jan", 1), ("0/4", 0), ("4", "4")],
)
def test_time_signature_month_of_the_spreadsheet_date_is_the_beats_per_bar(written, beats):
    assert beats_per_bar(written) == beats


def test_one_four_and_zero_four_are_spotify_markers_for_unknown(tmp_path):
    path = write_kaggle(tmp_path, ROW.replace("4-Mar", "4-Jan"), ROW.replace("4-Mar", "0/4"))

    first, second = read_records(path, "kaggle-csv")

    assert first.features.time_signature is None
    assert second.features.time_signature is None


@pytest.mark.parametrize(
    ("replace", "by", "reason"),
    [
        ("C#", "H", "key 'H' is not a pitch name like C, C#, Db or B"),
        ("Minor", "Dorian", "mode 'Dorian' is not Major or Minor"),
        ("4-Mar", "3-Apr", "time_signature '3-Apr' is not a time signature like 4/4 (or 4-Apr, a spreadsheet's 4/4)"),
        ("4-Mar", "4-Xyz", "time_signature '4-Xyz' is not a time signature like 4/4 (or 4-Apr, a spreadsheet's 4/4)"),
        ("4-Mar", "9/4", "time_signature 9 is outside 3..7"),
        ("2Sz55m4OEjprPWZ68g5e9C", "2Sz55m4O-jprPWZ68g5e9C",
         "track_id '2Sz55m4O-jprPWZ68g5e9C' is not a Spotify track id (22 letters and digits)"),
    ],
)
def test_bad_kaggle_value_is_rejected_naming_the_column(tmp_path, replace, by, reason):
    path = write_kaggle(tmp_path, ROW.replace(replace, by, 1))

    assert list(read_records(path, "kaggle-csv")) == [Rejection(Origin(str(path), 2), reason)]


def test_same_track_under_two_genres_is_yielded_twice(tmp_path):
    path = write_kaggle(tmp_path, ROW, ROW.replace("Dance,", "R&B,", 1))

    first, second = read_records(path, "kaggle-csv")

    assert first.spotify_id == second.spotify_id
    assert [first.artists[0].genres, second.artists[0].genres] == [("dance",), ("r&b",)]


def test_unreadable_csv_row_is_rejected_and_reading_goes_on(tmp_path):
    huge_name = ROW.replace("Sevyn Streeter", '"' + "x" * 200_000 + '"')
    path = write_kaggle(tmp_path, ROW, huge_name, ROW)

    first, rejection, last = read_records(path, "kaggle-csv")

    assert rejection == Rejection(Origin(str(path), 3), "unreadable CSV row: field larger than field limit (131072)")
    assert (first.origin.line, last.origin.line) == (2, 4)


def test_pitch_class_rejects_unknown_names():
    with pytest.raises(BadValue, match="key 'C##'"):
        pitch_class("C##")
