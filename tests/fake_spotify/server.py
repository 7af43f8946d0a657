"""A fake Spotify Web API and accounts service on 127.0.0.1, in a thread, for tests and the crawl benchmark.

    with FakeSpotify(small_catalog(), faults=Faults([Fault("server_error", on={3})])) as fake:
        settings.SPOTIFY_API_URL, settings.SPOTIFY_ACCOUNTS_URL = fake.api_url, fake.accounts_url

It speaks Spotify's JSON: the client-credentials token endpoint, playlists and their item pages (`next`
URLs point back here), several-at-once and single-item lookups, album tracks, audio features,
browse/new-releases and `search?q=tag:new&type=album`. `restricted=True` behaves like a development-mode
app since 2026: 403 on audio-features, new-releases and several-at-once lookups, no popularity or followers,
at most 10 search results per page. Faults are injected on the n-th API request or with a seeded probability.
`listener=FakeListener(...)` (see `listener.py`) adds one listener's account, read and written with their token.
"""
from __future__ import annotations

import base64
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.fake_spotify.catalog import FakeCatalog, Renderer
from tests.fake_spotify.listener import FakeListener

CLIENT_ID, CLIENT_SECRET = "fake-client-id", "fake-client-secret"
TOKEN = "fake-access-token"
MAX_IDS = {"tracks": 50, "albums": 20, "artists": 50, "audio-features": 100}


@dataclass
class Fault:
    """One kind of failure: `rate_limit` (429 + Retry-After), `server_error` (503), `malformed` (not JSON),
    `truncated` (half the JSON, consistent Content-Length), `cut` (connection closed mid-body).

    It strikes on the API requests numbered in `on` (1-based, counting every API request), or with
    `probability`; only on paths containing `path` if given; at most `times` times if given.
    """

    kind: str
    on: set[int] = field(default_factory=set)
    probability: float = 0.0
    path: str = ""
    times: int | None = None
    retry_after: int = 1
    struck: int = 0


class Faults:
    def __init__(self, rules: list[Fault] | None = None, *, seed: int = 0):
        self.rules = list(rules or [])
        self.random = random.Random(seed)

    def pick(self, number: int, path: str) -> Fault | None:
        for rule in self.rules:
            if rule.path and rule.path not in path:
                continue
            if rule.times is not None and rule.struck >= rule.times:
                continue
            if number in rule.on or (rule.probability and self.random.random() < rule.probability):
                rule.struck += 1
                return rule
        return None


