"""Artists and their genres: matching by id or name, adopting ids, genre links."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ingestion.importers.records import ArtistRecord
from ingestion.models import Artist, Genre
from ingestion.services.catalog.common import (
    WRITE_BATCH,
    ArtistKey,
    UpsertSummary,
    assign_known,
    chunks,
    insert_ignoring_conflicts,
    insert_values,
    merge_known,
)


def artist_key(record: ArtistRecord) -> ArtistKey:
    return ("id", record.spotify_id) if record.spotify_id else ("name", record.name)


@dataclass
class _MergedArtist:
    record: ArtistRecord
    replace_genres: tuple[str, ...] | None = None
    added_genres: set[str] = field(default_factory=set)


def merge_artists(records: Iterable[ArtistRecord]) -> dict[ArtistKey, _MergedArtist]:
    merged: dict[ArtistKey, _MergedArtist] = {}
    for record in records:
        key = artist_key(record)
        current = merged.get(key)
        if current is None:
            current = merged[key] = _MergedArtist(record=record)
        else:
            current.record = merge_known(current.record, record)
        if record.genres is not None:
            if record.genres_replace:
                current.replace_genres = record.genres
            else:
                current.added_genres.update(record.genres)
    return merged




# ---------------------------------------------------------------------------------------------------------
# Artists and genres
# ---------------------------------------------------------------------------------------------------------


def _genres_by_name(names: set[str], summary: UpsertSummary) -> dict[str, int]:
    if not names:
        return {}
    existing = dict(Genre.objects.filter(name__in=names).values_list("name", "pk"))
    missing = sorted(names - existing.keys())
    if missing:
        insert_ignoring_conflicts(Genre, [Genre(name=name) for name in missing])
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
    for chunk in chunks(ids):
        for artist in Artist.objects.filter(spotify_id__in=chunk):
            by_key[("id", artist.spotify_id)] = artist
    for chunk in chunks(names):
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


def upsert_artists(
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
        elif assign_known(artist, values):
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
    insert_ignoring_conflicts(Artist, to_create)
    with_id = [a for a in to_create if a.spotify_id]
    without_id = [a for a in to_create if not a.spotify_id]
    pk_by_id: dict[str, int] = {}
    for chunk in chunks([a.spotify_id for a in with_id]):
        pk_by_id.update(Artist.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "pk"))
    pk_by_name: dict[str, int] = {}
    for chunk in chunks([a.name for a in without_id]):
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
    for chunk in chunks(list(set(artist_pks))):
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
    for chunk in chunks(list(changed)):
        through.objects.filter(artist_id__in=chunk).delete()
    insert_values(
        through, ["artist_id", "genre_id"], [(pk, g) for pk, genres in changed.items() for g in sorted(genres)]
    )
    return set(changed)
