"""Turning raw values (CSV text or JSON values) into validated record fields.

Each parser takes the raw value and the column it came from, and raises BadValue with a reason that
names the column and the value as written, e.g. `danceability 167303 is outside 0..1 (...)`. Blank
values (None, "", whitespace) mean "unknown" wherever a field is optional.

Spotify's own "could not detect" markers are unknowns, not errors: tempo 0 and time signatures 0 and 1
become None; key -1 ("no key detected") is kept, as the catalog allows it.
"""
from __future__ import annotations

import ast
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from ingestion.importers.formats.textfiles import csv_rows
from ingestion.importers.records import Origin, Rejection, TrackFeatures, TrackRecord
from ingestion.models import FEATURE_FIELDS, FEATURE_RANGES, Album, Artist, Genre, Playlist, Track


class BadValue(ValueError):
    """A value that makes its row unusable; str() is the rejection reason."""


MAX_LENGTH = {
    "track": Track._meta.get_field("name").max_length,
    "artist": Artist._meta.get_field("name").max_length,
    "album": Album._meta.get_field("name").max_length,
    "playlist": Playlist._meta.get_field("name").max_length,
    "genre": Genre._meta.get_field("name").max_length,
    "url": Album._meta.get_field("image_url").max_length,
}
CORE_FEATURES = ("danceability", "energy", "valence")
WHOLE_FEATURES = frozenset({"key", "mode", "time_signature"})
# Values Spotify reports when its analysis found nothing: stored as unknown.
UNDETECTED = {"tempo": {0}, "time_signature": {0, 1}}

_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})
_GENRES_MAX_CHARS = 10_000  # ast.literal_eval is not meant for huge input


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def shown(raw: object) -> str:
    """A value as quoted in reasons: numbers bare (as written), other text in quotes."""
    if isinstance(raw, str):
        text = raw.strip()
        try:
            float(text)
        except ValueError:
            return repr(text if len(text) <= 60 else text[:57] + "...")
        return text
    return repr(raw)


