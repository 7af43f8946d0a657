"""Bulk, idempotent upserts of parsed records into the catalog; shared by every importer and crawler.

Rules, so that any import can be re-run and sources can be combined:
- Natural keys: Spotify ids; artists without one are matched by name, albums without one by name + main artist.
- A field the record does not know (None, or "" for text) never overwrites what the catalog has.
- A row is written only when something in it changed, and only then does its `updated_at` move;
  a second run of the same file therefore changes nothing, timestamps included.
- Work is done in a few set-based queries per batch (no query per row), inside one transaction per batch,
  so an interrupted import leaves whole batches and a re-run completes it.
- Inserts tolerate a concurrent writer (`ignore_conflicts`, then re-read by key), so two imports at once
  do not duplicate rows.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from ingestion.importers.records import (
    AlbumRecord,
    ArtistRecord,
    Origin,
    PlaylistRecord,
    Rejection,
    TrackFeatures,
    TrackRecord,
)
from ingestion.models import FEATURE_FIELDS, Album, Artist, Genre, Playlist, PlaylistTrack, Track, TrackArtist

QUERY_CHUNK = 2000  # keys per IN (...) query: under SQLite's and PostgreSQL's parameter limits
WRITE_BATCH = 1000

ArtistKey = tuple[str, str]  # ("id", spotify_id) or ("name", name)
AlbumKey = tuple[Any, ...]  # ("id", spotify_id) or ("name", name, artist pk or None)

# Features from a weaker source never replace features from a stronger one.
_FEATURE_SOURCE_RANK = {"missing": 0, "estimated": 1, "imported": 2, "spotify": 2}


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class UpsertSummary:
    """Counts per kind of row for a whole import; each row is counted once however often it appears."""

    tracks: EntityCounts = field(default_factory=EntityCounts)
    artists: EntityCounts = field(default_factory=EntityCounts)
    albums: EntityCounts = field(default_factory=EntityCounts)
    playlists: EntityCounts = field(default_factory=EntityCounts)
    genres_created: int = 0
    playlist_entries_written: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    _seen: dict[str, set] = field(default_factory=lambda: defaultdict(set), repr=False)

    def count(self, kind: str, key: Any, outcome: str) -> None:
        """Record `outcome` for a row unless an earlier batch of this import already counted it."""
        seen = self._seen[kind]
        if key in seen:
            # A row created or updated earlier in this import and unchanged now stays counted as before.
            return
        seen.add(key)
        counts: EntityCounts = getattr(self, kind)
        setattr(counts, outcome, getattr(counts, outcome) + 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tracks": self.tracks.as_dict(),
            "artists": self.artists.as_dict(),
            "albums": self.albums.as_dict(),
            "playlists": self.playlists.as_dict(),
            "genres_created": self.genres_created,
            "playlist_entries_written": self.playlist_entries_written,
        }


def _chunks(items: Sequence, size: int = QUERY_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert_ignoring_conflicts(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """INSERT the instances with ON CONFLICT DO NOTHING, like bulk_create(ignore_conflicts=True).

    Instances are not given pks: callers re-read them by natural key, which also finds the rows a
    concurrent import inserted first.
    """
    if not rows:
        return
    columns = [f for f in model._meta.concrete_fields if not f.primary_key]
    adapters = [_column_adapter(f) for f in columns]
    values = [
        tuple(adapt(getattr(row, f.attname)) for f, adapt in zip(columns, adapters, strict=True)) for row in rows
    ]
    _insert_values(model, [f.column for f in columns], values)


def _insert_values(model: type[models.Model], columns: list[str], values: Sequence[tuple]) -> None:
    """INSERT plain value tuples with ON CONFLICT DO NOTHING.

    Written by hand because bulk_create prepares every value of every row through the field machinery,
    which was 90% of an MPD import's time (1.2M calls for 60k entries); link tables skip model instances too.
    """
    if not values:
        return
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            sql = f"INSERT INTO {table} ({names}) VALUES %s ON CONFLICT DO NOTHING"
            execute_values(cursor.cursor, sql, values, page_size=WRITE_BATCH)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders}) ON CONFLICT DO NOTHING", values)


def _column_adapter(model_field: models.Field):
    if isinstance(model_field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(model_field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(model_field, models.JSONField):
        return lambda value: model_field.get_db_prep_value(value, connection)
    return lambda value: value


def _assign_known(instance: Any, values: dict[str, Any]) -> bool:
    """Set the fields whose new value is known (not None and not ""); True if anything changed."""
    changed = False
    for name, value in values.items():
        if value is None or value == "":
            continue
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


# ---------------------------------------------------------------------------------------------------------
# Merging duplicates inside one batch (the same artist on many tracks, the same track in many playlists)
# ---------------------------------------------------------------------------------------------------------


def _artist_key(record: ArtistRecord) -> ArtistKey:
    return ("id", record.spotify_id) if record.spotify_id else ("name", record.name)


@dataclass
class _MergedArtist:
    record: ArtistRecord
    replace_genres: tuple[str, ...] | None = None
    added_genres: set[str] = field(default_factory=set)


def _merge_artists(records: Iterable[ArtistRecord]) -> dict[ArtistKey, _MergedArtist]:
    merged: dict[ArtistKey, _MergedArtist] = {}
    for record in records:
        key = _artist_key(record)
        current = merged.get(key)
        if current is None:
            current = merged[key] = _MergedArtist(record=record)
        else:
            current.record = _merge_known(current.record, record)
        if record.genres is not None:
            if record.genres_replace:
                current.replace_genres = record.genres
            else:
                current.added_genres.update(record.genres)
    return merged


def _merge_known(old: Any, new: Any) -> Any:
    """A record with `new`'s known values over `old`'s (dataclasses of the same type)."""
    updates = {f.name: getattr(new, f.name) for f in fields(new) if getattr(new, f.name) not in (None, "", ())}
    return replace(old, **updates)


# ---------------------------------------------------------------------------------------------------------
# Artists and genres
# ---------------------------------------------------------------------------------------------------------


def _genres_by_name(names: set[str], summary: UpsertSummary) -> dict[str, int]:
    if not names:
        return {}
    existing = dict(Genre.objects.filter(name__in=names).values_list("name", "pk"))
    missing = sorted(names - existing.keys())
    if missing:
        _insert_ignoring_conflicts(Genre, [Genre(name=name) for name in missing])
        created = dict(Genre.objects.filter(name__in=missing).values_list("name", "pk"))
        summary.genres_created += len(created)
        existing.update(created)
    return existing


def _load_artists(merged: dict[ArtistKey, _MergedArtist]) -> tuple[dict[ArtistKey, Artist], dict[str, list[Artist]]]:
    """Existing artists by key, plus every artist (with or without id) by name for name-only matching."""
    ids = [key[1] for key in merged if key[0] == "id"]
    names = list({m.record.name for m in merged.values()})
    by_key: dict[ArtistKey, Artist] = {}
    by_name: dict[str, list[Artist]] = defaultdict(list)
    for chunk in _chunks(ids):
        for artist in Artist.objects.filter(spotify_id__in=chunk):
            by_key[("id", artist.spotify_id)] = artist
    for chunk in _chunks(names):
        # Synthetic demo artists never absorb real ones that happen to share a name.
        for artist in Artist.objects.filter(name__in=chunk, is_demo=False):
            by_name[artist.name].append(artist)
            if artist.spotify_id is None:
                by_key[("name", artist.name)] = artist
    return by_key, by_name


def _resolve_existing_artist(key: ArtistKey, by_key: dict, by_name: dict[str, list[Artist]]) -> Artist | None:
    """The row an artist record refers to, if the catalog has it.

    A name-only reference (MPD, Kaggle) uses the id-less row of that name, else the one artist with an id
    and that name; an artist with an id not yet known adopts the id-less row of its name, so names seen
    first in playlists and ids seen later end up as one artist.
    """
    found = by_key.get(key)
    if found is not None:
        return found
    kind, value = key
    if kind == "name":
        with_id = [a for a in by_name.get(value, []) if a.spotify_id]
        return with_id[0] if len(with_id) == 1 else None
    return None


def _upsert_artists(
    merged: dict[ArtistKey, _MergedArtist], summary: UpsertSummary, now: dt.datetime
) -> dict[ArtistKey, int]:
    by_key, by_name = _load_artists(merged)
    genre_names = {g for m in merged.values() for g in (*(m.replace_genres or ()), *m.added_genres)}
    genre_ids = _genres_by_name(genre_names, summary)
    current_genres = _current_genre_ids([a.pk for a in by_key.values()] + [a.pk for v in by_name.values() for a in v])
    resolved: dict[ArtistKey, Artist] = {}
    to_create: list[Artist] = []
    to_update: dict[int, Artist] = {}
    for key, item in merged.items():
        artist = _resolve_existing_artist(key, by_key, by_name)
        if artist is None and key[0] == "id":
            orphans = [a for a in by_name.get(item.record.name, []) if a.spotify_id is None]
            artist = orphans[0] if orphans else None
        values = _artist_values(item.record)
        if artist is None:
            artist = Artist(**values, first_seen=now, updated_at=now)
            to_create.append(artist)
        elif _assign_known(artist, values):
            to_update[artist.pk] = artist
        resolved[key] = artist
    _insert_and_reload_artists(to_create)
    by_pk = {artist.pk: artist for artist in resolved.values()}
    for pk in _sync_artist_genres(merged, resolved, genre_ids, current_genres):
        to_update.setdefault(pk, by_pk[pk])
    for artist in to_update.values():
        artist.updated_at = now
    Artist.objects.bulk_update(
        list(to_update.values()),
        ["spotify_id", "name", "popularity", "followers", "image_url", "updated_at"],
        batch_size=WRITE_BATCH,
    )
    created_ids = {id(a) for a in to_create}
    for artist in resolved.values():
        outcome = "created" if id(artist) in created_ids else "updated" if artist.pk in to_update else "unchanged"
        summary.count("artists", artist.pk, outcome)
    return {key: artist.pk for key, artist in resolved.items()}


def _artist_values(record: ArtistRecord) -> dict[str, Any]:
    return {
        "spotify_id": record.spotify_id,
        "name": record.name,
        "popularity": record.popularity,
        "followers": record.followers,
        "image_url": record.image_url,
    }


def _insert_and_reload_artists(to_create: list[Artist]) -> None:
    """Insert new artists, tolerating a concurrent insert of the same key, and give each its pk."""
    if not to_create:
        return
    _insert_ignoring_conflicts(Artist, to_create)
    with_id = [a for a in to_create if a.spotify_id]
    without_id = [a for a in to_create if not a.spotify_id]
    pk_by_id: dict[str, int] = {}
    for chunk in _chunks([a.spotify_id for a in with_id]):
        pk_by_id.update(Artist.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "pk"))
    pk_by_name: dict[str, int] = {}
    for chunk in _chunks([a.name for a in without_id]):
        pk_by_name.update(
            Artist.objects.filter(spotify_id__isnull=True, is_demo=False, name__in=chunk).values_list("name", "pk")
        )
    for artist in with_id:
        artist.pk = pk_by_id[artist.spotify_id]
    for artist in without_id:
        artist.pk = pk_by_name[artist.name]


def _current_genre_ids(artist_pks: list[int]) -> dict[int, set[int]]:
    current: dict[int, set[int]] = defaultdict(set)
    through = Artist.genres.through
    for chunk in _chunks(list(set(artist_pks))):
        for artist_id, genre_id in through.objects.filter(artist_id__in=chunk).values_list("artist_id", "genre_id"):
            current[artist_id].add(genre_id)
    return current


def _sync_artist_genres(
    merged: dict[ArtistKey, _MergedArtist],
    resolved: dict[ArtistKey, Artist],
    genre_ids: dict[str, int],
    current: dict[int, set[int]],
) -> set[int]:
    """Write genre links that differ from the catalog's; returns the pks of artists whose genres changed."""
    through = Artist.genres.through
    changed: dict[int, set[int]] = {}
    for key, item in merged.items():
        if item.replace_genres is None and not item.added_genres:
            continue
        pk = resolved[key].pk
        if item.replace_genres is not None:
            base = {genre_ids[g] for g in item.replace_genres}
        else:
            base = current.get(pk, set())
        wanted = base | {genre_ids[g] for g in item.added_genres}
        if wanted != current.get(pk, set()):
            changed[pk] = wanted
    for chunk in _chunks(list(changed)):
        through.objects.filter(artist_id__in=chunk).delete()
    _insert_values(
        through, ["artist_id", "genre_id"], [(pk, g) for pk, genres in changed.items() for g in sorted(genres)]
    )
    return set(changed)


