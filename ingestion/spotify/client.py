"""The Spotify Web API through spotipy, with our own handling of Spotify's faults.

spotipy's own retries are switched off (its urllib3 retry would sleep through a Retry-After of hours
inside a worker). Instead every call goes through `SpotifyClient.call`:

- 429 with Retry-After up to SPOTIFY_MAX_RETRY_AFTER seconds: wait (through the injectable `sleep`) and retry;
  a longer one raises SpotifyDeferred(until=...), so the run is deferred and rescheduled, no worker blocked.
- 5xx, timeouts, broken connections and unreadable or truncated bodies (spotipy then returns None):
  at most SPOTIFY_MAX_RETRIES retries with exponential backoff, then SpotifyUnavailable (a gap for the next run).
- 403/404: SpotifyRefused (the endpoint is closed to this app, or the item does not exist); the crawler falls back.
- A request that is not safe to repeat (creating a playlist) is retried only after a 429, which Spotify answers
  before doing anything: after a 5xx or a timeout it may have been done, and a retry would do it twice.
Requests are logged as `METHOD URL`; tokens never appear in logs or errors.

Crawls use the app's client-credentials client (`spotify_catalog_client`); a listener's pages use a client on the
listener's own token (`spotify_client_for_token`, built by `accounts.services.spotify_client_for_user`), which
waits out at most LISTENER_MAX_WAIT_SECONDS of a Retry-After and retries once, so a web request stays short.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests
import spotipy
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from spotipy.cache_handler import MemoryCacheHandler

from ingestion.spotify.errors import (
    SpotifyDeferred,
    SpotifyRefused,
    SpotifyRequestFailed,
    SpotifyUnavailable,
)

logger = logging.getLogger(__name__)

# Batch sizes of Spotify's several-at-once endpoints.
TRACKS_PER_REQUEST = 50
ALBUMS_PER_REQUEST = 20
ARTISTS_PER_REQUEST = 50
FEATURES_PER_REQUEST = 100
PLAYLIST_PAGE = 100
ALBUM_TRACKS_PAGE = 50
NEW_RELEASES_PAGE = 50
SEARCH_PAGE = 10  # development-mode apps get at most 10 results per search page
MAX_RATE_LIMIT_WAITS = 10  # short waits in a row on one request before the run is deferred instead
PLAYLIST_ADD_PAGE = 100  # URIs per "add items to a playlist" request
SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")  # of a track, playlist, album or artist: 22 base-62 characters
LISTENER_MAX_WAIT_SECONDS = 5  # a listener's page waits no longer for Spotify's rate limit; longer: SpotifyDeferred
LISTENER_MAX_RETRIES = 1  # retries of a 5xx/timeout while a listener waits for the page


@dataclass
class RequestStats:
    """What a client did, for a run's counts."""

    requests: int = 0
    retries: int = 0


class _Malformed(Exception):
    """A 2xx answer whose body is not the JSON object the endpoint promises."""


