"""The playlist crawler: every page of each playlist, then what the catalog lacks about its tracks."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from tqdm import tqdm

from ingestion.importers.formats import values as v
from ingestion.importers.records import Origin, PlaylistRecord
from ingestion.models import CrawlRun, Playlist
from ingestion.services.catalog import catalog_upsert_playlists
from ingestion.services.crawls.estimates import features_estimate_tracks
from ingestion.services.crawls.fill import Stub, catalog_fill
from ingestion.services.crawls.runs import CrawlContext, crawl_run_finish, crawl_run_start
from ingestion.spotify import (
    SpotifyClient,
    SpotifyDeferred,
    SpotifyRefused,
    SpotifyUnavailable,
    spotify_catalog_client,
)
from ingestion.spotify.records import BadValue, is_crawlable_track, playlist_id_from


def playlist_references_parse(references: list[str]) -> tuple[list[str], list[str]]:
    """(playlist ids in order without repeats, messages for the references that are not playlists)."""
    ids: dict[str, None] = {}
    problems: list[str] = []
    for reference in references:
        try:
            ids[playlist_id_from(reference)] = None
        except ValueError as problem:
            problems.append(str(problem))
    return list(ids), problems


class SpotifyNotConnected(Exception):
    """This server has no Spotify app (SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET), so nothing can be crawled."""


def crawl_playlists_queue(*, playlist_ids: list[str]) -> None:
    """Queue a crawl of these Spotify playlists, run after the commit (in-process without a broker, where a failure
    is logged on its CrawlRun rather than raised). Raises SpotifyNotConnected without a Spotify app."""
    from ingestion.tasks import crawl_playlists_task  # tasks import the services

    if not settings.SPOTIFY_CLIENT_ID or not settings.SPOTIFY_CLIENT_SECRET:
        raise SpotifyNotConnected
    transaction.on_commit(lambda: crawl_playlists_task.delay(playlist_ids), robust=True)


def crawl_playlists(
    *,
    playlist_ids: list[str],
    client: SpotifyClient | None = None,
    progress: bool = False,
    sleep: Callable[[float], None] | None = None,
    resumes: CrawlRun | None = None,
    task_id: str = "",
) -> CrawlRun:
    """Crawl the playlists (and first the ones the previous playlist run, or the deferred run this one `resumes`,
    left as gaps) into the catalog.

    Stores each playlist (source spotify) with its ordered entries and the tracks, albums, artists and
    features it needs. A playlist whose pages cannot all be read is left as it was and recorded as a gap.
    A long rate limit ends the run as deferred, its unfinished playlists recorded as gaps. Safe to re-run.
    """
    client = client or spotify_catalog_client(sleep=sleep)
    context = crawl_run_start(
        kind=CrawlRun.Kind.PLAYLISTS, parameters={"playlists": playlist_ids}, client=client, resumes=resumes,
        task_id=task_id,
    )  # fmt: skip
    order = list(dict.fromkeys([*sorted(context.inherited.get("playlists", ())), *playlist_ids]))
    done = 0
    try:
        for playlist_id in tqdm(order, unit="playlist", disable=not progress, desc="crawling playlists"):
            _crawl_playlist(context, playlist_id)
            done += 1
        context.estimated = features_estimate_tracks(track_ids=context.to_estimate, summary=context.summary)
    except SpotifyDeferred as deferred:
        context.gap("playlists", order[done:])
        return crawl_run_finish(context, deferred=deferred)
    except Exception as failure:
        crawl_run_finish(context, failure=failure)
        raise
    return crawl_run_finish(context)


def _crawl_playlist(context: CrawlContext, playlist_id: str) -> None:
    try:
        playlist, items = _read_playlist(context, playlist_id)
    except SpotifyRefused as refusal:
        context.error(
            f"playlist {playlist_id}: Spotify answered {refusal.status} "
            "(no such playlist, or not visible to this app: Spotify's own playlists are closed to new apps)"
        )
        return
    except SpotifyUnavailable as problem:
        context.gap("playlists", [playlist_id])
        context.error(f"playlist {playlist_id} left for the next run: {problem}")
        return
    stubs = [Stub(track) for item in items if is_crawlable_track(track := item.get("track") or item.get("item"))]
    records, whole = catalog_fill(context, stubs)
    if not whole:
        context.gap("playlists", [playlist_id])
    try:
        followers = playlist.get("followers")
        record = PlaylistRecord(
            source=Playlist.Source.SPOTIFY,
            external_id=playlist_id,
            name=v.text(playlist.get("name"), "playlist.name", max_length=v.MAX_LENGTH["playlist"]),
            origin=Origin(f"spotify:playlist:{playlist_id}", 0),
            description=v.optional_text(playlist.get("description"), "playlist.description"),
            followers=v.followers(followers.get("total") if isinstance(followers, dict) else None, "followers"),
            tracks=tuple(records),
        )
    except BadValue as problem:
        context.error(f"playlist {playlist_id}: {problem}")
        return
    catalog_upsert_playlists(records=[record], summary=context.summary)


def _read_playlist(context: CrawlContext, playlist_id: str) -> tuple[dict, list[dict]]:
    """The playlist object and all its items, following `next` through every page."""
    client = context.client
    playlist = client.playlist(playlist_id)
    page = playlist.get("tracks") if isinstance(playlist.get("tracks"), dict) else playlist.get("items")
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        page = client.playlist_items(playlist_id)
    items: list[dict] = []
    while page is not None:
        items.extend(item for item in page["items"] if isinstance(item, dict))
        page = client.next_page(page)
    return playlist, items