# ---------------------------------------------------------------------------------------------------------
# Albums
# ---------------------------------------------------------------------------------------------------------


def _album_key(record: AlbumRecord, artist_pks: dict[ArtistKey, int]) -> AlbumKey:
    if record.spotify_id:
        return ("id", record.spotify_id)
    artist_pk = artist_pks[_artist_key(record.artist)] if record.artist else None
    return ("name", record.name, artist_pk)


def _upsert_albums(
    records: Iterable[AlbumRecord], artist_pks: dict[ArtistKey, int], summary: UpsertSummary, now: dt.datetime
) -> dict[AlbumKey, int]:
    merged: dict[AlbumKey, AlbumRecord] = {}
    for record in records:
        key = _album_key(record, artist_pks)
        merged[key] = _merge_known(merged[key], record) if key in merged else record
    existing = _load_albums(list(merged))
    to_create: list[Album] = []
    to_update: list[Album] = []
    resolved: dict[AlbumKey, Album] = {}
    for key, record in merged.items():
        values = {
            "spotify_id": record.spotify_id,
            "name": record.name,
            "artist_id": artist_pks[_artist_key(record.artist)] if record.artist else None,
            "release_date": record.release_date,
            "release_date_precision": record.release_date_precision,
            "image_url": record.image_url,
        }
        album = existing.get(key)
        if album is None:
            album = Album(**values, first_seen=now, updated_at=now)
            to_create.append(album)
        elif _assign_known(album, values):
            album.updated_at = now
            to_update.append(album)
        resolved[key] = album
    _insert_and_reload_albums(to_create, artist_pks)
    Album.objects.bulk_update(
        to_update,
        ["spotify_id", "name", "artist", "release_date", "release_date_precision", "image_url", "updated_at"],
        batch_size=WRITE_BATCH,
    )
    _count_outcomes(summary, "albums", resolved.values(), to_create, to_update)
    return {key: album.pk for key, album in resolved.items()}