class SpotifyClient:
    """A spotipy client plus the fault handling above; one per run (it keeps the run's request counts)."""

    def __init__(
        self,
        spotify: spotipy.Spotify,
        *,
        max_retry_after: int,
        max_retries: int,
        backoff_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], dt.datetime] = timezone.now,
    ):
        self.spotify = spotify
        self.max_retry_after = max_retry_after
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self.now = now
        self.stats = RequestStats()

    # --- the fault handling ---

    def call(
        self, request: str, fetch: Callable[[], Any], *, expect: str | None = None, repeatable: bool = True
    ) -> dict:
        """Run `fetch` (one spotipy call described as `METHOD URL`) until it gives a JSON object.

        `expect` names a key the object must have; without it the body counts as malformed. A request that is not
        `repeatable` is retried only after a 429 (see the module docstring).
        """
        failures = 0
        rate_limit_waits = 0
        while True:
            self.stats.requests += 1
            try:
                result = fetch()
                if not isinstance(result, dict) or (expect is not None and expect not in result):
                    raise _Malformed("the body is not the JSON object expected")
                return result
            except spotipy.SpotifyException as error:
                status = error.http_status
                if status == 429:
                    rate_limit_waits += 1
                    self._wait_for_rate_limit(error, request, rate_limit_waits)
                    continue
                if status in (403, 404):
                    raise SpotifyRefused(f"Spotify answered {status}", status=status, request=request) from None
                if status < 500:
                    raise SpotifyRequestFailed(f"Spotify answered {status}", status=status, request=request) from None
                reason = f"Spotify answered {status}"
            except spotipy.SpotifyOauthError as error:
                raise SpotifyRequestFailed(
                    f"Spotify refused the app's credentials ({error.error or 'no reason given'}): "
                    "check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET",
                    request=request,
                ) from None
            except requests.RequestException as error:
                reason = f"{type(error).__name__} talking to Spotify"
            except _Malformed as error:
                reason = str(error)
            failures += 1
            if failures > (self.max_retries if repeatable else 0):
                logger.warning("Spotify request %s gave up after %d attempts: %s", request, failures, reason)
                raise SpotifyUnavailable(f"{reason}, {failures} attempts", request=request)
            self.stats.retries += 1
            self.sleep(self.backoff_seconds * 2 ** (failures - 1))

    def _wait_for_rate_limit(self, error: spotipy.SpotifyException, request: str, waits: int) -> None:
        retry_after = retry_after_seconds((error.headers or {}).get("Retry-After"), self.now())
        if retry_after > self.max_retry_after or waits > MAX_RATE_LIMIT_WAITS:
            until = self.now() + dt.timedelta(seconds=max(retry_after, 1))
            logger.warning("Spotify rate-limited %s for %ss: deferring the run", request, retry_after)
            raise SpotifyDeferred(until=until, request=request)
        self.stats.retries += 1
        self.sleep(retry_after)

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.spotify.prefix + path

    # --- endpoints the crawlers use ---

    def playlist(self, playlist_id: str) -> dict:
        return self.call(
            f"GET {self._url(f'playlists/{playlist_id}')}", lambda: self.spotify.playlist(playlist_id), expect="id"
        )

    def playlist_items(self, playlist_id: str, *, offset: int = 0) -> dict:
        return self.call(
            f"GET {self._url(f'playlists/{playlist_id}/items')}?offset={offset}",
            lambda: self.spotify.playlist_items(playlist_id, limit=PLAYLIST_PAGE, offset=offset),
            expect="items",
        )

    def next_page(self, page: dict) -> dict | None:
        """The page after `page` (its `next` URL), or None on the last page."""
        url = page.get("next")
        if not url:
            return None
        return self.call(f"GET {url}", lambda: self.spotify.next(page), expect="items")

    def tracks(self, ids: Sequence[str]) -> list[dict | None]:
        found = self.call(self._ids_request("tracks", ids), lambda: self.spotify.tracks(ids), expect="tracks")
        return found["tracks"]

    def albums(self, ids: Sequence[str]) -> list[dict | None]:
        found = self.call(self._ids_request("albums", ids), lambda: self.spotify.albums(ids), expect="albums")
        return found["albums"]

    def artists(self, ids: Sequence[str]) -> list[dict | None]:
        found = self.call(self._ids_request("artists", ids), lambda: self.spotify.artists(ids), expect="artists")
        return found["artists"]

    def audio_features(self, ids: Sequence[str]) -> list[dict | None]:
        # spotipy's audio_features() crashes on an unreadable body (it looks into None); its _get does not.
        found = self.call(
            self._ids_request("audio-features", ids),
            lambda: self.spotify._get("audio-features", ids=",".join(ids)),
            expect="audio_features",
        )
        return found["audio_features"]

    def track(self, track_id: str) -> dict:
        return self.call(f"GET {self._url(f'tracks/{track_id}')}", lambda: self.spotify.track(track_id), expect="id")

    def album(self, album_id: str) -> dict:
        return self.call(f"GET {self._url(f'albums/{album_id}')}", lambda: self.spotify.album(album_id), expect="id")

    def artist(self, artist_id: str) -> dict:
        return self.call(
            f"GET {self._url(f'artists/{artist_id}')}", lambda: self.spotify.artist(artist_id), expect="id"
        )

    def album_tracks(self, album_id: str, *, offset: int = 0) -> dict:
        return self.call(
            f"GET {self._url(f'albums/{album_id}/tracks')}?offset={offset}",
            lambda: self.spotify.album_tracks(album_id, limit=ALBUM_TRACKS_PAGE, offset=offset),
            expect="items",
        )

    def new_releases(self, *, offset: int = 0, limit: int = NEW_RELEASES_PAGE) -> dict:
        """One page of browse/new-releases: the `albums` paging object."""
        found = self.call(
            f"GET {self._url('browse/new-releases')}?offset={offset}",
            # spotipy's new_releases() only adds a DeprecationWarning to this GET.
            lambda: self.spotify._get("browse/new-releases", limit=limit, offset=offset),
            expect="albums",
        )
        return found["albums"]

    def search_new_albums(self, *, offset: int = 0, limit: int = SEARCH_PAGE) -> dict:
        """One page of `search?q=tag:new&type=album`: the `albums` paging object."""
        found = self.call(
            f"GET {self._url('search')}?q=tag:new&type=album&offset={offset}",
            lambda: self.spotify.search(q="tag:new", type="album", limit=limit, offset=offset),
            expect="albums",
        )
        return found["albums"]

    def next_albums_page(self, page: dict) -> dict | None:
        """The next page of a paging object found under `albums` (new releases, search)."""
        url = page.get("next")
        if not url:
            return None
        found = self.call(f"GET {url}", lambda: self.spotify.next(page), expect="albums")
        return found["albums"]

    # --- endpoints a listener's pages use (a client on the listener's token) ---

    def me(self) -> dict:
        """The listener's profile (`id`, `product`: "premium" or not, ...)."""
        return self.call(f"GET {self._url('me')}", self.spotify.me, expect="id")

    def saved_tracks(self, *, limit: int = ALBUM_TRACKS_PAGE) -> dict:
        """The first page of the listener's saved tracks (`total`, `items` of {"track": ...}, `next`)."""
        return self.call(
            f"GET {self._url('me/tracks')}", lambda: self.spotify.current_user_saved_tracks(limit=limit), expect="items"
        )

    def track_ids_in_pages(self, page: dict | None, *, limit: int) -> list[str]:
        """Spotify track ids of a paged list of {"track": ...} (or {"item": ...}) items, such as `saved_tracks()`
        or `playlist_items()` give, following `next` until `limit` ids; local files and episodes (no id) left out."""
        spotify_ids: list[str] = []
        while page and len(spotify_ids) < limit:
            for item in page.get("items") or []:
                track = (item or {}).get("track") or (item or {}).get("item") or {}
                if SPOTIFY_ID.match(track.get("id") or ""):
                    spotify_ids.append(track["id"])
            page = self.next_page(page)
        return spotify_ids[:limit]

    def my_playlists(self, *, limit: int = ALBUM_TRACKS_PAGE) -> dict:
        """The first page of the listener's playlists."""
        return self.call(
            f"GET {self._url('me/playlists')}", lambda: self.spotify.current_user_playlists(limit=limit), expect="items"
        )

    def playlist_name(self, playlist_id: str) -> str:
        found = self.call(
            f"GET {self._url(f'playlists/{playlist_id}')}?fields=name",
            lambda: self.spotify.playlist(playlist_id, fields="name"),
            expect="name",
        )
        return found["name"] or playlist_id

    def playlist_create(self, *, name: str, public: bool, description: str) -> dict:
        """Create a playlist in the listener's account; each call makes another one (never retried after a 5xx)."""
        return self.call(
            f"POST {self._url('me/playlists')}",
            lambda: self.spotify.current_user_playlist_create(name, public=public, description=description),
            expect="id",
            repeatable=False,
        )

    def playlist_add_items(self, playlist_id: str, uris: Sequence[str]) -> None:
        """Append `uris` (spotify:track:...) to a playlist, PLAYLIST_ADD_PAGE per request (never retried after a 5xx:
        the items may have been added)."""
        for start in range(0, len(uris), PLAYLIST_ADD_PAGE):
            chunk = list(uris[start : start + PLAYLIST_ADD_PAGE])
            self.call(
                f"POST {self._url(f'playlists/{playlist_id}/items')}",
                lambda chunk=chunk: self.spotify.playlist_add_items(playlist_id, chunk),
                expect="snapshot_id",
                repeatable=False,
            )

    @property
    def prefix(self) -> str:
        """The API's base URL (SPOTIFY_API_URL) the requests go to."""
        return self.spotify.prefix

    def _ids_request(self, endpoint: str, ids: Sequence[str]) -> str:
        shown = ",".join(ids[:3]) + (f",… ({len(ids)} ids)" if len(ids) > 3 else "")
        return f"GET {self._url(endpoint)}?ids={shown}"


