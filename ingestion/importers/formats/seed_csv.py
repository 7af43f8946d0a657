"""`seed-csv`: the seed dataset's older CSV export (track_data.csv).

The first column is an unnamed row index and is ignored; artist_genre is a Python-list string. The
original exporter wrote duration_ms into the danceability column: the 0..1 range check rejects those
rows, and the reason says the column holds durations. There is no release date or album image.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ingestion.importers.formats.seed import seed_track
from ingestion.importers.formats.textfiles import header_columns
from ingestion.importers.formats.values import csv_track_records
from ingestion.importers.records import Rejection, TrackRecord

REQUIRED_COLUMNS = (
    "id", "artist_name", "track_name", "album_name", "artist_genre", "danceability", "energy", "valence",
)


def looks_like(head: str) -> bool:
    return set(REQUIRED_COLUMNS) <= header_columns(head)


def read(path: Path) -> Iterator[TrackRecord | Rejection]:
    return csv_track_records(path, required=REQUIRED_COLUMNS, build=seed_track)