def _load_albums(keys: list[AlbumKey]) -> dict[AlbumKey, Album]:
    found: dict[AlbumKey, Album] = {}
    for chunk in _chunks([k[1] for k in keys if k[0] == "id"]):
        for album in Album.objects.filter(spotify_id__in=chunk):
            found[("id", album.spotify_id)] = album
    for chunk in _chunks(list({k[1] for k in keys if k[0] == "name"})):
        for album in Album.objects.filter(spotify_id__isnull=True, name__in=chunk, is_demo=False):
            found[("name", album.name, album.artist_id)] = album
    return found


def _insert_and_reload_albums(to_create: list[Album], artist_pks: dict[ArtistKey, int]) -> None:
    if not to_create:
        return
    _insert_ignoring_conflicts(Album, to_create)
    reloaded = _load_albums(
        [("id", a.spotify_id) if a.spotify_id else ("name", a.name, a.artist_id) for a in to_create]
    )
    for album in to_create:
        key = ("id", album.spotify_id) if album.spotify_id else ("name", album.name, album.artist_id)
        album.pk = reloaded[key].pk


def _count_outcomes(summary: UpsertSummary, kind: str, rows: Iterable, created: list, updated: list) -> None:
    created_ids = {id(row) for row in created}
    updated_ids = {id(row) for row in updated}
    for row in rows:
        outcome = "created" if id(row) in created_ids else "updated" if id(row) in updated_ids else "unchanged"
        summary.count(kind, row.pk, outcome)


