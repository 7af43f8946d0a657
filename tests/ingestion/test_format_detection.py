"""Telling formats apart by content, expanding paths into import units, progress totals, unreadable files."""
import json
from pathlib import Path

import pytest

from ingestion.importers.formats import (
    FORMATS,
    ImportFileError,
    detect_format,
    expand_paths,
    progress_total,
    read_records,
)

KAGGLE_HEADER = "genre,artist_name,track_name,track_id,popularity,danceability,energy,valence,duration_ms\n"
SEED_CSV_HEADER = ",id,artist_name,track_name,album_name,artist_genre,danceability,energy,valence,duration_ms\n"
CRAWL_HEADERS = {
    "artist.csv": "artist_id,artist_name,artist_genre,artist_popularity,artist_followers\n",
    "album.csv": "album_id,album_name,album_release_date,album_artist_id\n",
    "track.csv": "track_id,track_name,track_artist_id,track_album_id\n",
    "audio.csv": "track_id,track_duration,danceability,energy,valence\n",
}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def write_crawl(directory: Path, track_lines: int = 0) -> Path:
    for name, header in CRAWL_HEADERS.items():
        write(directory / name, header + ("x\n" * track_lines if name == "track.csv" else ""), "utf-8-sig")
    return directory


def test_formats_registry_names_and_kinds():
    assert {name: info.kind for name, info in FORMATS.items()} == {
        "mpd": "playlists", "seed-json": "catalog", "spotify-api-csv": "catalog", "kaggle-csv": "catalog",
        "seed-csv": "catalog",
    }


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("tracks.json", json.dumps([{"artist_name": "A", "track_name": "B"}], indent=2), "seed-json"),
        ("anything.txt", json.dumps({"info": {}, "playlists": []}), "mpd"),
        ("export.csv", SEED_CSV_HEADER, "seed-csv"),
        ("data.json", "\ufeff" + KAGGLE_HEADER, "kaggle-csv"),  # content wins over the extension
        ("track.csv", CRAWL_HEADERS["track.csv"], "spotify-api-csv"),
        ("my_audio.csv", "\ufeff" + CRAWL_HEADERS["audio.csv"], "spotify-api-csv"),
    ],
)
def test_format_is_detected_from_content(tmp_path, name, content, expected):
    assert detect_format(write(tmp_path / name, content)) == expected


def test_crawl_directory_is_detected(tmp_path):
    assert detect_format(write_crawl(tmp_path / "crawl")) == "spotify-api-csv"


def test_unknown_file_gets_a_message_listing_the_known_formats(tmp_path):
    path = write(tmp_path / "notes.csv", "title,author\nDune,Herbert\n")

    with pytest.raises(ImportFileError) as caught:
        detect_format(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: cannot tell which format this file is in (it starts with 'title,author')")
    assert all(name in message for name in FORMATS)


def test_empty_file_and_plain_directory_are_not_detected(tmp_path):
    with pytest.raises(ImportFileError, match="the file is empty"):
        detect_format(write(tmp_path / "empty.csv", "\n"))
    with pytest.raises(ImportFileError, match="a directory is only importable as a spotify-api-csv crawl"):
        detect_format(tmp_path)


def test_expand_paths_lists_mpd_slices_sorted_by_name_and_keeps_files(tmp_path):
    slices = tmp_path / "mpd"
    for name in ["mpd.slice.1000-1999.json", "mpd.slice.0-999.json", "README.md"]:
        write(slices / name, "{}")
    single = write(tmp_path / "SpotifyFeatures.csv", KAGGLE_HEADER)

    assert expand_paths([str(slices), single]) == [
        slices / "mpd.slice.0-999.json", slices / "mpd.slice.1000-1999.json", single,
    ]


def test_expand_paths_makes_one_unit_of_a_crawl_however_it_is_named(tmp_path):
    crawl = write_crawl(tmp_path / "crawl")

    assert expand_paths([crawl]) == [crawl]
    assert expand_paths(sorted(crawl.glob("*.csv"))) == [crawl]


def test_expand_paths_refuses_missing_paths_and_directories_without_data(tmp_path):
    with pytest.raises(ImportFileError, match="nowhere.csv: no such file or directory"):
        expand_paths([tmp_path / "nowhere.csv"])
    with pytest.raises(ImportFileError, match="holds neither MPD slices"):
        expand_paths([tmp_path])


def test_progress_total_counts_lines_including_a_last_line_without_newline(tmp_path):
    with_newline = write(tmp_path / "a.csv", KAGGLE_HEADER + "x\n")
    without = write(tmp_path / "b.csv", KAGGLE_HEADER + "x\ny")

    assert progress_total(with_newline, "kaggle-csv") == 2
    assert progress_total(without, "kaggle-csv") == 3


def test_progress_total_of_a_crawl_is_its_track_file(tmp_path):
    crawl = write_crawl(tmp_path / "crawl", track_lines=5)

    assert progress_total(crawl, "spotify-api-csv") == 6
    assert progress_total(crawl / "artist.csv", "spotify-api-csv") == 6


def test_file_that_is_not_utf8_cannot_be_read_and_names_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(KAGGLE_HEADER.encode() + "Pop,Beyoncé,x,y,1,0,0,1,0\n".encode("latin-1"))

    with pytest.raises(ImportFileError, match=r"latin1.csv: line 2 has byte 0xe9 that is not UTF-8"):
        list(read_records(path, "kaggle-csv"))


def test_json_file_that_is_not_utf8_cannot_be_read(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('[\n{"track_name": "Beyoncé"}]'.encode("latin-1"))

    with pytest.raises(ImportFileError, match="line 2 has byte 0xe9"):
        list(read_records(path, "seed-json"))


def test_csv_missing_required_columns_cannot_be_read(tmp_path):
    path = write(tmp_path / "short.csv", "genre,artist_name\nPop,A\n")

    with pytest.raises(ImportFileError, match="the header lacks the column.*track_name"):
        list(read_records(path, "kaggle-csv"))


def test_unknown_format_name_and_missing_crawl_files_are_file_errors(tmp_path):
    path = write(tmp_path / "track.csv", CRAWL_HEADERS["track.csv"])

    with pytest.raises(ImportFileError, match="unknown format 'xml'. Known formats: mpd"):
        read_records(path, "xml")
    with pytest.raises(ImportFileError, match="artist.csv, album.csv, audio.csv not found"):
        list(read_records(path, "spotify-api-csv"))


def test_unreadable_file_is_a_file_error(tmp_path):
    with pytest.raises(ImportFileError, match="cannot read this file"):
        list(read_records(tmp_path / "gone.json", "mpd"))
