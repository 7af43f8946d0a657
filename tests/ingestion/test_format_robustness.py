"""Damaged input never ends in a traceback: every format yields records and rejections, or raises ImportFileError."""
import json
import random

import pytest

from ingestion.importers.formats import ImportFileError, read_records
from ingestion.importers.records import PlaylistRecord, Rejection, TrackRecord

TRACK = "4Dvkj6JhhA12EX05fT7y2e"
SAMPLES = {
    "seed-json": json.dumps(
        [{"id": TRACK, "artist_name": "A", "track_name": "B", "album_name": "C", "artist_genre": ["pop"],
          "danceability": 0.5, "energy": 0.5, "valence": 0.5, "tempo": 120.0, "release_date": "2020-01-02"}] * 3,
        indent=1,
    ),
    "seed-csv": ",id,artist_name,track_name,album_name,artist_genre,danceability,energy,valence,duration_ms\n"
    + f"0,{TRACK},A,B,C,\"['pop', 'rock']\",0.5,0.5,0.5,1000\n" * 3,
    "kaggle-csv": "genre,artist_name,track_name,track_id,popularity,danceability,energy,valence,key,mode,"
    + "time_signature\n"
    + f"Pop,A,B,{TRACK},5,0.5,0.5,0.5,C#,Major,4-Apr\n" * 3,
    "mpd": json.dumps(
        {"info": {}, "playlists": [{"name": "P", "pid": 1, "num_followers": 2, "tracks": [
            {"pos": 0, "artist_name": "A", "track_uri": f"spotify:track:{TRACK}", "track_name": "B"}]}] * 3},
        indent=1,
    ),
}


def damaged(text: str, rng: random.Random) -> bytes:
    """The text with a few bytes overwritten, removed or duplicated, or cut short."""
    data = bytearray(text.encode())
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        at = rng.randrange(len(data))
        action = rng.choice(["overwrite", "delete", "duplicate", "cut"])
        if action == "overwrite":
            data[at] = rng.choice(b'0123456789.,-"[]{}:\n \\xAZaz\x00\xff\xc3')
        elif action == "delete":
            del data[at]
        elif action == "duplicate":
            data[at:at] = data[at : at + rng.randint(1, 20)]
        else:
            del data[at:]
    return bytes(data)


@pytest.mark.parametrize("format_name", sorted(SAMPLES))
def test_damaged_files_give_records_rejections_or_a_file_error(tmp_path, format_name):
    rng = random.Random(format_name)
    path = tmp_path / "damaged"
    for _ in range(300):
        path.write_bytes(damaged(SAMPLES[format_name], rng))
        try:
            items = list(read_records(path, format_name))
        except ImportFileError as error:
            assert str(path) in str(error)
            continue
        assert all(isinstance(item, TrackRecord | PlaylistRecord | Rejection) for item in items)
        assert all(item.origin.line >= 1 for item in items)


@pytest.mark.parametrize("format_name", sorted(SAMPLES))
def test_undamaged_samples_parse_whole(tmp_path, format_name):
    path = tmp_path / "sample"
    path.write_text(SAMPLES[format_name], encoding="utf-8")

    items = list(read_records(path, format_name))

    assert len(items) == 3
    assert not any(isinstance(item, Rejection) for item in items)