# ---------------------------------------------------------------------------------------------------------
# Tracks
# ---------------------------------------------------------------------------------------------------------


def _feature_values(features: TrackFeatures | None) -> dict[str, Any]:
    if features is None:
        return {}
    return {name: getattr(features, name) for name in FEATURE_FIELDS}


def _apply_features(track: Track, record: TrackRecord) -> bool:
    """Take the record's features unless the track already has features from a stronger source."""
    if record.features is None:
        return False
    if _FEATURE_SOURCE_RANK[record.features_source] < _FEATURE_SOURCE_RANK[track.features_source]:
        return False
    changed = track.features_source != record.features_source
    track.features_source = record.features_source
    for name, value in _feature_values(record.features).items():
        if getattr(track, name) != value:
            setattr(track, name, value)
            changed = True
    return changed


def _merge_track_records(records: Iterable[TrackRecord], summary: UpsertSummary) -> dict[str, TrackRecord]:
    merged: dict[str, TrackRecord] = {}
    for record in records:
        if not record.spotify_id:
            summary.rejections.append(Rejection(record.origin, f"track {record.name!r} has no Spotify id"))
            continue
        previous = merged.get(record.spotify_id)
        merged[record.spotify_id] = _merge_known(previous, record) if previous else record
    return merged


def catalog_upsert_tracks(
    *, records: Sequence[TrackRecord], summary: UpsertSummary | None = None, now: dt.datetime | None = None
) -> tuple[UpsertSummary, dict[str, int]]:
    """Create or update the tracks, with their artists, genres and albums; one transaction per call.

    Returns the summary (updated in place if given) and the pk of every track by Spotify id.
    Safe to re-run: unchanged rows are not written.
    """
    summary = summary if summary is not None else UpsertSummary()
    now = now or timezone.now()
    merged = _merge_track_records(records, summary)
    with transaction.atomic():
        artist_records = [a for r in merged.values() for a in r.artists]
        artist_records += [r.album.artist for r in merged.values() if r.album and r.album.artist]
        artist_pks = _upsert_artists(_merge_artists(artist_records), summary, now)
        album_pks = _upsert_albums([r.album for r in merged.values() if r.album], artist_pks, summary, now)
        track_pks = _upsert_track_rows(merged, artist_pks, album_pks, summary, now)
    return summary, track_pks


