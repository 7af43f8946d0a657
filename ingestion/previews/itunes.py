"""iTunes Search (no login): `search?term=<artist title>&entity=song`; each result's `previewUrl` is 30 s of AAC.

libsndfile cannot decode AAC, so on a machine without another decoder these previews are found but rejected as
undecodable (the lookup says so); iTunes is a second source for sites that can use its links as they are.
"""
from __future__ import annotations

from ingestion.previews.candidates import PreviewCandidate
from ingestion.previews.http import PreviewHttp

NAME = "itunes"
SEARCH_RESULTS = 10


class ITunesSource:
    name = NAME

    def __init__(self, http: PreviewHttp, *, base_url: str, country: str):
        self.http = http
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.country = country

    def by_isrc(self, isrc: str) -> list[PreviewCandidate]:
        return []  # iTunes Search has no ISRC lookup

    def search(self, *, artist: str, title: str) -> list[PreviewCandidate]:
        found = self.http.get_json(
            self.base_url + "search", source=NAME,
            params={"term": f"{artist} {title}", "entity": "song", "limit": SEARCH_RESULTS, "country": self.country},
        )
        items = found.get("results") if isinstance(found.get("results"), list) else []
        return [c for item in items if (c := _candidate(item))]


def _candidate(item: dict) -> PreviewCandidate | None:
    if not isinstance(item, dict) or not isinstance(item.get("previewUrl"), str):
        return None
    if not item["previewUrl"].startswith(("https://", "http://")):
        return None
    millis = item.get("trackTimeMillis")
    return PreviewCandidate(
        source=NAME, preview_url=item["previewUrl"], artist=str(item.get("artistName") or ""),
        title=str(item.get("trackName") or ""),
        duration_ms=int(millis) if isinstance(millis, int | float) and millis > 0 else None,
    )
