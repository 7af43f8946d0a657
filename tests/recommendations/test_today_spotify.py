"""Saving today's songs as a Spotify playlist, against a fake Spotify on 127.0.0.1 (the real spotipy runs)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import spotipy
from django.contrib.auth.models import User
from django.utils import timezone

from filters.models import TasteProfile
from ingestion.models import Track
from recommendations.models import TodayList
from tests.filters.catalog import build_listener_catalog, train_recommenders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]


class FakePlaylists:
    """Spotify's POST /me/playlists and POST /playlists/{id}/items; `refuse` answers 403 to everything."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse = refuse
        self.created: list[dict] = []
        self.added: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                if fake.refuse or self.headers.get("Authorization") != "Bearer listener-token":
                    return self._send(403, {"error": {"status": 403, "message": "Forbidden"}})
                if self.path.startswith("/v1/me/playlists"):
                    fake.created.append(body)
                    return self._send(201, {"id": "pl1", "external_urls": {"spotify": "https://open.spotify.com/playlist/pl1"}})
                if self.path.startswith("/v1/playlists/pl1/items"):
                    fake.added += body["uris"] if isinstance(body, dict) else body
                    return self._send(201, {"snapshot_id": "s1"})
                return self._send(404, {"error": {"status": 404, "message": "Not found"}})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client(self, *, user) -> spotipy.Spotify:
        client = spotipy.Spotify(auth="listener-token", retries=0, status_retries=0, requests_timeout=5)
        client.prefix = self.url
        return client


@pytest.fixture
def ready(client, django_capture_on_commit_callbacks) -> TodayList:
    build_listener_catalog(size=40)
    train_recommenders()
    user = User.objects.create_user("listener", password="pw")
    TasteProfile.objects.create(user=user, mood="bright", completed_at=timezone.now())
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/today/loading/")
    return TodayList.objects.get(user=user)


@pytest.fixture
def fake_spotify(monkeypatch):
    def start(**options) -> FakePlaylists:
        fake = FakePlaylists(**options)
        monkeypatch.setattr("accounts.services.spotify_client_for_user", fake.client)
        return fake

    fakes: list[FakePlaylists] = []
    yield lambda **options: fakes.append(start(**options)) or fakes[-1]
    for fake in fakes:
        fake.server.shutdown()


def test_saving_creates_a_private_playlist_with_the_songs_on_spotify(client, ready, fake_spotify):
    fake = fake_spotify()
    demo = ready.entries.order_by("position").first().track
    Track.objects.filter(pk=demo.pk).update(spotify_id=None)

    response = client.post("/today/save-playlist/", follow=True)

    page = response.content.decode()
    assert "Saved to your Spotify as a private playlist." in page
    assert 'href="https://open.spotify.com/playlist/pl1"' in page
    assert fake.created[0]["public"] is False and fake.created[0]["name"].startswith("오늘의 노래 · ")
    expected = [
        f"spotify:track:{spotify_id}"
        for spotify_id in ready.entries.order_by("position").values_list("track__spotify_id", flat=True)
        if spotify_id
    ]
    assert fake.added == expected and len(expected) == 19


def test_spotify_refusing_is_a_message_not_an_error_page(client, ready, fake_spotify):
    fake_spotify(refuse=True)

    response = client.post("/today/save-playlist/", follow=True)

    assert response.status_code == 200
    assert "Spotify did not accept the playlist. Please try again later." in response.content.decode()


def test_without_a_spotify_login_saving_says_what_to_do(client, ready):
    response = client.post("/today/save-playlist/", follow=True)

    assert "Log in with Spotify to save playlists to your Spotify account." in response.content.decode()


def test_demo_songs_cannot_be_saved(client, ready, fake_spotify):
    fake = fake_spotify()
    Track.objects.update(spotify_id=None)

    response = client.post("/today/save-playlist/", follow=True)

    assert "None of these songs is on Spotify (demo songs)" in response.content.decode()
    assert fake.created == []
