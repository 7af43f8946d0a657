"""A catalog for the listener's flow (wizard, today's songs): enough songs for rerolls, some released lately."""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from ingestion.models import Track
from recommendations.services.training import recommender_train
from tests.factories import AlbumFactory, ArtistFactory, TrackFactory

GENRES = ("k-pop", "rock", "jazz", "hip hop")
AGES_IN_DAYS = (2, 15, 45, 400, 900, 2500)  # the first three count as new releases


def build_listener_catalog(*, size: int = 80, seed: int = 7) -> list[Track]:
    """`size` visible songs by twelve artists in four genres (a list of twenty fits, two songs per artist), with
    varied features and release dates, plus a hidden song; names "Song 00", "Song 01", … Deterministic for a seed."""
    rng = random.Random(seed)
    today = timezone.localdate()
    artists = [ArtistFactory(name=f"{genre.title()} Artist {n}", genres=[genre]) for genre in GENRES for n in (1, 2, 3)]
    tracks = []
    for i in range(size):
        artist = artists[i % len(artists)]
        album = AlbumFactory(artist=artist, release_date=today - dt.timedelta(days=rng.choice(AGES_IN_DAYS)))
        tracks.append(
            TrackFactory(
                name=f"Song {i:02d}",
                album=album,
                artists=[artist],
                danceability=round(rng.random(), 3),
                energy=round(rng.random(), 3),
                valence=round(rng.random(), 3),
                acousticness=round(rng.random(), 3),
                tempo=round(rng.uniform(60, 190), 1),
                popularity=rng.randint(0, 100),
            )
        )
    TrackFactory(name="Hidden Song", artists=[artists[0]], is_hidden=True)
    return tracks


def train_recommenders() -> None:
    for engine in ("content", "clusters"):
        recommender_train(engine=engine)
