"""Playlists and their ordered entries."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ingestion.importers.records import PlaylistRecord
from ingestion.models import Playlist, PlaylistTrack
from ingestion.services.catalog.common import (
    WRITE_BATCH,
    UpsertSummary,
    assign_known,
    chunks,
    count_outcomes,
    insert_ignoring_conflicts,
    insert_values,
)
from ingestion.services.catalog.tracks import catalog_upsert_tracks


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
        for chunk in chunks(external_ids):
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
            assign_known(playlist, values)
            to_create.append(playlist)
            existing[key] = playlist
        elif assign_known(playlist, values):
            playlist.updated_at = now
            to_update.append(playlist)
    if to_create:
        insert_ignoring_conflicts(Playlist, to_create)
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
    for chunk in chunks(existing_pks):
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
    count_outcomes(summary, "playlists", playlists.values(), to_create, to_update)


def _rewrite_entries(rewrite: dict[int, list[int]], summary: UpsertSummary) -> None:
    for chunk in chunks(list(rewrite)):
        PlaylistTrack.objects.filter(playlist_id__in=chunk).delete()
    entries = [
        (playlist_id, track_id, position)
        for playlist_id, track_ids in rewrite.items()
        for position, track_id in enumerate(track_ids)
    ]
    insert_values(PlaylistTrack, ["playlist_id", "track_id", "position"], entries)
    summary.playlist_entries_written += len(entries)
