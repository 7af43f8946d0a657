"""Writing the synthetic demo catalog (ingestion.demo) to the database, and taking it out again.

Demo rows are marked wherever they show: artists, albums and tracks have `is_demo=True` and no Spotify
id (they are not Spotify items), playlists have source "demo" and say so in their description.
Non-demo rows are never changed; existing genres are reused by name.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from ingestion.demo import DemoCatalog, demo_catalog_generate
from ingestion.models import Album, Artist, Genre, Playlist, PlaylistTrack, Track, TrackArtist

WRITE_BATCH = 2000
QUERY_CHUNK = 500  # names per `IN (...)` query; well under SQLite's variable limit
DEMO_LOCK_ID = 0x7D3E0_5EED  # PostgreSQL advisory lock key held while seeding
# Demo features are synthetic, a source the model cannot name yet; "imported" is the closest honest one
# (not "spotify", and not "estimated", which an estimator may recompute). is_demo says what they are.
DEMO_FEATURES_SOURCE = Track.FeatureSource.IMPORTED
DEMO_NAME_SUFFIX = " (demo)"  # for a demo artist whose made-up name a real id-less artist already has


class DemoCatalogConflict(Exception):
    """Demo rows exist but are not the catalog asked for (another scale, edited or partly deleted)."""


@dataclass(frozen=True, slots=True)
class DemoSeedSummary:
    status: str  # "created" or "present" (nothing changed)
    tracks: int
    artists: int
    albums: int
    genres: int
    playlists: int
    entries: int
    seconds: float
    release_dates_relative_to: dt.date | None  # the day it was seeded; None if present from an older run
    deleted: dict[str, int] = field(default_factory=dict)  # rows removed by a reset, per model

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        dates_from = self.release_dates_relative_to
        data["release_dates_relative_to"] = dates_from.isoformat() if dates_from else None
        return data

    def __str__(self) -> str:
        counts = (
            f"{self.tracks} tracks, {self.artists} artists, {self.genres} genres, "
            f"{self.playlists} playlists ({self.entries} entries)"
        )
        if self.status == "present":
            return f"Demo catalog already present: {counts}; nothing changed (--reset rebuilds it)."
        return f"Demo catalog: {counts}, created in {self.seconds:.1f} s"


def demo_catalog_seed(
    *, scale: float = 1.0, progress: bool = False, reset: bool = False, today: dt.date | None = None
) -> DemoSeedSummary:
    """Write the demo catalog for `scale` in one transaction, release dates counted back from `today`.

    Safe to re-run: if the same demo catalog is already present nothing changes (status "present").
    If different demo rows are present, raises DemoCatalogConflict unless `reset`, which first deletes
    all demo rows (see demo_catalog_delete). Non-demo rows are never changed.
    """
    started = time.monotonic()
    today = today or timezone.localdate()
    catalog = demo_catalog_generate(scale=scale, today=today)
    with transaction.atomic():
        _wait_for_other_seeders()
        deleted = demo_catalog_delete() if reset else {}
        artist_names = _artist_names(catalog)
        present = _present_fingerprint()
        if present == _catalog_fingerprint(catalog, artist_names):
            return _summary(catalog, "present", started, None, deleted)
        if present is not None:
            raise DemoCatalogConflict(
                "A different demo catalog is already present (another scale, or edited since); "
                "run `manage.py seed_demo --reset` to replace it."
            )
        _write_catalog(catalog, artist_names, timezone.now(), progress)
    return _summary(catalog, "created", started, today, deleted)


def demo_catalog_delete() -> dict[str, int]:
    """Delete every demo row: demo playlists, and artists, albums and tracks with is_demo=True.

    Returns the rows deleted per model. Anything pointing at a demo track goes with it (an entry of a
    non-demo playlist that holds a demo track, say). Genres stay: other artists may carry them.
    """
    deleted: Counter[str] = Counter()
    for queryset in (
        Playlist.objects.filter(source=Playlist.Source.DEMO),
        Track.objects.filter(is_demo=True),
        Album.objects.filter(is_demo=True),
        Artist.objects.filter(is_demo=True),
    ):
        deleted.update(queryset.delete()[1])
    return {label: count for label, count in sorted(deleted.items()) if count}


def _wait_for_other_seeders() -> None:
    """Two seeders at once would both find no demo rows: the second waits, then finds the first's.

    SQLite needs nothing: the project's IMMEDIATE transactions already let one writer in at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DEMO_LOCK_ID])