def _upsert_track_rows(
    merged: dict[str, TrackRecord],
    artist_pks: dict[ArtistKey, int],
    album_pks: dict[AlbumKey, int],
    summary: UpsertSummary,
    now: dt.datetime,
) -> dict[str, int]:
    existing: dict[str, Track] = {}
    for chunk in _chunks(list(merged)):
        existing.update((t.spotify_id, t) for t in Track.objects.filter(spotify_id__in=chunk))
    current_credits = _current_credits([t.pk for t in existing.values()])
    to_create: list[Track] = []
    to_update: list[Track] = []
    wanted_credits: dict[str, list[int]] = {}
    for spotify_id, record in merged.items():
        track = existing.get(spotify_id)
        is_new = track is None
        if is_new:
            track = Track(spotify_id=spotify_id, first_seen=now, updated_at=now)
        values = {
            "name": record.name,
            "album_id": album_pks[_album_key(record.album, artist_pks)] if record.album else None,
            "duration_ms": record.duration_ms,
            "explicit": record.explicit,
            "popularity": record.popularity,
        }
        changed = _assign_known(track, values)
        changed = _apply_features(track, record) or changed
        credits = list(dict.fromkeys(artist_pks[_artist_key(a)] for a in record.artists))
        if credits and (is_new or credits != current_credits.get(track.pk, [])):
            wanted_credits[spotify_id] = credits
            changed = True
        if is_new:
            to_create.append(track)
        elif changed:
            track.updated_at = now
            to_update.append(track)
        existing[spotify_id] = track
    _write_tracks(to_create, to_update, wanted_credits, existing)
    _count_outcomes(summary, "tracks", existing.values(), to_create, to_update)
    return {spotify_id: track.pk for spotify_id, track in existing.items()}


