"""Completing a batch of Spotify tracks: fetch only what the catalog lacks, with fallbacks when refused.

For the tracks a crawl meets (a playlist's items, a new album's tracks) this looks up, in Spotify's
several-at-once batches: full track objects (for simplified ones the catalog does not have yet), albums
whose release date is unknown, artists without genres or images, and audio features. An endpoint Spotify
refuses (403/404) is not asked again in the run: lookups fall back to one item at a time, and tracks
without Spotify's features are queued for estimation. A request that keeps failing leaves a gap.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q

from ingestion.importers.records import TrackRecord
from ingestion.models import Album, Artist, Track
from ingestion.services.catalog.common import chunks
from ingestion.services.crawls.runs import CrawlContext
from ingestion.spotify import SpotifyRefused, SpotifyUnavailable
from ingestion.spotify import client as endpoints
from ingestion.spotify.records import BadValue, album_record, artist_record, features_record, track_record

REAL_FEATURES = (Track.FeatureSource.SPOTIFY, Track.FeatureSource.IMPORTED)


@dataclass
class Stub:
    """A track as the crawl met it: a full track object, or a simplified one with the album it came from."""

    track: dict
    album: dict | None = None

    @property
    def album_object(self) -> dict | None:
        found = self.track.get("album")
        return found if isinstance(found, dict) else self.album


@dataclass
class _Lookup:
    kind: str  # the endpoint, as remembered in context.refused
    gap_kind: str
    batch: int
    several: Callable[[Sequence[str]], list[dict | None]]
    single: Callable[[str], dict] | None


def catalog_fill(context: CrawlContext, stubs: list[Stub]) -> tuple[list[TrackRecord], bool]:
    """Records for `stubs` (in order; unusable ones reported and left out) and whether nothing is left to refetch.

    Writes nothing itself: the caller upserts the records (with its playlist, or as an album's tracks).
    """
    gaps_before = sum(len(ids) for ids in context.gaps.values())
    stubs = _with_full_tracks(context, stubs)
    albums = _albums_with_details(context, stubs)
    _fetch_artists(context, stubs, albums)
    features = _fetch_features(context, [s.track["id"] for s in stubs])
    records: list[TrackRecord] = []
    for stub in stubs:
        try:
            album_obj = stub.album_object
            album_obj = albums.get(album_obj.get("id"), album_obj) if album_obj else None
            album = album_record(album_obj, context.full_artists) if album_obj else None
            found = features_record(features.get(stub.track["id"]))
            records.append(track_record(stub.track, album=album, artists=context.full_artists, features=found))
        except BadValue as problem:
            context.error(f"track {stub.track.get('id')}: {problem}")
    return records, sum(len(ids) for ids in context.gaps.values()) == gaps_before


def _with_full_tracks(context: CrawlContext, stubs: list[Stub]) -> list[Stub]:
    """Full track objects for simplified ones the catalog lacks (or the last run could not fetch)."""
    ids = [s.track["id"] for s in stubs]
    complete = _complete_tracks(ids)
    wanted = [
        s.track["id"]
        for s in stubs
        if "album" not in s.track and (s.track["id"] not in complete or context.forced("tracks", s.track["id"]))
    ]
    client = context.client
    found = _lookup(context, wanted, _Lookup("tracks", "tracks", endpoints.TRACKS_PER_REQUEST, client.tracks,
                                             client.track))
    return [Stub(found.get(s.track["id"], s.track), s.album) for s in stubs]


def _albums_with_details(context: CrawlContext, stubs: list[Stub]) -> dict[str, dict]:
    """Full album objects for albums whose release date neither the crawl nor the catalog knows."""
    candidates = {a["id"]: a for s in stubs if (a := s.album_object) and isinstance(a.get("id"), str)}
    known = _ids_where(Album, candidates, Q(release_date__isnull=False))
    wanted = [
        album_id
        for album_id, album in candidates.items()
        if album_id not in context.full_albums
        and ((not album.get("release_date") and album_id not in known) or context.forced("album_details", album_id))
    ]
    client = context.client
    context.full_albums.update(
        _lookup(context, wanted, _Lookup("albums", "album_details", endpoints.ALBUMS_PER_REQUEST, client.albums,
                                         client.album))
    )
    return {album_id: context.full_albums[album_id] for album_id in candidates if album_id in context.full_albums}


def _fetch_artists(context: CrawlContext, stubs: list[Stub], albums: dict[str, dict]) -> None:
    """Full artists (genres, images) for the credited artists the catalog has only by name, into the context."""
    mentioned: dict[str, None] = {}
    for stub in stubs:
        album = stub.album_object or {}
        album = albums.get(album.get("id"), album)
        for artist in [*(stub.track.get("artists") or []), *(album.get("artists") or [])]:
            if isinstance(artist, dict) and isinstance(artist.get("id"), str):
                mentioned[artist["id"]] = None
    known = _ids_where(Artist, mentioned, Q(genres__isnull=False) | ~Q(image_url=""))
    wanted = [
        artist_id
        for artist_id in mentioned
        if artist_id not in context.full_artists and (artist_id not in known or context.forced("artists", artist_id))
    ]
    client = context.client
    found = _lookup(context, wanted, _Lookup("artists", "artists", endpoints.ARTISTS_PER_REQUEST, client.artists,
                                             client.artist))
    for artist_id, obj in found.items():
        try:
            context.full_artists[artist_id] = artist_record(obj)
        except BadValue as problem:
            context.error(f"artist {artist_id}: {problem}")


def _fetch_features(context: CrawlContext, track_ids: list[str]) -> dict[str, dict]:
    """Spotify's audio features for tracks without real ones; tracks left without are queued for estimation."""
    with_features = _ids_where(Track, track_ids, Q(features_source__in=REAL_FEATURES))
    wanted = list(dict.fromkeys(
        t for t in track_ids if t not in with_features or context.forced("audio_features", t)
    ))
    found = _lookup(
        context,
        wanted,
        _Lookup("audio_features", "audio_features", endpoints.FEATURES_PER_REQUEST, context.client.audio_features,
                None),
    )
    context.to_estimate.update(t for t in wanted if t not in found)
    return found


def _lookup(context: CrawlContext, ids: Iterable[str], how: _Lookup) -> dict[str, dict]:
    """Objects by id: in batches unless the endpoint was refused this run, else one by one (if it can)."""
    pending = list(dict.fromkeys(ids))
    found: dict[str, dict] = {}
    tried: set[str] = set()
    if how.kind not in context.refused:
        for chunk in chunks(pending, how.batch):
            try:
                objects = how.several(list(chunk))
            except SpotifyRefused:
                context.refused.add(how.kind)
                break
            except SpotifyUnavailable as problem:
                _record_gap(context, how.gap_kind, chunk, problem)
                tried.update(chunk)
                continue
            tried.update(chunk)
            found.update((obj["id"], obj) for obj in objects if isinstance(obj, dict) and obj.get("id"))
    if how.kind not in context.refused or how.single is None:
        return found
    for item_id in pending:
        if item_id in tried:
            continue
        try:
            found[item_id] = how.single(item_id)
        except SpotifyRefused as refusal:
            context.error(f"{how.kind} {item_id}: Spotify answered {refusal.status} to a single lookup")
        except SpotifyUnavailable as problem:
            _record_gap(context, how.gap_kind, [item_id], problem)
    return found


def _record_gap(context: CrawlContext, gap_kind: str, ids: Sequence[str], problem: Exception) -> None:
    context.gap(gap_kind, ids)
    context.error(f"{gap_kind} ({len(ids)} ids) left for the next run: {problem}")


def _complete_tracks(ids: list[str]) -> set[str]:
    """Tracks the catalog has with their album and artist credits."""
    return _ids_where(Track, ids, Q(album__isnull=False, credits__isnull=False))


def _ids_where(model, ids: Iterable[str], condition: Q) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(list(dict.fromkeys(ids))):
        found.update(model.objects.filter(condition, spotify_id__in=chunk).values_list("spotify_id", flat=True))
    return found