def number(raw: object, column: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise BadValue(f"{column} {shown(raw)} is not a number")
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        raise BadValue(f"{column} {shown(raw)} is not a number") from None
    if not math.isfinite(value):
        raise BadValue(f"{column} {shown(raw)} is not a finite number")
    return value


def whole_number(raw: object, column: str) -> int:
    value = number(raw, column)
    if not value.is_integer():
        raise BadValue(f"{column} {shown(raw)} is not a whole number")
    return int(value)


def _optional_whole(raw: object, column: str, low: int, high: int | None) -> int | None:
    if is_blank(raw):
        return None
    value = whole_number(raw, column)
    if value < low or (high is not None and value > high):
        bounds = f"outside {low}..{high}" if high is not None else f"below {low}"
        raise BadValue(f"{column} {shown(raw)} is {bounds}")
    return value


def popularity(raw: object, column: str) -> int | None:
    return _optional_whole(raw, column, 0, 100)


def followers(raw: object, column: str) -> int | None:
    return _optional_whole(raw, column, 0, None)


def duration_ms(raw: object, column: str) -> int | None:
    return _optional_whole(raw, column, 1, None)


def explicit(raw: object, column: str) -> bool | None:
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise BadValue(f"{column} {shown(raw)} is not true/false")


def text(raw: object, column: str, *, max_length: int) -> str:
    """A required name: non-empty text, surrounding whitespace removed."""
    if not isinstance(raw, str):
        raise BadValue(f"{column} is missing" if raw is None else f"{column} {shown(raw)} is not text")
    value = _without_nul(raw, column).strip()
    if not value:
        raise BadValue(f"{column} is empty")
    if len(value) > max_length:
        raise BadValue(f"{column} is {len(value)} characters long, more than {max_length}")
    return value


def optional_text(raw: object, column: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise BadValue(f"{column} {shown(raw)} is not text")
    return _without_nul(raw, column).strip()


def _without_nul(raw: str, column: str) -> str:
    """PostgreSQL cannot store NUL characters, and no real name or description holds one."""
    if "\x00" in raw:
        raise BadValue(f"{column} contains a NUL character")
    return raw


def url(raw: object, column: str) -> str:
    value = optional_text(raw, column)
    if value and not value.startswith(("https://", "http://")):
        raise BadValue(f"{column} {shown(value)} is not an http(s) URL")
    if len(value) > MAX_LENGTH["url"]:
        raise BadValue(f"{column} is {len(value)} characters long, more than {MAX_LENGTH['url']}")
    return value


def spotify_id(raw: object, column: str, kind: str) -> str:
    """A 22-character base62 id, given bare or as a `spotify:<kind>:<id>` URI."""
    value = raw.strip() if isinstance(raw, str) else raw
    if isinstance(value, str) and value.startswith("spotify:"):
        prefix, _, value = value.rpartition(":")
        if prefix != f"spotify:{kind}":
            raise BadValue(f"{column} {shown(raw)} is not a spotify:{kind}: URI")
    if not isinstance(value, str) or not _SPOTIFY_ID.fullmatch(value):
        if is_blank(raw):
            raise BadValue(f"{column} is missing")
        raise BadValue(f"{column} {shown(raw)} is not a Spotify {kind} id (22 letters and digits)")
    return value


def optional_spotify_id(raw: object, column: str, kind: str) -> str | None:
    return None if is_blank(raw) else spotify_id(raw, column, kind)


def release_date(raw: object, column: str) -> tuple[dt.date | None, str]:
    """(date, precision): YYYY-MM-DD is a day, YYYY-MM a month, YYYY a year (kept as its first day)."""
    if is_blank(raw):
        return None, ""
    match = _DATE.fullmatch(raw.strip()) if isinstance(raw, str) else None
    try:
        if match is None:
            raise ValueError
        year, month, day = match.groups()
        date = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        written = repr(raw.strip()) if isinstance(raw, str) else shown(raw)  # quoted even when it looks like a number
        raise BadValue(f"{column} {written} is not a date like YYYY-MM-DD, YYYY-MM or YYYY") from None
    return date, "day" if day else "month" if month else "year"


def genres(raw: object, column: str) -> tuple[str, ...] | None:
    """A genre list: a JSON list, or CSV text holding a Python list like "['dance pop', 'pop']"."""
    if is_blank(raw):
        return None
    items = raw
    if isinstance(raw, str):
        if len(raw) > _GENRES_MAX_CHARS:
            raise BadValue(f"{column} is {len(raw)} characters long, too long for a genre list")
        try:
            items = ast.literal_eval(raw.strip())
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise BadValue(f"{column} {shown(raw)} is not a list like ['pop', 'rock']") from None
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise BadValue(f"{column} {shown(raw)} is not a list of genre names")
    return genre_names(items, column)


def genre_names(items: Iterable[str], column: str) -> tuple[str, ...]:
    """Trimmed, lower-cased and de-duplicated (first occurrence kept), empty names dropped."""
    names = tuple(dict.fromkeys(name for item in items if (name := " ".join(item.split()).lower())))
    too_long = [name for name in names if len(name) > MAX_LENGTH["genre"]]
    if too_long:
        raise BadValue(f"{column} has a genre longer than {MAX_LENGTH['genre']} characters: {shown(too_long[0])}")
    return names


def track_features(raw: Mapping[str, object], *, duration: int | None = None) -> TrackFeatures | None:
    """Audio features from the FEATURE_FIELDS columns of a row; None when the row has none of them.

    `duration` (the row's duration_ms) only sharpens the reason when a 0..1 column holds durations.
    """
    present = {name: raw[name] for name in FEATURE_FIELDS if not is_blank(raw.get(name))}
    if not present:
        return None
    missing = [name for name in CORE_FEATURES if name not in present]
    if missing:
        raise BadValue(f"{', '.join(missing)} missing while other audio features are present")
    values = {name: _feature(name, value, duration) for name, value in present.items()}
    return TrackFeatures(**values)


def _feature(name: str, raw: object, duration: int | None) -> float | int | None:
    value = whole_number(raw, name) if name in WHOLE_FEATURES else number(raw, name)
    if value in UNDETECTED.get(name, ()):
        return None
    low, high = FEATURE_RANGES[name]
    if not low <= value <= high:
        raise BadValue(f"{name} {shown(raw)} is outside {low:g}..{high:g}{_duration_hint(value, high, duration)}")
    return value


def _duration_hint(value: float, high: float, duration: int | None) -> str:
    """Why a 0..1 feature is huge: a known exporter bug put durations in the danceability column."""
    if high > 1 or value < 1000 or not float(value).is_integer():
        return ""
    if duration is not None and value == duration:
        return " (it equals duration_ms: the column holds durations)"
    return " (it looks like a duration in milliseconds)"


def csv_track_records(
    path: Path, *, required: Iterable[str], build: Callable[[Mapping[str, str], Origin], TrackRecord]
) -> Iterator[TrackRecord | Rejection]:
    """One TrackRecord per CSV row that `build` accepts; a row it refuses (BadValue) becomes a Rejection."""
    for row in csv_rows(path, required=tuple(required)):
        if isinstance(row, Rejection):
            yield row
            continue
        try:
            yield build(row.values, row.origin)
        except BadValue as problem:
            yield Rejection(row.origin, str(problem))