def _current_credits(track_pks: list[int]) -> dict[int, list[int]]:
    credits: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(track_pks):
        rows = TrackArtist.objects.filter(track_id__in=chunk).order_by("track_id", "position")
        for track_id, artist_id in rows.values_list("track_id", "artist_id"):
            credits[track_id].append(artist_id)
    return credits


_TRACK_UPDATE_FIELDS = ["name", "album", "duration_ms", "explicit", "popularity", *FEATURE_FIELDS,
                        "features_source", "updated_at"]


def _write_tracks(
    to_create: list[Track], to_update: list[Track], wanted_credits: dict[str, list[int]], tracks: dict[str, Track]
) -> None:
    if to_create:
        _insert_ignoring_conflicts(Track, to_create)
        for chunk in _chunks([t.spotify_id for t in to_create]):
            for spotify_id, pk in Track.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "pk"):
                tracks[spotify_id].pk = pk
    Track.objects.bulk_update(to_update, _TRACK_UPDATE_FIELDS, batch_size=WRITE_BATCH)
    if not wanted_credits:
        return
    track_ids = [tracks[spotify_id].pk for spotify_id in wanted_credits]
    for chunk in _chunks(track_ids):
        TrackArtist.objects.filter(track_id__in=chunk).delete()
    _insert_values(
        TrackArtist,
        ["track_id", "artist_id", "position"],
        [
            (tracks[spotify_id].pk, artist_id, position)
            for spotify_id, artist_ids in wanted_credits.items()
            for position, artist_id in enumerate(artist_ids)
        ],
    )


# ---------------------------------------------------------------------------------------------------------
# Playlists
# ---------------------------------------------------------------------------------------------------------


def catalog_upsert_playlists(
    *, records: Sequence[PlaylistRecord], summary: UpsertSummary | None = None, now: dt.datetime | None = None
) -> UpsertSummary:
    """Create or update playlists and their ordered entries, and the tracks/artists/albums they mention.

    An entry list is rewritten only when it differs from the catalog's. Safe to re-run.
    """
    summary = summary if summary is not None else UpsertSummary()
    now = now or timezone.now()
    merged: dict[tuple[str, str], PlaylistRecord] = {}
    for record in records:
        merged[(record.source, record.external_id)] = record  # a later copy of the same playlist wins
    with transaction.atomic():
        _, track_pks = catalog_upsert_tracks(
            records=[t for r in merged.values() for t in r.tracks], summary=summary, now=now
        )
        writes = _upsert_playlist_rows(merged, now)
        _sync_entries(merged, writes, track_pks, summary, now)
    return summary


def _load_playlists(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Playlist]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, external_id in keys:
        by_source[source].append(external_id)
    found: dict[tuple[str, str], Playlist] = {}
    for source, external_ids in by_source.items():
        for chunk in _chunks(external_ids):
            for playlist in Playlist.objects.filter(source=source, external_id__in=chunk):
                found[(source, playlist.external_id)] = playlist
    return found


