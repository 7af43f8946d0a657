"""Tracks with their features and ordered artist credits."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from ingestion.importers.records import Rejection, TrackFeatures, TrackRecord
from ingestion.models import FEATURE_FIELDS, Track, TrackArtist
from ingestion.services.catalog.albums import album_key, upsert_albums
from ingestion.services.catalog.artists import artist_key, merge_artists, upsert_artists
from ingestion.services.catalog.common import (
    FEATURE_SOURCE_RANK,
    WRITE_BATCH,
    AlbumKey,
    ArtistKey,
    UpsertSummary,
    assign_known,
    chunks,
    count_outcomes,
    insert_ignoring_conflicts,
    insert_values,
    merge_known,
)


def _feature_values(features: TrackFeatures | None) -> dict[str, Any]:
    if features is None:
        return {}
    return {name: getattr(features, name) for name in FEATURE_FIELDS}


def _apply_features(track: Track, record: TrackRecord) -> bool:
    """Take the record's features unless the track already has features from a stronger source."""
    if record.features is None:
        return False
    if FEATURE_SOURCE_RANK[record.features_source] < FEATURE_SOURCE_RANK[track.features_source]:
        return False
    changed = track.features_source != record.features_source
    track.features_source = record.features_source
    for name, value in _feature_values(record.features).items():
        if getattr(track, name) != value:
            setattr(track, name, value)
            changed = True
    return changed


def merge_track_records(records: Iterable[TrackRecord], summary: UpsertSummary) -> dict[str, TrackRecord]:
    merged: dict[str, TrackRecord] = {}
    for record in records:
        if not record.spotify_id:
            summary.rejections.append(Rejection(record.origin, f"track {record.name!r} has no Spotify id"))
            continue
        previous = merged.get(record.spotify_id)
        merged[record.spotify_id] = merge_known(previous, record) if previous else record
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
    merged = merge_track_records(records, summary)
    with transaction.atomic():
        artist_records = [a for r in merged.values() for a in r.artists]
        artist_records += [r.album.artist for r in merged.values() if r.album and r.album.artist]
        artist_pks = upsert_artists(merge_artists(artist_records), summary, now)
        album_pks = upsert_albums([r.album for r in merged.values() if r.album], artist_pks, summary, now)
        track_pks = upsert_track_rows(merged, artist_pks, album_pks, summary, now)
    return summary, track_pks


def upsert_track_rows(
    merged: dict[str, TrackRecord],
    artist_pks: dict[ArtistKey, int],
    album_pks: dict[AlbumKey, int],
    summary: UpsertSummary,
    now: dt.datetime,
) -> dict[str, int]:
    existing: dict[str, Track] = {}
    for chunk in chunks(list(merged)):
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
            "album_id": album_pks[album_key(record.album, artist_pks)] if record.album else None,
            "duration_ms": record.duration_ms,
            "explicit": record.explicit,
            "popularity": record.popularity,
        }
        changed = assign_known(track, values)
        changed = _apply_features(track, record) or changed
        credits = list(dict.fromkeys(artist_pks[artist_key(a)] for a in record.artists))
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
    count_outcomes(summary, "tracks", existing.values(), to_create, to_update)
    return {spotify_id: track.pk for spotify_id, track in existing.items()}


def _current_credits(track_pks: list[int]) -> dict[int, list[int]]:
    credits: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks(track_pks):
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
        insert_ignoring_conflicts(Track, to_create)
        for chunk in chunks([t.spotify_id for t in to_create]):
            for spotify_id, pk in Track.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "pk"):
                tracks[spotify_id].pk = pk
    Track.objects.bulk_update(to_update, _TRACK_UPDATE_FIELDS, batch_size=WRITE_BATCH)
    if not wanted_credits:
        return
    track_ids = [tracks[spotify_id].pk for spotify_id in wanted_credits]
    for chunk in chunks(track_ids):
        TrackArtist.objects.filter(track_id__in=chunk).delete()
    insert_values(
        TrackArtist,
        ["track_id", "artist_id", "position"],
        [
            (tracks[spotify_id].pk, artist_id, position)
            for spotify_id, artist_ids in wanted_credits.items()
            for position, artist_id in enumerate(artist_ids)
        ],
    )