def retry_after_seconds(raw: str | None, now: dt.datetime) -> int:
    """Retry-After as seconds: a number, or an HTTP date; absent or unreadable means 1 s (the preview sources too)."""
    if raw is None:
        return 1
    try:
        return max(0, int(float(raw)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return 1
    return max(0, int((when - now).total_seconds()))


def _spotipy(*, auth: str | None = None, auth_manager=None, session: requests.Session) -> spotipy.Spotify:
    spotify = spotipy.Spotify(
        auth=auth,
        auth_manager=auth_manager,
        requests_session=session,
        requests_timeout=settings.SPOTIFY_TIMEOUT_SECONDS,
        retries=0,
        status_retries=0,
    )
    spotify.prefix = _with_slash(settings.SPOTIFY_API_URL)
    return spotify


def _client(
    spotify: spotipy.Spotify, sleep: Callable[[float], None] | None, *, max_retry_after: int, max_retries: int
) -> SpotifyClient:
    return SpotifyClient(
        spotify,
        max_retry_after=max_retry_after,
        max_retries=max_retries,
        backoff_seconds=settings.SPOTIFY_BACKOFF_SECONDS,
        sleep=sleep if sleep is not None else time.sleep,
    )


def spotify_catalog_client(
    *, sleep: Callable[[float], None] | None = None, session: requests.Session | None = None
) -> SpotifyClient:
    """A client-credentials client for catalog crawls, from SPOTIFY_CLIENT_ID/SECRET and the URL settings."""
    if not settings.SPOTIFY_CLIENT_ID or not settings.SPOTIFY_CLIENT_SECRET:
        raise ImproperlyConfigured(
            "Crawling Spotify needs an app: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET "
            "(from https://developer.spotify.com/dashboard)."
        )
    session = session or requests.Session()
    credentials = spotipy.SpotifyClientCredentials(
        client_id=settings.SPOTIFY_CLIENT_ID,
        client_secret=settings.SPOTIFY_CLIENT_SECRET,
        requests_session=session,
        requests_timeout=settings.SPOTIFY_TIMEOUT_SECONDS,
        cache_handler=MemoryCacheHandler(),
    )
    # spotipy has no setting for the token endpoint; the instance attribute overrides the class default.
    credentials.OAUTH_TOKEN_URL = urljoin(_with_slash(settings.SPOTIFY_ACCOUNTS_URL), "api/token")
    return _client(
        _spotipy(auth_manager=credentials, session=session),
        sleep,
        max_retry_after=settings.SPOTIFY_MAX_RETRY_AFTER,
        max_retries=settings.SPOTIFY_MAX_RETRIES,
    )


def spotify_client_for_token(
    access_token: str, *, sleep: Callable[[float], None] | None = None, session: requests.Session | None = None
) -> SpotifyClient:
    """A client acting as a listener with their (already refreshed) access token, for a listener's page: the same
    fault handling, but waits and retries short enough for a web request (LISTENER_MAX_WAIT_SECONDS)."""
    return _client(
        _spotipy(auth=access_token, session=session or requests.Session()),
        sleep,
        max_retry_after=min(settings.SPOTIFY_MAX_RETRY_AFTER, LISTENER_MAX_WAIT_SECONDS),
        max_retries=min(settings.SPOTIFY_MAX_RETRIES, LISTENER_MAX_RETRIES),
    )


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