class FakeSpotify:
    def __init__(
        self,
        catalog: FakeCatalog,
        *,
        faults: Faults | None = None,
        restricted: bool = False,
        page_limit: int = 100,
        listener: FakeListener | None = None,
        latency: float = 0.0,
    ):
        self.catalog = catalog
        self.latency = latency  # seconds each API answer takes (a slow crawl, for killing a worker mid-way)
        self.listener = listener
        self.faults = faults or Faults()
        self.restricted = restricted
        self.page_limit = page_limit  # the most items a page holds, whatever limit the client asks for
        self.requests: list[str] = []  # "GET /v1/..." for every API request, in order
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.root = f"http://{host}:{port}/"
        self.api_url = f"{self.root}v1/"
        self.accounts_url = f"{self.root}accounts/"
        self.render = Renderer(catalog, self.api_url, restricted=restricted)
        self.thread: threading.Thread | None = None

    def start(self) -> FakeSpotify:
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-spotify", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeSpotify:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def count(self, fragment: str) -> int:
        """How many API requests so far had `fragment` in their path."""
        return sum(fragment in request for request in self.requests)

    # --- routing ---

    def answer(self, path: str, query: dict[str, str], *, as_listener: bool = False) -> tuple[int, dict]:
        """(status, body) for an authorised GET of `path` below /v1/ (with the app's or the listener's token)."""
        parts = [p for p in path.split("/") if p]
        if as_listener and self.listener is not None:
            mine = self.listener.answer_get(parts, query, self.render)
            if mine is not None:
                return mine
        head = parts[0] if parts else ""
        if head in MAX_IDS and len(parts) == 1:
            return self._several(head, query)
        if head == "playlists" and len(parts) >= 2:
            return self._playlist(parts, query)
        if head == "albums" and len(parts) == 3 and parts[2] == "tracks":
            return self._album_tracks(parts[1], query)
        if head in ("tracks", "albums", "artists") and len(parts) == 2:
            return self._single(head, parts[1])
        if parts == ["browse", "new-releases"]:
            if self.restricted:
                return _error(403, "Forbidden")
            return 200, {"albums": self._album_page("browse/new-releases", query, self.page_limit)}
        if head == "search":
            return self._search(query)
        return _error(404, "Service not found")

    def _several(self, kind: str, query: dict[str, str]) -> tuple[int, dict]:
        if self.restricted:
            return _error(403, "Forbidden")
        ids = [i for i in query.get("ids", "").split(",") if i]
        if not ids or len(ids) > MAX_IDS[kind]:
            return _error(400, f"Bad ids: give 1 to {MAX_IDS[kind]}")
        if kind == "audio-features":
            return 200, {"audio_features": [self.render.features(i) if i in self.catalog.tracks else None for i in ids]}
        table, render = {
            "tracks": (self.catalog.tracks, self.render.track),
            "albums": (self.catalog.albums, self._full_album),
            "artists": (self.catalog.artists, self.render.artist),
        }[kind]
        return 200, {kind: [render(i, full=True) if i in table else None for i in ids]}

    def _single(self, kind: str, item_id: str) -> tuple[int, dict]:
        table, render = {
            "tracks": (self.catalog.tracks, self.render.track),
            "albums": (self.catalog.albums, self._full_album),
            "artists": (self.catalog.artists, self.render.artist),
        }[kind]
        if item_id not in table:
            return _error(404, "Resource not found")
        return 200, render(item_id, full=True)

    def _full_album(self, album_id: str, *, full: bool = True) -> dict:
        album = self.render.album(album_id, full=True)
        album["tracks"] = self._track_page(
            f"albums/{album_id}/tracks", self.catalog.album_track_ids(album_id), {}, simplified=True
        )
        return album

    def _album_tracks(self, album_id: str, query: dict[str, str]) -> tuple[int, dict]:
        if album_id not in self.catalog.albums:
            return _error(404, "Resource not found")
        ids = self.catalog.album_track_ids(album_id)
        return 200, self._track_page(f"albums/{album_id}/tracks", ids, query, simplified=True)

    def _playlist(self, parts: list[str], query: dict[str, str]) -> tuple[int, dict]:
        playlist_id = parts[1]
        playlist = self.catalog.playlists.get(playlist_id)
        if playlist is None:
            return _error(404, "Resource not found")
        items_path = f"playlists/{playlist_id}/items"
        if len(parts) == 3 and parts[2] in ("tracks", "items"):
            return 200, self._track_page(items_path, playlist["track_ids"], query, simplified=False)
        if len(parts) != 2:
            return _error(404, "Service not found")
        return 200, {
            "id": playlist_id,
            "name": playlist["name"],
            "description": playlist["description"],
            "followers": {"href": None, "total": None if self.restricted else playlist["followers"]},
            "type": "playlist",
            "uri": f"spotify:playlist:{playlist_id}",
            "tracks": self._track_page(items_path, playlist["track_ids"], {}, simplified=False),
        }

    def _track_page(self, path: str, ids: list[str], query: dict[str, str], *, simplified: bool) -> dict:
        offset, limit = self._offset_limit(query, self.page_limit)
        chosen = ids[offset : offset + limit]
        if simplified:
            items = [self.render.track(i, full=False) for i in chosen]
        else:
            items = [{"added_at": "2026-01-01T00:00:00Z", "is_local": False, "track": self.render.track(i, full=True)}
                     for i in chosen]
        return self.render.page(items, url=f"{self.api_url}{path}", offset=offset, limit=limit, total=len(ids))

    def _album_page(self, path: str, query: dict[str, str], cap: int, extra: str = "") -> dict:
        offset, limit = self._offset_limit(query, cap)
        ids = self.catalog.new_releases
        items = [self.render.album(i, full=False) for i in ids[offset : offset + limit]]
        return self.render.page(items, url=f"{self.api_url}{path}", offset=offset, limit=limit, total=len(ids),
                                extra=extra)

    def _search(self, query: dict[str, str]) -> tuple[int, dict]:
        if query.get("type") != "album" or "tag:new" not in query.get("q", ""):
            return 200, {"albums": self.render.page([], url=f"{self.api_url}search", offset=0, limit=10, total=0)}
        cap = 10 if self.restricted else 50
        if int(query.get("limit", "10")) > cap:
            return _error(400, "Invalid limit")
        return 200, {"albums": self._album_page("search", query, min(cap, self.page_limit), "&q=tag:new&type=album")}

    @staticmethod
    def _offset_limit(query: dict[str, str], cap: int) -> tuple[int, int]:
        return int(query.get("offset", "0")), min(int(query.get("limit", "20")), cap)