def _summary(
    catalog: DemoCatalog, status: str, started: float, today: dt.date | None, deleted: dict[str, int]
) -> DemoSeedSummary:
    return DemoSeedSummary(
        status=status,
        tracks=len(catalog.tracks),
        artists=len(catalog.artists),
        albums=len(catalog.albums),
        genres=len(catalog.genres),
        playlists=len(catalog.playlists),
        entries=catalog.entries,
        seconds=round(time.monotonic() - started, 3),
        release_dates_relative_to=today,
        deleted=deleted,
    )


# --- is it already there? ---

def _chunks(items: Sequence, size: int = QUERY_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _artist_names(catalog: DemoCatalog) -> list[str]:
    """The demo artists' names, suffixed where a real artist without id has the name (names are unique then)."""
    names = [artist.name for artist in catalog.artists]
    taken: set[str] = set()
    for chunk in _chunks(names):
        taken.update(
            Artist.objects.filter(spotify_id__isnull=True, is_demo=False, name__in=chunk).values_list("name", flat=True)
        )
    return [f"{name}{DEMO_NAME_SUFFIX}" if name in taken else name for name in names]


def _fingerprint(
    artists: Iterable[str], albums: int, tracks: Iterable[str], playlists: Iterable[tuple[str, str]], entries: int
) -> str:
    """A hash of what tells demo catalogs apart (names and counts), not of dates or curators' flags."""
    digest = hashlib.sha256()
    parts = (sorted(artists), [albums], sorted(tracks), sorted(f"{pid}\t{name}" for pid, name in playlists), [entries])
    for part in parts:
        digest.update("\n".join(map(str, part)).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _catalog_fingerprint(catalog: DemoCatalog, artist_names: list[str]) -> str:
    return _fingerprint(
        artist_names,
        len(catalog.albums),
        (track.name for track in catalog.tracks),
        ((playlist.external_id, playlist.name) for playlist in catalog.playlists),
        catalog.entries,
    )


def _present_fingerprint() -> str | None:
    """The fingerprint of the demo rows in the database, or None when there are none."""
    artists = list(Artist.objects.filter(is_demo=True).values_list("name", flat=True))
    tracks = list(Track.objects.filter(is_demo=True).values_list("name", flat=True))
    playlists = list(Playlist.objects.filter(source=Playlist.Source.DEMO).values_list("external_id", "name"))
    albums = Album.objects.filter(is_demo=True).count()
    if not (artists or tracks or playlists or albums):
        return None
    entries = PlaylistTrack.objects.filter(playlist__source=Playlist.Source.DEMO).count()
    return _fingerprint(artists, albums, tracks, playlists, entries)


# --- writing ---

def _write_catalog(catalog: DemoCatalog, artist_names: list[str], now: dt.datetime, progress: bool) -> None:
    stamps = {"first_seen": now, "updated_at": now}
    genre_pks = _genre_pks(catalog.genres)
    total = (
        len(catalog.artists) + sum(len(a.genres) for a in catalog.artists) + len(catalog.albums)
        + len(catalog.tracks) + sum(len(t.artists) for t in catalog.tracks) + len(catalog.playlists)
        + catalog.entries
    )
    with tqdm(total=total, unit="row", desc="seeding demo catalog", disable=not progress, file=sys.stderr) as bar:
        artists = _insert(Artist, _artist_rows(catalog, artist_names, stamps), bar)
        _insert(Artist.genres.through, _artist_genre_rows(catalog, artists, genre_pks), bar)
        albums = _insert(Album, _album_rows(catalog, artists, stamps), bar)
        tracks = _insert(Track, _track_rows(catalog, albums, stamps), bar)
        _insert(TrackArtist, _credit_rows(catalog, tracks, artists), bar)
        playlists = _insert(Playlist, _playlist_rows(catalog, stamps), bar)
        _insert(PlaylistTrack, _entry_rows(catalog, playlists, tracks), bar)


def _insert(model: type[models.Model], rows: list[models.Model], bar: tqdm) -> list[models.Model]:
    """bulk_create in batches; the rows come back with their primary keys (SQLite 3.35+, PostgreSQL)."""
    for batch in _chunks(rows, WRITE_BATCH):
        model.objects.bulk_create(batch)
        bar.update(len(batch))
    return rows


def _genre_pks(names: Sequence[str]) -> dict[str, int]:
    """Existing genres by name, creating the missing ones (tolerating a concurrent insert of the same name)."""
    Genre.objects.bulk_create([Genre(name=name) for name in names], ignore_conflicts=True)
    return dict(Genre.objects.filter(name__in=names).values_list("name", "pk"))


def _artist_rows(catalog: DemoCatalog, names: list[str], stamps: dict) -> list[Artist]:
    return [
        Artist(spotify_id=None, name=name, popularity=a.popularity, followers=a.followers, is_demo=True, **stamps)
        for a, name in zip(catalog.artists, names, strict=True)
    ]


def _artist_genre_rows(catalog: DemoCatalog, artists: list[Artist], genre_pks: dict[str, int]) -> list[models.Model]:
    through = Artist.genres.through
    return [
        through(artist_id=artists[index].pk, genre_id=genre_pks[genre])
        for index, artist in enumerate(catalog.artists)
        for genre in artist.genres
    ]


def _album_rows(catalog: DemoCatalog, artists: list[Artist], stamps: dict) -> list[Album]:
    return [
        Album(
            spotify_id=None, name=album.name, artist_id=artists[album.artist].pk, release_date=album.release_date,
            release_date_precision=album.release_date_precision, is_demo=True, **stamps,
        )
        for album in catalog.albums
    ]


def _track_rows(catalog: DemoCatalog, albums: list[Album], stamps: dict) -> list[Track]:
    rows = []
    for track in catalog.tracks:
        source = DEMO_FEATURES_SOURCE if track.features else Track.FeatureSource.MISSING
        rows.append(Track(
            spotify_id=None, name=track.name, album_id=albums[track.album].pk, duration_ms=track.duration_ms,
            explicit=track.explicit, popularity=track.popularity, features_source=source, is_demo=True,
            **(track.features or {}), **stamps,
        ))
    return rows


def _credit_rows(catalog: DemoCatalog, tracks: list[Track], artists: list[Artist]) -> list[TrackArtist]:
    return [
        TrackArtist(track_id=tracks[index].pk, artist_id=artists[artist].pk, position=position)
        for index, track in enumerate(catalog.tracks)
        for position, artist in enumerate(track.artists)
    ]


def _playlist_rows(catalog: DemoCatalog, stamps: dict) -> list[Playlist]:
    return [
        Playlist(
            source=Playlist.Source.DEMO, external_id=p.external_id, name=p.name, description=p.description,
            followers=p.followers, **stamps,
        )
        for p in catalog.playlists
    ]


def _entry_rows(catalog: DemoCatalog, playlists: list[Playlist], tracks: list[Track]) -> list[PlaylistTrack]:
    return [
        PlaylistTrack(playlist_id=playlists[index].pk, track_id=tracks[track].pk, position=position)
        for index, playlist in enumerate(catalog.playlists)
        for position, track in enumerate(playlist.tracks)
    ]
