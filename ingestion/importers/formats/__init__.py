"""File formats of the catalog importers: which ones exist, how to tell them apart, and reading them.

Pure parsing, no database: `read_records` streams TrackRecords / PlaylistRecords and Rejections, each
with an Origin (file as given, 1-based line where its row or object starts). A bad row never raises; it
becomes a Rejection whose reason names the column and the value. A file that cannot be read at all
(missing, unreadable, not UTF-8, wrong columns, unknown format) raises ImportFileError, before the first
record is yielded. Invalid JSON is the one exception: it yields a single Rejection at the syntax error's
line and stops reading that file, keeping what came before it.

Value rules (see values.py): features are checked against ingestion.models.FEATURE_RANGES and a bad one
rejects the whole row; Spotify's "not detected" markers (tempo 0, time signature 0 or 1) become None,
key -1 is kept; a row with no audio feature at all has features=None.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ingestion.importers.formats import kaggle_csv, mpd, seed_csv, seed_json, spotify_api_csv
from ingestion.importers.formats.textfiles import ImportFileError, count_lines, first_text
from ingestion.importers.records import PlaylistRecord, Rejection, TrackRecord

__all__ = [
    "FORMATS",
    "FormatInfo",
    "ImportFileError",
    "detect_format",
    "expand_paths",
    "progress_total",
    "read_records",
]

Parsed = TrackRecord | PlaylistRecord | Rejection


@dataclass(frozen=True)
class FormatInfo:
    name: str
    kind: Literal["catalog", "playlists"]
    description: str


@dataclass(frozen=True)
class _Format:
    info: FormatInfo
    looks_like: Callable[[str], bool]  # given the first 64 KiB of a file as text
    read: Callable[[Path], Iterator[Parsed]]
    lines_file: Callable[[Path], Path]  # the file whose lines the origins walk through


def _itself(path: Path) -> Path:
    return path


# In detection order: the first whose looks_like accepts a file wins.
_REGISTRY: tuple[_Format, ...] = (
    _Format(
        FormatInfo("mpd", "playlists", "Million Playlist Dataset slice: JSON object with a \"playlists\" list"),
        mpd.looks_like, mpd.read, _itself,
    ),
    _Format(
        FormatInfo("seed-json", "catalog", "seed dataset track_dataset.json: JSON array of track objects"),
        seed_json.looks_like, seed_json.read, _itself,
    ),
    _Format(
        FormatInfo(
            "spotify-api-csv", "catalog",
            "spotify-api-2021 crawl: a directory with artist.csv, album.csv, track.csv, audio.csv",
        ),
        spotify_api_csv.looks_like, spotify_api_csv.read, spotify_api_csv.lines_file,
    ),
    _Format(
        FormatInfo("kaggle-csv", "catalog", "Kaggle SpotifyFeatures.csv: genre,artist_name,track_name,track_id,…"),
        kaggle_csv.looks_like, kaggle_csv.read, _itself,
    ),
    _Format(
        FormatInfo("seed-csv", "catalog", "seed dataset track_data.csv: ,id,artist_name,track_name,album_name,…"),
        seed_csv.looks_like, seed_csv.read, _itself,
    ),
)
_BY_NAME = {fmt.info.name: fmt for fmt in _REGISTRY}
FORMATS: dict[str, FormatInfo] = {fmt.info.name: fmt.info for fmt in _REGISTRY}


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """The units to import, in order and without repeats.

    A directory of MPD slices gives its *.json files sorted by name; a spotify-api directory (holding
    artist.csv, album.csv, track.csv, audio.csv) is one unit, and so is any of those four files (so that
    `dir/*.csv` imports the crawl once); any other file is itself. A missing path raises ImportFileError.
    """
    units: list[Path] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise ImportFileError(f"{path}: no such file or directory.")
        units.extend(_units_in(path))
    return list(dict.fromkeys(units))


def _units_in(path: Path) -> list[Path]:
    if spotify_api_csv.is_member_file(path):
        return [path.parent]
    if not path.is_dir() or spotify_api_csv.is_unit_directory(path):
        return [path]
    slices = sorted((child for child in path.glob("*.json") if child.is_file()), key=lambda child: child.name)
    if not slices:
        raise ImportFileError(
            f"{path}: this directory holds neither MPD slices (*.json) nor the four spotify-api CSV files "
            f"({', '.join(spotify_api_csv.COLUMNS)}). Give the files to import instead."
        )
    return slices


def detect_format(path: Path) -> str:
    """The FORMATS name of a file (or spotify-api directory), told from its content rather than its name."""
    path = Path(path)
    if path.is_dir():
        if spotify_api_csv.is_unit_directory(path):
            return "spotify-api-csv"
        raise ImportFileError(f"{path}: a directory is only importable as a spotify-api-csv crawl. {_known()}")
    head = first_text(path)
    if not head.strip():
        raise ImportFileError(f"{path}: the file is empty.")
    for fmt in _REGISTRY:
        if fmt.looks_like(head):
            return fmt.info.name
    first_line = head.lstrip().partition("\n")[0]
    raise ImportFileError(
        f"{path}: cannot tell which format this file is in (it starts with {first_line[:80]!r}). {_known()}"
    )


def read_records(path: Path, format_name: str) -> Iterator[Parsed]:
    """Records and rejections of one unit, in file order (see the module docstring for errors)."""
    path = Path(path)
    fmt = _format(format_name)
    if path.is_dir() and fmt.info.name != "spotify-api-csv":
        raise ImportFileError(f"{path}: is a directory; a {fmt.info.name} import reads files.")
    return fmt.read(path)


def progress_total(path: Path, format_name: str) -> int:
    """How many lines the origins of this unit walk through (for a progress bar driven by origin.line).

    For spotify-api-csv that is track.csv; its artist/album/audio rejections, which come first, point
    into the other files and are best not counted as progress.
    """
    path = Path(path)
    return count_lines(_format(format_name).lines_file(path))


def _format(name: str) -> _Format:
    if name not in _BY_NAME:
        raise ImportFileError(f"unknown format {name!r}. {_known()}")
    return _BY_NAME[name]


def _known() -> str:
    listing = "; ".join(f"{info.name} ({info.description})" for info in FORMATS.values())
    return f"Known formats: {listing}. Choose one explicitly if the file is in one of them."
