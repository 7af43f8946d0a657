"""`spotify-api-csv`: a relational crawl of the Spotify Web API (spotify-api-2021): four CSV files in one directory.

artist.csv, album.csv and audio.csv are read into memory first (they are joined to); track.csv is then
streamed, and each track is joined to its album (track_album_id), its artist (track_artist_id) and its
audio row (track_id). The unit is the directory; any one of the four files stands for it.

- Origins of tracks point into track.csv, so progress follows track.csv's lines.
- A bad artist, album or audio row is rejected at its own file:line; these rejections come first, before
  any track. Tracks that need such a row (or one that does not exist) are rejected, the reason naming the
  missing or rejected row. A track without an audio row is kept with features=None.
- An album whose main artist has no usable row keeps artist=None: the album is identified by its id and
  the rest of it is still right.
- audio.csv's track_duration is the track's duration_ms.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingestion.importers.formats import values as v
from ingestion.importers.formats.textfiles import CsvRow, ImportFileError, csv_rows, header_columns
from ingestion.importers.records import AlbumRecord, ArtistRecord, Rejection, TrackFeatures, TrackRecord

COLUMNS = {
    "artist.csv": ("artist_id", "artist_name", "artist_genre", "artist_popularity", "artist_followers"),
    "album.csv": ("album_id", "album_name", "album_release_date", "album_artist_id"),
    "track.csv": ("track_id", "track_name", "track_artist_id", "track_album_id"),
    "audio.csv": ("track_id", "track_duration", "danceability", "energy", "valence"),
}
TRACK_FILE = "track.csv"


@dataclass(frozen=True, slots=True)
class Audio:
    duration_ms: int | None
    features: TrackFeatures | None


# A joined table: id -> the parsed row, or the Rejection of a row with that id.
Table = dict[str, object]


def looks_like(head: str) -> bool:
    columns = header_columns(head)
    return any(set(required) <= columns for required in COLUMNS.values())


def is_unit_directory(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in COLUMNS)


def is_member_file(path: Path) -> bool:
    """One of the four files, with its three siblings beside it."""
    return path.name in COLUMNS and is_unit_directory(path.parent)


def unit_directory(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def lines_file(path: Path) -> Path:
    return unit_directory(path) / TRACK_FILE


def read(path: Path) -> Iterator[TrackRecord | Rejection]:
    directory = unit_directory(path)
    missing = [name for name in COLUMNS if not (directory / name).is_file()]
    if missing:
        raise ImportFileError(
            f"{path}: a spotify-api-csv import needs {', '.join(COLUMNS)} in one directory; "
            f"{', '.join(missing)} not found in {directory}."
        )
    artists: Table = {}
    albums: Table = {}
    audio: Table = {}
    yield from _load(directory / "artist.csv", "artist_id", _artist, artists)
    yield from _load(directory / "album.csv", "album_id", lambda row: _album(row, artists), albums)
    yield from _load(directory / "audio.csv", "track_id", _audio, audio)
    for row in csv_rows(directory / TRACK_FILE, required=COLUMNS[TRACK_FILE]):
        if isinstance(row, Rejection):
            yield row
            continue
        try:
            yield _track(row, artists, albums, audio)
        except v.BadValue as problem:
            yield Rejection(row.origin, str(problem))


def _load(path: Path, key: str, parse: Callable[[dict[str, str]], object], table: Table) -> Iterator[Rejection]:
    """Fill `table` by id; yield the rejections. A good row wins over a rejected one with the same id."""
    for row in csv_rows(path, required=COLUMNS[path.name]):
        if isinstance(row, Rejection):
            yield row
            continue
        row_id = row.values[key].strip()
        try:
            table[row_id] = parse(row.values)
        except v.BadValue as problem:
            rejection = Rejection(row.origin, str(problem))
            table.setdefault(row_id, rejection)
            yield rejection


def _artist(row: dict[str, str]) -> ArtistRecord:
    return ArtistRecord(
        name=v.text(row["artist_name"], "artist_name", max_length=v.MAX_LENGTH["artist"]),
        spotify_id=v.spotify_id(row["artist_id"], "artist_id", "artist"),
        genres=v.genres(row["artist_genre"], "artist_genre"),
        popularity=v.popularity(row["artist_popularity"], "artist_popularity"),
        followers=v.followers(row["artist_followers"], "artist_followers"),
        image_url=v.url(row.get("artist_image"), "artist_image"),
    )


def _album(row: dict[str, str], artists: Table) -> AlbumRecord:
    date, precision = v.release_date(row["album_release_date"], "album_release_date")
    artist = artists.get(row["album_artist_id"].strip())
    return AlbumRecord(
        name=v.text(row["album_name"], "album_name", max_length=v.MAX_LENGTH["album"]),
        spotify_id=v.spotify_id(row["album_id"], "album_id", "album"),
        artist=artist if isinstance(artist, ArtistRecord) else None,
        release_date=date,
        release_date_precision=precision,
        image_url=v.url(row.get("album_image"), "album_image"),
    )


def _audio(row: dict[str, str]) -> Audio:
    v.spotify_id(row["track_id"], "track_id", "track")
    duration = v.duration_ms(row["track_duration"], "track_duration")
    return Audio(duration, v.track_features(row, duration=duration))


def _track(row: CsvRow, artists: Table, albums: Table, audio: Table) -> TrackRecord:
    values = row.values
    track_id = v.spotify_id(values["track_id"], "track_id", "track")
    artist = _joined(artists, values["track_artist_id"], "track_artist_id", "artist.csv")
    album = _joined(albums, values["track_album_id"], "track_album_id", "album.csv")
    sound = audio.get(track_id, Audio(None, None))
    if isinstance(sound, Rejection):
        raise v.BadValue(f"its audio row was rejected ({sound.origin})")
    return TrackRecord(
        name=v.text(values["track_name"], "track_name", max_length=v.MAX_LENGTH["track"]),
        origin=row.origin,
        spotify_id=track_id,
        artists=(artist,),
        album=album,
        duration_ms=sound.duration_ms,
        explicit=v.explicit(values.get("track_explicit"), "track_explicit"),
        popularity=v.popularity(values.get("track_popularity"), "track_popularity"),
        features=sound.features,
    )


def _joined(table: Table, raw_id: str, column: str, file_name: str) -> object:
    key = raw_id.strip()
    if not key:
        raise v.BadValue(f"{column} is missing")
    found = table.get(key)
    if found is None:
        raise v.BadValue(f"{column} {key} has no row in {file_name}")
    if isinstance(found, Rejection):
        raise v.BadValue(f"{column} {key} refers to a rejected row ({found.origin})")
    return found
