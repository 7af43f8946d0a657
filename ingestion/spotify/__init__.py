"""Talking to Spotify: a spotipy client with our fault handling, ids, and Spotify JSON turned into records."""
from ingestion.spotify.client import SpotifyClient, spotify_catalog_client, spotify_client_for_token
from ingestion.spotify.errors import (
    SpotifyDeferred,
    SpotifyError,
    SpotifyRefused,
    SpotifyRequestFailed,
    SpotifyUnavailable,
)

__all__ = [
    "SpotifyClient",
    "SpotifyDeferred",
    "SpotifyError",
    "SpotifyRefused",
    "SpotifyRequestFailed",
    "SpotifyUnavailable",
    "spotify_catalog_client",
    "spotify_client_for_token",
]
