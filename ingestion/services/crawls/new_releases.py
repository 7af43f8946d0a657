"""The daily new-release crawl: new albums -> their tracks -> full tracks -> artists -> audio features.

New albums come from browse/new-releases, or, when Spotify refuses it (development-mode apps since 2026),
from `search?q=tag:new&type=album` (10 per page). An album whose tracks the catalog already has complete
is not fetched again. Albums the previous run could not finish are crawled first.
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from tqdm import tqdm

from ingestion.models import CrawlRun, Track
from ingestion.services.catalog import catalog_upsert_tracks
from ingestion.services.catalog.common import chunks
from ingestion.services.crawls.estimates import REAL_FEATURES, features_estimate_tracks
from ingestion.services.crawls.fill import Stub, catalog_fill
from ingestion.services.crawls.runs import CrawlContext, crawl_run_finish, crawl_run_start
from ingestion.spotify import (
    SpotifyClient,
    SpotifyDeferred,
    SpotifyRefused,
    SpotifyUnavailable,
    spotify_catalog_client,
)
from ingestion.spotify import client as endpoints


def crawl_new_releases(
    *,
    limit: int | None = None,
    client: SpotifyClient | None = None,
    progress: bool = False,
    sleep: Callable[[float], None] | None = None,
    resumes: CrawlRun | None = None,
    task_id: str = "",
) -> CrawlRun:
    """Crawl up to `limit` new albums (default CRAWL_NEW_RELEASES_LIMIT) and their tracks into the catalog.

    Tracks Spotify gives no features for get features estimated from catalog neighbours. A long rate limit
    ends the run as deferred (beat resumes it, passing it as `resumes`). Safe to re-run: complete albums are
    skipped, upserts change nothing twice.
    """
    limit = limit or settings.CRAWL_NEW_RELEASES_LIMIT
    client = client or spotify_catalog_client(sleep=sleep)
    context = crawl_run_start(
        kind=CrawlRun.Kind.NEW_RELEASES, parameters={"limit": limit}, client=client, resumes=resumes, task_id=task_id
    )
    albums: list[dict] = []
    done = 0
    try:
        albums = _gap_albums(context)
        albums += [a for a in _new_albums(context, limit) if a["id"] not in {g["id"] for g in albums}]
        for album in tqdm(albums, unit="album", disable=not progress, desc="crawling new releases"):
            _crawl_album(context, album)
            done += 1
        _queue_album_tracks_for_estimates(context, [a["id"] for a in albums])
        context.estimated = features_estimate_tracks(track_ids=context.to_estimate, summary=context.summary)
    except SpotifyDeferred as deferred:
        context.gap("albums", [a["id"] for a in albums[done:]])
        return crawl_run_finish(context, deferred=deferred)
    except Exception as failure:
        crawl_run_finish(context, failure=failure)
        raise
    return crawl_run_finish(context)


def _gap_albums(context: CrawlContext) -> list[dict]:
    """Full album objects (with their first page of tracks) for the albums the previous run left unfinished."""
    wanted = sorted(context.inherited.get("albums", ()))
    found: dict[str, dict] = {}
    for chunk in chunks(wanted, endpoints.ALBUMS_PER_REQUEST):
        if "albums" not in context.refused:
            try:
                found.update((a["id"], a) for a in context.client.albums(list(chunk)) if isinstance(a, dict))
                continue
            except SpotifyRefused:
                context.refused.add("albums")
            except SpotifyUnavailable as problem:
                context.gap("albums", chunk)
                context.error(f"albums ({len(chunk)} ids) left for the next run: {problem}")
                continue
        for album_id in chunk:
            try:
                found[album_id] = context.client.album(album_id)
            except SpotifyRefused as refusal:
                context.error(f"album {album_id}: Spotify answered {refusal.status}")
            except SpotifyUnavailable as problem:
                context.gap("albums", [album_id])
                context.error(f"album {album_id} left for the next run: {problem}")
    return [found[a] for a in wanted if a in found]


def _new_albums(context: CrawlContext, limit: int) -> list[dict]:
    """Up to `limit` new albums: browse/new-releases, else search `tag:new`."""
    client = context.client
    try:
        page = client.new_releases(limit=min(limit, endpoints.NEW_RELEASES_PAGE))
    except SpotifyRefused:
        context.refused.add("new_releases")
        page = client.search_new_albums(limit=min(limit, endpoints.SEARCH_PAGE))
    found: dict[str, dict] = {}
    try:
        while page is not None and len(found) < limit:
            for album in page.get("items") or []:
                if isinstance(album, dict) and isinstance(album.get("id"), str):
                    found.setdefault(album["id"], album)
            page = client.next_albums_page(page) if len(found) < limit else None
    except SpotifyUnavailable as problem:
        context.error(f"new releases listed only in part ({len(found)} albums): {problem}")
    return list(found.values())[:limit]


def _crawl_album(context: CrawlContext, album: dict) -> None:
    album_id = album["id"]
    if _album_complete(context, album):
        return
    try:
        tracks = _album_tracks(context, album)
    except (SpotifyRefused, SpotifyUnavailable) as problem:
        context.gap("albums", [album_id])
        context.error(f"album {album_id} left for the next run: {problem}")
        return
    stubs = [Stub(track, album) for track in tracks if isinstance(track, dict) and isinstance(track.get("id"), str)]
    records, whole = catalog_fill(context, stubs)
    if not whole:
        context.gap("albums", [album_id])
    catalog_upsert_tracks(records=records, summary=context.summary)


def _album_complete(context: CrawlContext, album: dict) -> bool:
    """The catalog has all the album's tracks with their credits, and the last run left nothing of it to redo."""
    total = album.get("total_tracks")
    if not isinstance(total, int) or total <= 0 or context.forced("albums", album["id"]):
        return False
    have = Track.objects.filter(album__spotify_id=album["id"], credits__isnull=False).distinct().count()
    return have >= total


def _album_tracks(context: CrawlContext, album: dict) -> list[dict]:
    page = album.get("tracks") if isinstance(album.get("tracks"), dict) else None
    if page is None or not isinstance(page.get("items"), list):
        page = context.client.album_tracks(album["id"])
    tracks: list[dict] = []
    while page is not None:
        tracks.extend(page["items"])
        page = context.client.next_page(page)
    return tracks


def _queue_album_tracks_for_estimates(context: CrawlContext, album_ids: list[str]) -> None:
    """Tracks of this run's albums still without real features, including albums skipped as complete
    (a run stopped before its estimates leaves such tracks behind)."""
    for chunk in chunks(album_ids):
        tracks = Track.objects.filter(album__spotify_id__in=chunk).exclude(features_source__in=REAL_FEATURES)
        context.to_estimate.update(tracks.values_list("spotify_id", flat=True))
