"""Deezer's public API (no login): `track/isrc:<ISRC>`, else `search?q=artist:"…" track:"…"`.

A track object carries `preview` (a 30-second MP3 link), `title`, `duration` (seconds, of the whole song), `isrc`
and `artist.name`. Deezer answers errors with HTTP 200 and `{"error": {"code": …}}`: 800 is "no such item",
4 is its rate limit (50 requests per 5 seconds), which is waited out like a 429.
"""
from __future__ import annotations

from urllib.parse import quote

from ingestion.previews.candidates import PreviewCandidate
from ingestion.previews.http import PreviewHttp

NAME = "deezer"
SEARCH_RESULTS = 10
QUOTA_ERROR = 4
QUOTA_WINDOW_SECONDS = "5"


class DeezerSource:
    name = NAME

    def __init__(self, http: PreviewHttp, *, base_url: str):
        self.http = http
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    def by_isrc(self, isrc: str) -> list[PreviewCandidate]:
        found = self._get(f"track/isrc:{quote(isrc)}")
        if "error" in found or not found.get("preview"):
            return []
        candidate = _candidate(found, found_by="isrc")
        return [candidate] if candidate and candidate.isrc.upper() == isrc.upper() else []

    def search(self, *, artist: str, title: str) -> list[PreviewCandidate]:
        query = f'artist:"{_quoted(artist)}" track:"{_quoted(title)}"'
        found = self._get("search", params={"q": query, "limit": SEARCH_RESULTS})
        items = found.get("data") if isinstance(found.get("data"), list) else []
        return [c for item in items if (c := _candidate(item, found_by="search"))]

    def _get(self, path: str, params: dict | None = None) -> dict:
        return self.http.get_json(self.base_url + path, source=NAME, params=params, rate_limited=_quota_wait)


def _quota_wait(body: dict) -> str | None:
    error = body.get("error")
    if isinstance(error, dict) and error.get("code") == QUOTA_ERROR:
        return QUOTA_WINDOW_SECONDS
    return None


def _candidate(item: dict, *, found_by: str) -> PreviewCandidate | None:
    if not isinstance(item, dict) or not isinstance(item.get("preview"), str) or not item["preview"]:
        return None
    if not item["preview"].startswith(("https://", "http://")):
        return None
    artist = item.get("artist") if isinstance(item.get("artist"), dict) else {}
    duration = item.get("duration")
    return PreviewCandidate(
        source=NAME, preview_url=item["preview"], artist=str(artist.get("name") or ""),
        title=str(item.get("title") or ""),
        duration_ms=int(duration * 1000) if isinstance(duration, int | float) and duration > 0 else None,
        isrc=str(item.get("isrc") or ""), found_by=found_by,
    )


def _quoted(text: str) -> str:
    return text.replace('"', " ").strip()
