"""Plain records that every file format is parsed into, and that the catalog service upserts.

A record holds only what its source said: `None` (or "" for text that is optional) means "this
source does not know", and never overwrites what the catalog already has. Parsers validate values
(ranges, types) and turn a bad row into a `Rejection` instead of a record, so a record is always
whole and valid.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record came from, for messages like `file:line: reason`; line 0 means the whole file."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Rejection:
    origin: Origin
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ArtistRecord:
    name: str
    spotify_id: str | None = None
    # None: unknown. A tuple (possibly empty) is what the source says the artist's genres are.
    genres: tuple[str, ...] | None = None
    # False for sources whose labels describe one track (Kaggle's `genre` column): they are added to
    # the artist's genres instead of replacing them.
    genres_replace: bool = True
    popularity: int | None = None
    followers: int | None = None
    image_url: str = ""


@dataclass(frozen=True, slots=True)
class AlbumRecord:
    name: str
    spotify_id: str | None = None
    # The album's main artist: with the name, the key of albums a source gives without an id.
    artist: ArtistRecord | None = None
    release_date: dt.date | None = None
    release_date_precision: str = ""  # "day" | "month" | "year" | "" (unknown)
    image_url: str = ""


@dataclass(frozen=True, slots=True)
class TrackFeatures:
    """Audio features, already validated against ingestion.models.FEATURE_RANGES.

    danceability, energy and valence are always present; the others may be unknown (Spotify reports
    tempo 0 and time signatures 0/1 when it could not detect them; parsers turn those into None).
    """

    danceability: float
    energy: float
    valence: float
    key: int | None = None
    loudness: float | None = None
    mode: int | None = None
    speechiness: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    liveness: float | None = None
    tempo: float | None = None
    time_signature: int | None = None


@dataclass(frozen=True, slots=True)
class TrackRecord:
    name: str
    origin: Origin
    spotify_id: str | None = None
    artists: tuple[ArtistRecord, ...] = ()
    album: AlbumRecord | None = None
    duration_ms: int | None = None
    explicit: bool | None = None
    popularity: int | None = None
    features: TrackFeatures | None = None
    # Where `features` came from: "imported" for files, "spotify" for the Web API, "estimated".
    features_source: str = "imported"


@dataclass(frozen=True, slots=True)
class PlaylistRecord:
    source: str  # ingestion.models.Playlist.Source value
    external_id: str
    name: str
    origin: Origin
    description: str = ""
    followers: int | None = None
    tracks: tuple[TrackRecord, ...] = field(default_factory=tuple)
