"""A small catalog with obvious sounds for recommendation tests (services, API, pages)."""
from __future__ import annotations

import datetime as dt

from ingestion.models import Track
from tests.factories import AlbumFactory, ArtistFactory, PlaylistFactory, TrackFactory

# name: (danceability, energy, valence, tempo, acousticness)
BRIGHT_POP = (0.80, 0.85, 0.75, 125.0, 0.10)
LOUD_ROCK = (0.45, 0.90, 0.50, 150.0, 0.05)
CALM_JAZZ = (0.45, 0.25, 0.40, 85.0, 0.90)


def features(values: tuple[float, ...]) -> dict[str, float]:
    return dict(zip(("danceability", "energy", "valence", "tempo", "acousticness"), values, strict=True))


def build_small_catalog() -> dict[str, Track]:
    """K-pop, rock and jazz with obvious sounds, plus a hidden track, one without features, one without genres."""
    newjeans = ArtistFactory(name="NewJeans", genres=["k-pop", "dance pop"])
    ive = ArtistFactory(name="IVE", genres=["k-pop", "girl group"])
    rock = ArtistFactory(name="The Rockers", genres=["rock", "classic rock"])
    jazz = ArtistFactory(name="Bill Trio", genres=["jazz", "bebop"])
    nameless = ArtistFactory(name="Newcomer")
    album = AlbumFactory(name="Get Up", artist=newjeans, release_date=dt.date(2023, 7, 21))
    missing = {name: None for name in ("danceability", "energy", "valence", "tempo", "acousticness")}
    return {
        "hype_boy": TrackFactory(name="Hype Boy", album=album, artists=[newjeans], **features(BRIGHT_POP)),
        "ditto": TrackFactory(name="Ditto", album=album, artists=[newjeans], **features((0.78, 0.82, 0.72, 123, 0.12))),
        "eleven": TrackFactory(name="Eleven", artists=[ive], **features((0.75, 0.80, 0.70, 120, 0.15))),
        "collab": TrackFactory(name="Collab", artists=[ive, rock], **features((0.60, 0.85, 0.60, 135, 0.10))),
        "rock_1": TrackFactory(name="Riff", artists=[rock], **features(LOUD_ROCK)),
        "rock_2": TrackFactory(name="Amp", artists=[rock], **features((0.40, 0.95, 0.45, 160, 0.03))),
        "jazz_1": TrackFactory(name="Blue", artists=[jazz], **features(CALM_JAZZ)),
        "jazz_2": TrackFactory(name="Smoke", artists=[jazz], **features((0.50, 0.20, 0.35, 80, 0.95))),
        "hidden": TrackFactory(name="Hidden Twin", artists=[newjeans], is_hidden=True, **features(BRIGHT_POP)),
        "no_features": TrackFactory(
            name="New Single", artists=[ive], album=None, features_source=Track.FeatureSource.MISSING, **missing
        ),
        "no_genres": TrackFactory(name="Debut", artists=[nameless], **features((0.5, 0.5, 0.5, 110, 0.5))),
    }


def add_situation_playlists(catalog: dict[str, Track]) -> None:
    """Playlists Song2Vec can match by name: "rainy day" (jazz), "workout" (rock), "k-pop party"."""
    PlaylistFactory(name="rainy day", tracks=[catalog[key] for key in ("jazz_1", "jazz_2", "no_genres")])
    PlaylistFactory(name="workout", tracks=[catalog[key] for key in ("rock_1", "rock_2", "collab")])
    PlaylistFactory(name="k-pop party", tracks=[catalog[key] for key in ("hype_boy", "ditto", "eleven", "hidden")])