def _error(status: int, message: str) -> tuple[int, dict]:
    return status, {"error": {"status": status, "message": message}}


_API_PATH = re.compile(r"^/v1/(?P<rest>.*)$")


def _handler_for(fake: FakeSpotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:  # quiet test output
            pass

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = _API_PATH.match(url.path)
            if match is not None:  # the listener's writes: create a playlist, add items
                if not self._is_listener():
                    self._send(401, {"error": {"status": 401, "message": "Invalid access token"}})
                    return
                fault = self._record_and_pick_fault("POST", url)
                if fault is not None:
                    return
                parts = [p for p in match.group("rest").split("/") if p]
                self._send(*fake.listener.answer_post(parts, json.loads(raw or b"null")))
                return
            form = parse_qs(raw.decode())
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if url.path != "/accounts/api/token":
                self._send(404, {"error": "not_found"})
            elif self.headers.get("Authorization") != expected:
                self._send(400, {"error": "invalid_client", "error_description": "Invalid client"})
            elif form.get("grant_type") != ["client_credentials"]:
                self._send(400, {"error": "unsupported_grant_type"})
            else:
                self._send(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            match = _API_PATH.match(url.path)
            if match is None:
                self._send(404, {"error": {"status": 404, "message": "Service not found"}})
                return
            as_listener = self._is_listener()
            if self.headers.get("Authorization") != f"Bearer {TOKEN}" and not as_listener:
                self._send(401, {"error": {"status": 401, "message": "Invalid access token"}})
                return
            fault = self._record_and_pick_fault("GET", url)
            if fault is not None and fault.kind in ("rate_limit", "server_error"):
                return
            if fake.latency:
                time.sleep(fake.latency)
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            status, body = fake.answer(match.group("rest"), query, as_listener=as_listener)
            self._send(status, body, fault=fault.kind if fault else None)

        def _is_listener(self) -> bool:
            return fake.listener is not None and self.headers.get("Authorization") == f"Bearer {fake.listener.token}"

        def _record_and_pick_fault(self, method: str, url) -> Fault | None:
            """Count the request and pick its fault; a 429 or 503 fault is answered here."""
            with fake.lock:
                fake.requests.append(f"{method} {url.path}?{url.query}" if method == "GET" else f"{method} {url.path}")
                fault = fake.faults.pick(len(fake.requests), url.path)
            if fault is not None and fault.kind in ("rate_limit", "server_error"):
                status = 429 if fault.kind == "rate_limit" else 503
                self._send(status, _error(status, "injected")[1], {"Retry-After": str(fault.retry_after)})
            elif fault is not None and method == "POST":
                self._send(503, _error(503, "injected")[1])  # body faults are for reads; a write just fails
            return fault

        def _send(self, status: int, body: dict, headers: dict | None = None, fault: str | None = None) -> None:
            data = json.dumps(body).encode()
            if fault == "malformed":
                data = b"<html>upstream error</html>"
            elif fault == "truncated":
                data = data[: len(data) // 2]
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data) * 2 if fault == "cut" else len(data)))
            if fault == "cut":
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            if fault == "cut":
                self.wfile.flush()
                self.close_connection = True

    return Handler
