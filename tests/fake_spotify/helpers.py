"""What Spotify tests share: pointing the settings at a fake, a client that records its waits or gets killed,
the catalog as comparable values, and a user logged in with Spotify as the fake's listener."""
from __future__ import annotations

import requests

from ingestion.models import Album, Artist, Playlist, Track
from ingestion.spotify import SpotifyClient, spotify_catalog_client
from tests.fake_spotify.listener import FakeListener
from tests.fake_spotify.server import CLIENT_ID, CLIENT_SECRET, FakeSpotify


class Killed(BaseException):
    """Stands for the process being killed: not an Exception, so no crawl code catches it."""


def connect(settings, fake: FakeSpotify) -> None:
    settings.SPOTIFY_API_URL = fake.api_url
    settings.SPOTIFY_ACCOUNTS_URL = fake.accounts_url
    settings.SPOTIFY_CLIENT_ID = CLIENT_ID
    settings.SPOTIFY_CLIENT_SECRET = CLIENT_SECRET
    settings.SPOTIFY_MAX_RETRIES = 3
    settings.SPOTIFY_MAX_RETRY_AFTER = 60
    settings.SPOTIFY_TIMEOUT_SECONDS = 5


class Waits(list):
    """An injectable sleep that records how long it was asked to wait, and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def recording_client(waits: Waits | None = None) -> SpotifyClient:
    return spotify_catalog_client(sleep=waits if waits is not None else Waits())


def client_killed_after(responses: int) -> SpotifyClient:
    """A client whose process 'dies' when its `responses`-th HTTP response (token included) arrives."""
    session = requests.Session()
    seen = {"count": 0}

    def die(response, *args, **kwargs):
        seen["count"] += 1
        if seen["count"] >= responses:
            raise Killed(f"killed after response {responses}")
        return response

    session.hooks["response"].append(die)
    return spotify_catalog_client(sleep=Waits(), session=session)


def catalog_snapshot() -> dict[str, list]:
    """Every catalog row as plain values (no pks, no timestamps), sorted: equal snapshots, equal catalogs."""
    artists = [
        (a.spotify_id, a.name, a.popularity, a.followers, a.image_url, tuple(sorted(g.name for g in a.genres.all())))
        for a in Artist.objects.prefetch_related("genres")
    ]
    albums = [
        (a.spotify_id, a.name, a.artist.spotify_id if a.artist else None, a.release_date, a.release_date_precision,
         a.image_url)
        for a in Album.objects.select_related("artist")
    ]
    tracks = [
        (t.spotify_id, t.name, t.album.spotify_id if t.album else None, t.duration_ms, t.explicit, t.popularity,
         t.features_source, t.danceability, t.energy, t.valence, t.tempo, t.key, t.mode,
         tuple(c.artist.spotify_id for c in t.credits.order_by("position").select_related("artist")))
        for t in Track.objects.select_related("album")
    ]
    playlists = [
        (p.source, p.external_id, p.name, p.description, p.followers,
         tuple(e.track.spotify_id for e in p.entries.order_by("position").select_related("track")))
        for p in Playlist.objects.all()
    ]
    return {name: sorted(rows, key=repr) for name, rows in
            {"artists": artists, "albums": albums, "tracks": tracks, "playlists": playlists}.items()}


def spotify_connect(user, listener: FakeListener, *, product: str | None = "premium") -> None:
    """Log `user` in with Spotify as `listener`: their stored token is the fake listener's, valid for an hour.
    `product` is what the login stored from /me ("premium", "free"; None: not stored, so /me is asked)."""
    import datetime as dt

    from allauth.socialaccount.models import SocialAccount, SocialToken
    from django.utils import timezone

    extra_data = {"id": listener.profile["id"]} | ({"product": product} if product is not None else {})
    account = SocialAccount.objects.create(
        user=user, provider="spotify", uid=listener.profile["id"], extra_data=extra_data
    )
    SocialToken.objects.create(
        account=account, token=listener.token, token_secret="fake-refresh-token",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )  # fmt: skip