@dataclass
class _PlaylistWrites:
    playlists: dict[tuple[str, str], Playlist]
    created: list[Playlist]
    updated: list[Playlist]


def _upsert_playlist_rows(merged: dict[tuple[str, str], PlaylistRecord], now: dt.datetime) -> _PlaylistWrites:
    existing = _load_playlists(merged)
    to_create: list[Playlist] = []
    to_update: list[Playlist] = []
    for key, record in merged.items():
        values = {"name": record.name, "description": record.description, "followers": record.followers}
        playlist = existing.get(key)
        if playlist is None:
            playlist = Playlist(source=record.source, external_id=record.external_id, first_seen=now, updated_at=now)
            _assign_known(playlist, values)
            to_create.append(playlist)
            existing[key] = playlist
        elif _assign_known(playlist, values):
            playlist.updated_at = now
            to_update.append(playlist)
    if to_create:
        _insert_ignoring_conflicts(Playlist, to_create)
        reloaded = _load_playlists([(p.source, p.external_id) for p in to_create])
        for playlist in to_create:
            playlist.pk = reloaded[(playlist.source, playlist.external_id)].pk
    Playlist.objects.bulk_update(to_update, ["name", "description", "followers", "updated_at"], batch_size=WRITE_BATCH)
    return _PlaylistWrites({key: existing[key] for key in merged}, to_create, to_update)


def _sync_entries(
    merged: dict[tuple[str, str], PlaylistRecord],
    writes: _PlaylistWrites,
    track_pks: dict[str, int],
    summary: UpsertSummary,
    now: dt.datetime,
) -> None:
    """Rewrite the entry lists that differ; then count each playlist (changed entries count as updated)."""
    playlists, to_create, to_update = writes.playlists, writes.created, list(writes.updated)
    created_ids = {id(p) for p in to_create}
    current: dict[int, list[int]] = defaultdict(list)
    existing_pks = [p.pk for p in playlists.values() if id(p) not in created_ids]
    for chunk in _chunks(existing_pks):
        rows = PlaylistTrack.objects.filter(playlist_id__in=chunk).order_by("playlist_id", "position")
        for playlist_id, track_id in rows.values_list("playlist_id", "track_id"):
            current[playlist_id].append(track_id)
    rewrite: dict[int, list[int]] = {}
    updated = {id(p) for p in to_update}
    entries_only: list[Playlist] = []
    for key, record in merged.items():
        playlist = playlists[key]
        wanted = [track_pks[t.spotify_id] for t in record.tracks if t.spotify_id in track_pks]
        if wanted != current.get(playlist.pk, []):
            rewrite[playlist.pk] = wanted
            if id(playlist) not in created_ids and id(playlist) not in updated:
                playlist.updated_at = now
                entries_only.append(playlist)
                updated.add(id(playlist))
    _rewrite_entries(rewrite, summary)
    Playlist.objects.bulk_update(entries_only, ["updated_at"], batch_size=WRITE_BATCH)
    to_update += entries_only
    _count_outcomes(summary, "playlists", playlists.values(), to_create, to_update)


def _rewrite_entries(rewrite: dict[int, list[int]], summary: UpsertSummary) -> None:
    for chunk in _chunks(list(rewrite)):
        PlaylistTrack.objects.filter(playlist_id__in=chunk).delete()
    entries = [
        (playlist_id, track_id, position)
        for playlist_id, track_ids in rewrite.items()
        for position, track_id in enumerate(track_ids)
    ]
    _insert_values(PlaylistTrack, ["playlist_id", "track_id", "position"], entries)
    summary.playlist_entries_written += len(entries)


__all__ = ["Origin", "UpsertSummary", "catalog_upsert_playlists", "catalog_upsert_tracks"]
