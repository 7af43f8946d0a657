"""`kaggle-csv`: Kaggle's "Ultimate Spotify Tracks DB" (SpotifyFeatures.csv).

Columns: genre, artist_name, track_name, track_id, popularity, the audio features, duration_ms.
- The `genre` label describes the track, so it is added to the artist's genres (genres_replace=False).
  Artists have no Spotify id here and are named only.
- key is a pitch name: C, C#, Db … B -> 0..11 (sharps and flats both accepted; plain numbers too).
- mode is Major / Minor -> 1 / 0.
- time_signature is written like "4/4" (beats per bar / beat unit), but a spreadsheet opened the file in a
  US locale and turned every "m/4" it could into the date "4-<month m>": 3/4 became 4-Mar, 5/4 4-May,
  1/4 4-Jan. So the month is the beats per bar and the day (always 4) the beat unit. The data agrees:
  4-Apr 93 %, 4-Mar 5.6 %, 4-May 1.0 %, 4-Jan 0.4 %, which is Spotify's usual 4 ≫ 3 > 5 > 1 spread, and
  the one "0/4" stayed text because month 0 is no date. 1/4 and 0/4 are Spotify's "not detected" markers
  and become None. Any other day than 4 is rejected, as no time signature would produce it.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ingestion.importers.formats import values as v
from ingestion.importers.formats.textfiles import header_columns
from ingestion.importers.records import ArtistRecord, Origin, Rejection, TrackRecord

REQUIRED_COLUMNS = ("genre", "artist_name", "track_name", "track_id", "popularity", "danceability", "energy", "valence")

_NATURALS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"": 0, "#": 1, "♯": 1, "b": -1, "♭": -1}
_PITCH = re.compile(r"([A-Ga-g])([#♯b♭]?)")
_MODES = {"major": 1, "minor": 0}
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)")
_SPREADSHEET_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})")
_BEAT_UNIT = 4


def looks_like(head: str) -> bool:
    return set(REQUIRED_COLUMNS) <= header_columns(head)


def read(path: Path) -> Iterator[TrackRecord | Rejection]:
    return v.csv_track_records(path, required=REQUIRED_COLUMNS, build=_track)


def _track(row: dict[str, str], origin: Origin) -> TrackRecord:
    genre = row["genre"]
    artist = ArtistRecord(
        name=v.text(row["artist_name"], "artist_name", max_length=v.MAX_LENGTH["artist"]),
        genres=None if v.is_blank(genre) else v.genre_names([genre], "genre"),
        genres_replace=False,
    )
    duration = v.duration_ms(row.get("duration_ms"), "duration_ms")
    features = {
        **row,
        "key": pitch_class(row.get("key")),
        "mode": mode(row.get("mode")),
        "time_signature": beats_per_bar(row.get("time_signature")),
    }
    return TrackRecord(
        name=v.text(row["track_name"], "track_name", max_length=v.MAX_LENGTH["track"]),
        origin=origin,
        spotify_id=v.spotify_id(row["track_id"], "track_id", "track"),
        artists=(artist,),
        duration_ms=duration,
        popularity=v.popularity(row["popularity"], "popularity"),
        features=v.track_features(features, duration=duration),
    )


def pitch_class(raw: str | None) -> int | str | None:
    """C -> 0 … B -> 11; blanks and numbers pass through for the shared range check."""
    if v.is_blank(raw) or _is_number(raw):
        return raw
    match = _PITCH.fullmatch(raw.strip())
    if match is None:
        raise v.BadValue(f"key {v.shown(raw)} is not a pitch name like C, C#, Db or B")
    letter, accidental = match.groups()
    return (_NATURALS[letter.upper()] + _ACCIDENTALS[accidental]) % 12


def mode(raw: str | None) -> int | str | None:
    if v.is_blank(raw) or _is_number(raw):
        return raw
    if raw.strip().lower() not in _MODES:
        raise v.BadValue(f"mode {v.shown(raw)} is not Major or Minor")
    return _MODES[raw.strip().lower()]


def beats_per_bar(raw: str | None) -> int | str | None:
    """"4/4" -> 4; the spreadsheet's "4-Mar" (from 3/4) -> 3; see the module docstring."""
    if v.is_blank(raw) or _is_number(raw):
        return raw
    text = raw.strip()
    if fraction := _FRACTION.fullmatch(text):
        return int(fraction.group(1))
    date = _SPREADSHEET_DATE.fullmatch(text)
    if date and int(date.group(1)) == _BEAT_UNIT and date.group(2).lower() in _MONTHS:
        return _MONTHS[date.group(2).lower()]
    raise v.BadValue(f"time_signature {v.shown(raw)} is not a time signature like 4/4 (or 4-Apr, a spreadsheet's 4/4)")


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True
