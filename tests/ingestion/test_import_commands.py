"""import_catalog / import_playlists as an operator uses them: files in, a summary and an exit code out."""
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from ingestion.models import ImportRun, Playlist, PlaylistTrack, Track
from tests.factories import fake_spotify_id

pytestmark = pytest.mark.django_db


def seed_row(n: int, **overrides) -> dict:
    row = {
        "artist_name": f"Artist {n}", "track_name": f"Song {n}", "album_name": f"Album {n}",
        "artist_genre": ["k-pop", "dance pop"], "artist_popularity": 80, "track_popularity": 70,
        "artist_followers": 1000, "danceability": 0.5, "energy": 0.6, "key": 5, "loudness": -5.1,
        "speechiness": 0.05, "acousticness": 0.1, "instrumentalness": 0.0, "liveness": 0.1, "valence": 0.7,
        "tempo": 120.0, "duration_ms": 200000, "time_signature": 4, "uri": f"spotify:track:{fake_spotify_id(n)}",
        "release_date": "2022-05-20", "album_image": "https://i.scdn.co/image/x", "id": fake_spotify_id(n),
    }
    return {**row, **overrides}


def write_seed_json(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows, indent=1))
    return path


def write_mpd_slice(path: Path, playlists: list[tuple[int, str, list[int]]]) -> Path:
    body = {
        "info": {"slice": "0-999", "version": "v1"},
        "playlists": [
            {
                "name": name, "pid": pid, "num_followers": 12,
                "tracks": [
                    {"artist_name": f"Artist {n}", "track_uri": f"spotify:track:{fake_spotify_id(n)}",
                     "track_name": f"Song {n}"}
                    for n in numbers
                ],
            }
            for pid, name, numbers in playlists
        ],
    }
    path.write_text(json.dumps(body, indent=4))
    return path


def run(command: str, *args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, "--no-progress", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_import_catalog_prints_summary_and_second_run_changes_nothing(tmp_path):
    path = write_seed_json(tmp_path / "tracks.json", [seed_row(1), seed_row(2)])
    code, out, _ = run("import_catalog", str(path))
    assert code == 0
    assert "tracks:    2 created, 0 updated, 0 unchanged" in out
    stamps = list(Track.objects.values_list("updated_at", flat=True))
    code, out, _ = run("import_catalog", str(path))
    assert (code, "tracks:    0 created, 0 updated, 2 unchanged" in out) == (0, True)
    assert list(Track.objects.values_list("updated_at", flat=True)) == stamps
    assert ImportRun.objects.filter(status="succeeded").count() == 2


def test_bad_row_is_reported_by_line_and_good_rows_still_import(tmp_path):
    path = write_seed_json(tmp_path / "tracks.json", [seed_row(1), seed_row(2, danceability=167303)])
    code, out, err = run("import_catalog", str(path))
    assert code == 1
    assert f"{path}:" in err and "danceability" in err
    assert list(Track.objects.values_list("name", flat=True)) == ["Song 1"]
    run_row = ImportRun.objects.get()
    assert (run_row.status, run_row.created, run_row.rejected) == ("rejections", 1, 1)
    assert "danceability" in run_row.rejections.get().reason


def test_missing_file_is_a_clear_message_not_a_traceback(tmp_path):
    code, _, err = run("import_catalog", str(tmp_path / "nope.json"))
    assert code == 1
    assert "nope.json" in err and "Traceback" not in err
    assert Track.objects.count() == 0


def test_unknown_file_format_is_named(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some words\n")
    code, _, err = run("import_catalog", str(path))
    assert code == 1 and "notes.txt" in err


def test_playlist_file_given_to_import_catalog_points_to_import_playlists(tmp_path):
    path = write_mpd_slice(tmp_path / "mpd.slice.0-999.json", [(1, "coding", [1, 2])])
    code, _, err = run("import_catalog", str(path))
    assert code == 1 and "import_playlists" in err
    assert Playlist.objects.count() == 0


def test_import_playlists_from_a_directory_twice(tmp_path):
    write_mpd_slice(tmp_path / "mpd.slice.0-999.json", [(1, "coding", [1, 2, 3]), (2, "gym", [3, 4])])
    write_mpd_slice(tmp_path / "mpd.slice.1000-1999.json", [(1000, "rainy day", [2, 5])])
    code, out, _ = run("import_playlists", str(tmp_path))
    assert code == 0
    assert "playlists: 3 created" in out and "tracks:    5 created" in out
    assert PlaylistTrack.objects.count() == 7
    code, out, _ = run("import_playlists", str(tmp_path))
    assert code == 0 and "playlists: 0 created, 0 updated, 3 unchanged" in out and "entries:   0 written" in out


def test_json_summary_for_scripts(tmp_path):
    path = write_seed_json(tmp_path / "tracks.json", [seed_row(1)])
    code, out, _ = run("import_catalog", str(path), "--json")
    summary = json.loads(out)
    assert (code, summary["created"], summary["rejected"], summary["format"]) == (0, 1, 0, "seed-json")


# --- the real datasets beside the project (skipped on a fresh clone without ../shared) ---


def test_seed_dataset_gives_585_tracks_with_features_and_genres_and_reimport_changes_nothing(shared_data):
    path = str(shared_data / "seed-dataset" / "track_dataset.json")
    code, out, _ = run("import_catalog", path)
    assert code == 0
    assert Track.objects.count() == 585
    assert not Track.objects.filter(features_source="missing").exists()
    rows_with_genres = {row["id"] for row in json.loads(Path(path).read_text()) if row["artist_genre"]}
    assert set(Track.objects.filter(artists__genres__isnull=False).values_list("spotify_id", flat=True)) == (
        rows_with_genres
    )
    stamps = dict(Track.objects.values_list("spotify_id", "updated_at"))
    code, out, _ = run("import_catalog", path)
    assert code == 0 and "0 created, 0 updated, 585 unchanged" in out
    assert dict(Track.objects.values_list("spotify_id", "updated_at")) == stamps


def test_spotify_features_csv_keeps_good_rows_and_names_the_truncated_line(shared_data):
    path = shared_data / "spotifyfeatures-partial" / "SpotifyFeatures.csv"
    code, out, err = run("import_catalog", str(path))
    assert code == 1
    assert err.strip().splitlines() == [f"{path}:19830: truncated row: expected 18 fields, found 11"]
    assert Track.objects.count() == 19160  # distinct track ids among the 19,828 good rows
    assert Track.objects.get(spotify_id="7hiF0pKdqSaN2kVqCF5ISG").time_signature == 4


def test_mpd_dev_gives_every_playlist_and_entry(shared_data):
    code, out, _ = run("import_playlists", str(shared_data / "mpd-dev"))
    assert code == 0
    assert Playlist.objects.count() == 3359
    assert PlaylistTrack.objects.count() == 328949
    assert Track.objects.count() == 121286


def test_rows_repeating_a_track_with_other_values_do_not_flip_on_reimport(tmp_path, monkeypatch):
    monkeypatch.setattr("ingestion.services.imports.TRACK_BATCH", 2)  # the repeats land in different batches
    rows = [seed_row(1, track_popularity=10), seed_row(2), seed_row(3), seed_row(1, track_popularity=20)]
    path = write_seed_json(tmp_path / "tracks.json", rows)
    assert run("import_catalog", str(path))[0] == 0
    assert Track.objects.get(spotify_id=fake_spotify_id(1)).popularity == 20  # the file's last word
    code, out, _ = run("import_catalog", str(path))
    assert "0 created, 0 updated, 3 unchanged" in out
