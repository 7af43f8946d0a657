"""Shared pieces of the catalog upserts: counts, keys, chunked queries and the raw INSERT helper."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from django.db import connection, models

from ingestion.importers.records import Rejection

QUERY_CHUNK = 2000  # keys per IN (...) query: under SQLite's and PostgreSQL's parameter limits
WRITE_BATCH = 1000

ArtistKey = tuple[str, str]  # ("id", spotify_id) or ("name", name)
AlbumKey = tuple[Any, ...]  # ("id", spotify_id) or ("name", name, artist pk or None)

# Features from a weaker source never replace features from a stronger one: real (Spotify's, or a file's) over
# measured from the audio (issue 12) over estimated from neighbours over none.
FEATURE_SOURCE_RANK = {"missing": 0, "estimated": 1, "analysed": 2, "imported": 3, "spotify": 3}


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


def chunks(items: Sequence, size: int = QUERY_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_ignoring_conflicts(model: type[models.Model], rows: Sequence[models.Model]) -> None:
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
    insert_values(model, [f.column for f in columns], values)


def insert_values(model: type[models.Model], columns: list[str], values: Sequence[tuple]) -> None:
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
    if isinstance(model_field, models.FileField):
        return lambda value: value.name or ""  # a FieldFile; the column holds its storage name
    return lambda value: value


def assign_known(instance: Any, values: dict[str, Any]) -> bool:
    """Set the fields whose new value is known (not None and not ""); True if anything changed."""
    changed = False
    for name, value in values.items():
        if value is None or value == "":
            continue
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed



def merge_known(old: Any, new: Any) -> Any:
    """A record with `new`'s known values over `old`'s (dataclasses of the same type)."""
    updates = {f.name: getattr(new, f.name) for f in fields(new) if getattr(new, f.name) not in (None, "", ())}
    return replace(old, **updates)


def count_outcomes(summary: UpsertSummary, kind: str, rows: Iterable, created: list, updated: list) -> None:
    created_ids = {id(row) for row in created}
    updated_ids = {id(row) for row in updated}
    for row in rows:
        outcome = "created" if id(row) in created_ids else "updated" if id(row) in updated_ids else "unchanged"
        summary.count(kind, row.pk, outcome)
