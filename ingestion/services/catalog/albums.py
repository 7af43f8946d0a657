"""Albums, keyed by Spotify id or by name and main artist."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ingestion.importers.records import AlbumRecord
from ingestion.models import Album
from ingestion.services.catalog.artists import artist_key
from ingestion.services.catalog.common import (
    WRITE_BATCH,
    AlbumKey,
    ArtistKey,
    UpsertSummary,
    assign_known,
    chunks,
    count_outcomes,
    insert_ignoring_conflicts,
    merge_known,
)


def album_key(record: AlbumRecord, artist_pks: dict[ArtistKey, int]) -> AlbumKey:
    if record.spotify_id:
        return ("id", record.spotify_id)
    artist_pk = artist_pks[artist_key(record.artist)] if record.artist else None
    return ("name", record.name, artist_pk)


def upsert_albums(
    records: Iterable[AlbumRecord], artist_pks: dict[ArtistKey, int], summary: UpsertSummary, now: dt.datetime
) -> dict[AlbumKey, int]:
    merged: dict[AlbumKey, AlbumRecord] = {}
    for record in records:
        key = album_key(record, artist_pks)
        merged[key] = merge_known(merged[key], record) if key in merged else record
    existing = _load_albums(list(merged))
    to_create: list[Album] = []
    to_update: list[Album] = []
    resolved: dict[AlbumKey, Album] = {}
    for key, record in merged.items():
        values = {
            "spotify_id": record.spotify_id,
            "name": record.name,
            "artist_id": artist_pks[artist_key(record.artist)] if record.artist else None,
            "release_date": record.release_date,
            "release_date_precision": record.release_date_precision,
            "image_url": record.image_url,
        }
        album = existing.get(key)
        if album is None:
            album = Album(**values, first_seen=now, updated_at=now)
            to_create.append(album)
        elif assign_known(album, values):
            album.updated_at = now
            to_update.append(album)
        resolved[key] = album
    _insert_and_reload_albums(to_create, artist_pks)
    Album.objects.bulk_update(
        to_update,
        ["spotify_id", "name", "artist", "release_date", "release_date_precision", "image_url", "updated_at"],
        batch_size=WRITE_BATCH,
    )
    count_outcomes(summary, "albums", resolved.values(), to_create, to_update)
    return {key: album.pk for key, album in resolved.items()}


def _load_albums(keys: list[AlbumKey]) -> dict[AlbumKey, Album]:
    found: dict[AlbumKey, Album] = {}
    for chunk in chunks([k[1] for k in keys if k[0] == "id"]):
        for album in Album.objects.filter(spotify_id__in=chunk):
            found[("id", album.spotify_id)] = album
    for chunk in chunks(list({k[1] for k in keys if k[0] == "name"})):
        for album in Album.objects.filter(spotify_id__isnull=True, name__in=chunk, is_demo=False):
            found[("name", album.name, album.artist_id)] = album
    return found


def _insert_and_reload_albums(to_create: list[Album], artist_pks: dict[ArtistKey, int]) -> None:
    if not to_create:
        return
    insert_ignoring_conflicts(Album, to_create)
    reloaded = _load_albums(
        [("id", a.spotify_id) if a.spotify_id else ("name", a.name, a.artist_id) for a in to_create]
    )
    for album in to_create:
        key = ("id", album.spotify_id) if album.spotify_id else ("name", album.name, album.artist_id)
        album.pk = reloaded[key].pk
