"""One listener's Spotify account in the fake Spotify: what their own token may read and write.

    listener = FakeListener(saved_track_ids=[...], playlists={"37i9...": {"name": "Drive", "track_ids": [...]}})
    with FakeSpotify(small_catalog(), listener=listener) as fake:
        ...  # a SocialToken with listener.token makes the site's client act as this listener

It answers `GET me`, `me/tracks` and `me/playlists` (paged), the listener's playlists and their items, and records
`POST me/playlists` (`created`, ids "pl1", "pl2", ...) and `POST playlists/{id}/items` (`added`). Requests with
this token count in the fake's `requests` and meet its injected faults like any other.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tests.fake_spotify.catalog import Renderer

LISTENER_TOKEN = "fake-listener-token"


@dataclass
class FakeListener:
    token: str = LISTENER_TOKEN
    profile: dict = field(default_factory=lambda: {"id": "listener1", "display_name": "Minji", "product": "premium"})
    saved_track_ids: list[str] = field(default_factory=list)
    playlists: dict[str, dict] = field(default_factory=dict)  # id -> name, track_ids
    refuse_writes: bool = False  # 403 on every POST, as for an account that did not grant playlist-modify-private
    created: list[dict] = field(default_factory=list)  # the bodies of POST me/playlists, in order
    added: list[str] = field(default_factory=list)  # the URIs added to the playlists it created, in order

    def answer_get(self, parts: list[str], query: dict[str, str], render: Renderer) -> tuple[int, dict] | None:
        """(status, body) for the listener's own endpoints; None for the rest of the API."""
        if parts == ["me"]:
            return 200, self.profile
        if parts == ["me", "tracks"]:
            return 200, self._page(render, "me/tracks", [_saved(render, t) for t in self.saved_track_ids], query)
        if parts == ["me", "playlists"]:
            items = [self._playlist(render, playlist_id, full=False) for playlist_id in self.playlists]
            return 200, self._page(render, "me/playlists", items, query)
        if len(parts) >= 2 and parts[0] == "playlists" and parts[1] in self.playlists:
            playlist_id = parts[1]
            if len(parts) == 3 and parts[2] in ("items", "tracks"):
                items = [_saved(render, t) for t in self.playlists[playlist_id]["track_ids"]]
                return 200, self._page(render, f"playlists/{playlist_id}/items", items, query, cap=100)
            playlist = self._playlist(render, playlist_id, full=True)
            return 200, {"name": playlist["name"]} if query.get("fields") == "name" else playlist
        return None

    def answer_post(self, parts: list[str], body: object) -> tuple[int, dict]:
        if self.refuse_writes:
            return 403, {"error": {"status": 403, "message": "Insufficient client scope"}}
        if parts == ["me", "playlists"] and isinstance(body, dict):
            self.created.append(body)
            playlist_id = f"pl{len(self.created)}"
            return 201, {"id": playlist_id, "external_urls": {"spotify": f"https://open.spotify.com/playlist/{playlist_id}"}}
        created = {f"pl{number}" for number in range(1, len(self.created) + 1)}
        if len(parts) == 3 and parts[0] == "playlists" and parts[1] in created and parts[2] in ("items", "tracks"):
            uris = body.get("uris", []) if isinstance(body, dict) else body
            self.added += list(uris or [])
            return 201, {"snapshot_id": f"snapshot-{len(self.added)}"}
        return 404, {"error": {"status": 404, "message": "Resource not found"}}

    def _playlist(self, render: Renderer, playlist_id: str, *, full: bool) -> dict:
        playlist = self.playlists[playlist_id]
        track_ids = playlist["track_ids"]
        tracks_url = f"{render.base_url}playlists/{playlist_id}/items"
        obj = {
            "id": playlist_id,
            "name": playlist["name"],
            "type": "playlist",
            "uri": f"spotify:playlist:{playlist_id}",
            "owner": {"id": self.profile["id"]},
            "tracks": {"href": tracks_url, "total": len(track_ids)},
        }
        if full:
            obj["tracks"] = render.page(
                [_saved(render, t) for t in track_ids[:100]], url=tracks_url, offset=0, limit=100, total=len(track_ids)
            )
        return obj

    @staticmethod
    def _page(render: Renderer, path: str, items: list, query: dict[str, str], cap: int = 50) -> dict:
        offset, limit = int(query.get("offset", "0")), min(int(query.get("limit", "20")), cap)
        return render.page(
            items[offset : offset + limit], url=f"{render.base_url}{path}", offset=offset, limit=limit, total=len(items)
        )


def _saved(render: Renderer, track_id: str) -> dict:
    """A saved-track or playlist item: the full track where the fake catalog has it, else a minimal one."""
    if track_id in render.catalog.tracks:
        track = render.track(track_id, full=True)
    else:
        track = {"id": track_id, "name": f"Track {track_id[:6]}", "type": "track", "uri": f"spotify:track:{track_id}"}
    return {"added_at": "2026-01-01T00:00:00Z", "is_local": False, "track": track}
