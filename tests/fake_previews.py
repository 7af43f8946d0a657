"""Fake Deezer and iTunes Search servers on 127.0.0.1, in a thread, serving generated audio as previews.

    with FakePreviews([FakeSong("NewJeans", "Hype Boy", isrc="USA2P2230001")]) as fake:
        settings.DEEZER_API_URL, settings.ITUNES_API_URL = fake.deezer_url, fake.itunes_url

Deezer: `track/isrc:<ISRC>` (a track object, or HTTP 200 with `{"error": {"code": 800}}`) and
`search?q=artist:"…" track:"…"` (`{"data": [...]}`), matching quoted names case-insensitively as a substring, the
way Deezer's fuzzy search finds more than the one song. iTunes: `search?term=…&entity=song` (`{"results": [...]}`,
every song whose artist and title words are all in the term). Previews are served from `/audio/<n>.<ext>`.

The real Deezer serves MP3 and iTunes AAC (.m4a); here both serve what each song's `audio` holds — MP3 by default,
written by libsndfile — since AAC cannot be made (or read) with soundfile; a test that wants an undecodable preview
gives a song bytes that are not audio. Faults are tests.fake_spotify's (`Fault`, `Faults`), counted over every
request to this server, plus `quota` (Deezer's own rate limit: HTTP 200, `{"error": {"code": 4}}`) and `slow`
(the answer comes after `delay` seconds).
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.fake_spotify.server import Fault, Faults
from tests.ingestion.sounds import tone

__all__ = ["FakePreviews", "FakeSong", "Fault", "Faults"]


@dataclass
class FakeSong:
    artist: str
    title: str
    isrc: str = ""
    seconds: int = 200  # the whole song's length, as the source reports it
    audio: bytes = field(default=b"", repr=False)  # the preview; a generated MP3 tone when empty
    extension: str = "mp3"
    content_type: str = "audio/mpeg"


class FakePreviews:
    def __init__(self, songs: list[FakeSong], *, faults: Faults | None = None, delay: float = 0.0):
        self.songs = songs
        for number, song in enumerate(songs):
            if not song.audio:
                song.audio = tone(seconds=3.0, hz=220.0 + 40 * number, format="mp3")
        self.faults = faults or Faults()
        self.delay = delay
        self.requests: list[str] = []  # "GET /path?query", in order
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.root = f"http://{host}:{port}/"
        self.deezer_url = f"{self.root}deezer/"
        self.itunes_url = f"{self.root}itunes/"

    def __enter__(self) -> FakePreviews:
        threading.Thread(target=self.server.serve_forever, name="fake-previews", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, fragment: str) -> int:
        return sum(fragment in request for request in self.requests)

    def audio_url(self, number: int) -> str:
        return f"{self.root}audio/{number}.{self.songs[number].extension}"

    # --- answers ---

    def deezer(self, parts: list[str], query: dict[str, str]) -> dict:
        if len(parts) == 2 and parts[0] == "track" and parts[1].startswith("isrc:"):
            isrc = parts[1].removeprefix("isrc:").upper()
            found = [n for n, song in enumerate(self.songs) if song.isrc.upper() == isrc]
            return self._deezer_track(found[0]) if found else {"error": {"type": "DataException", "message":
                                                                         "no data", "code": 800}}
        if parts == ["search"]:
            wanted = dict(re.findall(r'(artist|track):"([^"]*)"', query.get("q", "")))
            found = [
                n for n, song in enumerate(self.songs)
                if wanted.get("artist", "").casefold() in song.artist.casefold()
                and wanted.get("track", "").casefold() in song.title.casefold()
            ]
            return {"data": [self._deezer_track(n) for n in found], "total": len(found)}
        return {"error": {"type": "MissingParameterException", "message": "unknown path", "code": 501}}

    def _deezer_track(self, number: int) -> dict:
        song = self.songs[number]
        return {
            "id": 1000 + number, "type": "track", "title": song.title, "title_short": song.title,
            "isrc": song.isrc, "duration": song.seconds, "preview": self.audio_url(number),
            "artist": {"id": 500 + number, "name": song.artist, "type": "artist"},
        }

    def itunes(self, parts: list[str], query: dict[str, str]) -> dict:
        if parts != ["search"] or query.get("entity") != "song":
            return {"resultCount": 0, "results": []}
        words = query.get("term", "").casefold().split()
        found = [n for n, song in enumerate(self.songs)
                 if words and all(w in f"{song.artist} {song.title}".casefold() for w in words)]
        results = [{
            "wrapperType": "track", "kind": "song", "artistName": self.songs[n].artist,
            "trackName": self.songs[n].title, "trackTimeMillis": self.songs[n].seconds * 1000,
            "previewUrl": self.audio_url(n),
        } for n in found]
        return {"resultCount": len(results), "results": results}


def _handler_for(fake: FakePreviews):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet in tests
            pass

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(split.query).items()}
            with fake.lock:
                fake.requests.append(f"GET {self.path}")
                fault = fake.faults.pick(len(fake.requests), split.path)
            if fake.delay or (fault and fault.kind == "slow"):
                time.sleep(fake.delay or 2.0)
            if fault and fault.kind == "rate_limit":
                return self._json(429, {"error": "rate limited"}, {"Retry-After": str(fault.retry_after)})
            if fault and fault.kind == "server_error":
                return self._json(503, {"error": "unavailable"})
            if fault and fault.kind == "quota":
                return self._json(200, {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}})
            parts = [p for p in split.path.split("/") if p]
            if parts[:1] == ["audio"] and len(parts) == 2:
                return self._audio(parts[1], fault)
            if parts[:1] == ["deezer"]:
                return self._json(200, fake.deezer(parts[1:], query), fault=fault)
            if parts[:1] == ["itunes"]:
                return self._json(200, fake.itunes(parts[1:], query), fault=fault)
            return self._json(404, {"error": "not found"})

        def _audio(self, name: str, fault: Fault | None) -> None:
            number = name.split(".")[0]
            if not number.isdigit() or int(number) >= len(fake.songs):
                return self._json(404, {"error": "no such preview"})
            song = fake.songs[int(number)]
            self._send(200, song.audio, song.content_type, fault=fault)

        def _json(self, status: int, body: dict, headers: dict | None = None, fault: Fault | None = None) -> None:
            data = json.dumps(body).encode()
            if fault and fault.kind == "malformed":
                data = b"<html>Service temporarily unavailable</html>"
            self._send(status, data, "application/json", headers, fault=fault)

        def _send(self, status: int, data: bytes, content_type: str, headers: dict | None = None,
                  fault: Fault | None = None) -> None:
            cut = fault is not None and fault.kind == "cut"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data) * 2 if cut else len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
            if cut:
                self.close_connection = True

    return Handler
