"""Catalog snapshots: the whole catalog as one JSON file in the original project's format, kept in storage.

The file is the seed dataset's `track_dataset.json` format (`seed-json`), so `import_catalog` reads a snapshot
back: an array with one object per track, its main artist (with genres, popularity, followers) and album.
Written after each crawl and by `manage.py export_snapshot`, to default storage (S3 when a bucket is configured)
under `snapshots/catalog-YYYYMMDD-HHMMSS.json` (UTC).

What the format cannot hold is left out rather than bent: tracks without a Spotify id (the format's key), tracks
credited to no artist, and estimated audio features (a re-import would present them as measured ones); the
format has one artist per track, the main one. Tracks are read in primary-key pages and written to a local
temporary file; the finished file is then moved into place (local storage: `os.replace` in the same folder) or
uploaded whole (S3), so a snapshot under its final name is always complete.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from ingestion.models import FEATURE_FIELDS, Artist, Track, TrackArtist

logger = logging.getLogger(__name__)

SNAPSHOT_FOLDER = "snapshots"
SNAPSHOT_NAME = re.compile(r"catalog-\d{8}-\d{6}(?:_\w+)?\.json")
PAGE_SIZE = 2000  # tracks per query page
MEASURED_FEATURES = (Track.FeatureSource.SPOTIFY, Track.FeatureSource.IMPORTED)


@dataclass(frozen=True)
class Snapshot:
    name: str  # in default storage
    tracks: int  # written
    skipped: int  # left out: no Spotify id or no artist
    size: int  # bytes


def snapshot_export(*, reason: str) -> str:
    """Write a snapshot of the catalog to default storage and return its storage name.

    Adds one file (and deletes snapshots beyond the newest SNAPSHOTS_KEPT); never changes the catalog. Safe to
    re-run: each run writes a new, complete file.
    """
    return catalog_snapshot_write(reason=reason).name


def catalog_snapshot_write(*, reason: str, storage: Storage | None = None) -> Snapshot:
    """`snapshot_export` with the counts: how many tracks were written and left out, and the file's size."""
    storage = storage or default_storage
    name = f"{SNAPSHOT_FOLDER}/catalog-{timezone.now():%Y%m%d-%H%M%S}.json"
    with tempfile.TemporaryFile(mode="w+b") as local:
        tracks, skipped = _write_catalog(local)
        size = local.tell()
        local.seek(0)
        name = _store(storage, name, local)
    snapshots_prune(storage=storage, keep=settings.SNAPSHOTS_KEPT)
    logger.info("snapshot %s: %d tracks (%d left out), %d bytes; reason: %s", name, tracks, skipped, size, reason)
    return Snapshot(name=name, tracks=tracks, skipped=skipped, size=size)


def snapshots_prune(*, storage: Storage, keep: int) -> list[str]:
    """Delete all but the newest `keep` snapshots (0 keeps all); returns the names deleted."""
    if keep <= 0:
        return []
    try:
        _, files = storage.listdir(SNAPSHOT_FOLDER)
    except FileNotFoundError:  # local storage before the first snapshot (S3 lists an empty folder)
        return []
    names = sorted(name for name in files if SNAPSHOT_NAME.fullmatch(name))
    deleted = [f"{SNAPSHOT_FOLDER}/{name}" for name in names[:-keep]]
    for name in deleted:
        storage.delete(name)
    return deleted


def _store(storage: Storage, name: str, local: IO[bytes]) -> str:
    """Put the finished file under `name` (or a free variant of it) in one step; returns the name used."""
    if storage.exists(name):  # a second snapshot within the same second (S3 storage would overwrite it)
        name = f"{name.removesuffix('.json')}_{uuid.uuid4().hex[:8]}.json"
    try:
        final = Path(storage.path(name))
    except NotImplementedError:  # remote storage: one upload, visible only once complete
        return storage.save(name, File(local, name=Path(name).name))
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.name}.{uuid.uuid4().hex}.partial")
    try:
        with open(partial, "wb") as out:
            for chunk in iter(lambda: local.read(1 << 20), b""):
                out.write(chunk)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return name


def _write_catalog(out: IO[bytes]) -> tuple[int, int]:
    """The JSON array, one track object per line; returns (written, skipped)."""
    written = skipped = 0
    out.write(b"[")
    for row in _track_rows():
        if row is None:
            skipped += 1
            continue
        out.write(b"\n" if written == 0 else b",\n")
        out.write(json.dumps(row, ensure_ascii=False, separators=(", ", ": ")).encode())
        written += 1
    out.write(b"\n]\n")
    return written, skipped


def _track_rows() -> Iterator[dict[str, Any] | None]:
    """Each track as a seed-json object in primary-key order, or None for one the format cannot hold."""
    last_pk = 0
    while True:
        page = list(Track.objects.filter(pk__gt=last_pk).select_related("album").order_by("pk")[:PAGE_SIZE])
        if not page:
            return
        main_artists = _main_artists([track.pk for track in page])
        for track in page:
            artist = main_artists.get(track.pk)
            yield _seed_object(track, artist) if track.spotify_id and artist else None
        last_pk = page[-1].pk


def _main_artists(track_ids: list[int]) -> dict[int, Artist]:
    """The artist in position 0 of each track, with its genre names in `genre_names`."""
    credits = TrackArtist.objects.filter(track_id__in=track_ids, position=0).select_related("artist")
    artists = {credit.track_id: credit.artist for credit in credits}
    genres: dict[int, list[str]] = defaultdict(list)
    through = Artist.genres.through.objects.filter(artist_id__in={artist.pk for artist in artists.values()})
    for artist_id, genre in through.order_by("genre__name").values_list("artist_id", "genre__name"):
        genres[artist_id].append(genre)
    for artist in artists.values():
        artist.genre_names = genres.get(artist.pk, [])
    return artists


def _seed_object(track: Track, artist: Artist) -> dict[str, Any]:
    row: dict[str, Any] = {
        "artist_name": artist.name,
        "track_name": track.name,
        "album_name": track.album.name if track.album else None,
        "artist_genre": artist.genre_names,
        "artist_popularity": artist.popularity,
        "track_popularity": track.popularity,
        "artist_followers": artist.followers,
    }
    if track.features_source in MEASURED_FEATURES:
        row |= {name: getattr(track, name) for name in FEATURE_FIELDS if getattr(track, name) is not None}
    row |= {
        "duration_ms": track.duration_ms,
        "uri": f"spotify:track:{track.spotify_id}",
        "release_date": track.album.release_date_display if track.album else None,
        "album_image": (track.album.image_url or None) if track.album else None,
        "id": track.spotify_id,
    }
    return row
