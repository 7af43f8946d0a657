"""A fake Spotify Web API on 127.0.0.1 for tests and benchmarks; the real spotipy client talks to it."""
from tests.fake_spotify.catalog import FakeCatalog, catalog_from_spotify_api_csv, small_catalog
from tests.fake_spotify.listener import LISTENER_TOKEN, FakeListener
from tests.fake_spotify.server import CLIENT_ID, CLIENT_SECRET, FakeSpotify, Fault, Faults

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "FakeCatalog",
    "FakeListener",
    "FakeSpotify",
    "Fault",
    "Faults",
    "LISTENER_TOKEN",
    "catalog_from_spotify_api_csv",
    "small_catalog",
]
