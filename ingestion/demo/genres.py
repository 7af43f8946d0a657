"""The demo's 25 genres and how each one's audio features are distributed.

Means follow what Spotify's audio features look like for real genres (classical: acoustic, instrumental,
quiet; edm: loud, danceable, ~127 BPM; hip hop: wordy; ballad: slow, acoustic, sad; k-pop: bright and
energetic). Unit-interval features are drawn logit-normally around the mean, so they stay in [0, 1]
without piling up at the bounds; two shared per-track factors give the correlations real data has
(energy with loudness and against acousticness, valence with danceability).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

Features = dict[str, float | int]


@dataclass(frozen=True, slots=True)
class GenreProfile:
    name: str
    share: float  # how often it is an artist's main genre, relative to the others
    danceability: float
    energy: float
    valence: float
    acousticness: float
    instrumentalness: float
    speechiness: float
    liveness: float
    loudness: float  # dB
    tempo: float  # BPM
    tempo_sd: float
    major: float  # share of tracks in a major key
    triple: float  # share of tracks in 3/4
    minutes: float  # mean duration
    explicit: float  # share of explicit tracks
    name_style: str  # how its artists are named, see ingestion.demo.names
    related: tuple[str, ...]  # genres its artists often also carry


# fmt: off
_TABLE = [
    # name       share dance energy val  acou  instr speech live  loud   bpm  sd  major 3/4  min  expl style
    ("k-pop",     9, .70, .82, .62, .10, .01, .08, .16, -4.0, 122, 22, .55, .02, 3.3, .05, "idol"),
    ("ballad",    6, .45, .36, .27, .64, .01, .035, .13, -8.0, 80, 14, .65, .12, 3.9, .0, "ko"),
    ("hip hop",   5, .76, .66, .48, .12, .01, .29, .18, -6.0, 98, 22, .50, .01, 3.2, .70, "en"),
    ("k-rap",     4, .74, .70, .45, .12, .01, .24, .18, -5.5, 100, 22, .45, .01, 3.2, .50, "ko"),
    ("indie",     4, .55, .60, .45, .30, .08, .045, .15, -7.5, 118, 25, .65, .06, 3.7, .08, "en"),
    ("k-indie",   4, .55, .50, .45, .42, .05, .04, .14, -8.0, 112, 25, .65, .08, 3.7, .02, "ko"),
    ("edm",       4, .70, .88, .45, .03, .45, .06, .20, -4.5, 127, 6, .45, .0, 3.5, .05, "producer"),
    ("house",     3, .78, .76, .55, .05, .55, .06, .15, -6.5, 124, 4, .45, .0, 4.3, .02, "producer"),
    ("jazz",      3, .55, .35, .50, .75, .45, .05, .22, -12.0, 112, 30, .55, .15, 4.8, .0, "en"),
    ("classical", 3, .30, .12, .22, .95, .88, .045, .12, -21.0, 98, 28, .60, .25, 5.5, .0, "ensemble"),
    ("r&b",       4, .66, .52, .45, .25, .02, .09, .14, -7.0, 100, 22, .45, .05, 3.6, .25, "en"),
    ("pop",       6, .66, .68, .55, .18, .01, .06, .15, -5.5, 118, 24, .60, .03, 3.3, .12, "en"),
    ("rock",      3, .50, .80, .48, .06, .05, .05, .20, -5.5, 128, 28, .70, .05, 3.8, .10, "en"),
    ("metal",     2, .42, .93, .30, .01, .15, .08, .22, -4.5, 135, 30, .40, .05, 4.3, .25, "en"),
    ("folk",      2, .52, .38, .50, .78, .05, .04, .14, -10.5, 112, 26, .75, .15, 3.8, .0, "en"),
    ("acoustic",  3, .55, .30, .45, .86, .08, .04, .12, -11.0, 105, 25, .70, .12, 3.4, .0, "ko"),
    ("lo-fi",     3, .68, .32, .40, .62, .80, .07, .12, -12.0, 82, 10, .45, .03, 2.5, .0, "producer"),
    ("ambient",   2, .22, .15, .12, .85, .90, .045, .11, -22.0, 86, 25, .55, .10, 4.8, .0, "producer"),
    ("soul",      2, .60, .52, .62, .40, .02, .05, .18, -8.5, 105, 24, .60, .10, 3.7, .02, "en"),
    ("trot",      3, .68, .75, .80, .20, .01, .04, .22, -5.5, 128, 18, .55, .04, 3.5, .0, "trot"),
    ("city pop",  2, .70, .62, .72, .22, .05, .04, .14, -8.0, 112, 14, .70, .01, 4.1, .0, "jp"),
    ("ost",       3, .42, .42, .30, .55, .10, .035, .12, -8.5, 95, 22, .60, .10, 3.8, .0, "ko"),
    ("latin",     2, .78, .76, .72, .15, .01, .09, .17, -5.0, 98, 18, .50, .01, 3.4, .15, "en"),
    ("funk",      2, .78, .70, .80, .15, .10, .06, .18, -6.5, 112, 12, .55, .01, 3.8, .02, "en"),
    ("dance pop", 4, .74, .78, .66, .08, .01, .06, .15, -4.8, 120, 8, .55, .01, 3.2, .08, "idol"),
]
# fmt: on
# Genres an artist of the key genre often also carries.
_RELATED: dict[str, tuple[str, ...]] = {
    "k-pop": ("pop", "k-rap", "r&b"),
    "ballad": ("ost", "k-indie"),
    "hip hop": ("k-rap", "r&b", "pop"),
    "k-rap": ("hip hop", "r&b"),
    "indie": ("rock", "folk", "pop"),
    "k-indie": ("indie", "acoustic", "ballad"),
    "edm": ("house", "pop"),
    "house": ("edm", "funk"),
    "jazz": ("soul", "lo-fi"),
    "classical": ("ambient", "ost"),
    "r&b": ("soul", "hip hop", "pop"),
    "pop": ("dance pop", "indie"),
    "rock": ("indie", "metal"),
    "metal": ("rock",),
    "folk": ("acoustic", "indie"),
    "acoustic": ("folk", "k-indie"),
    "lo-fi": ("jazz", "ambient"),
    "ambient": ("classical", "lo-fi"),
    "soul": ("r&b", "funk", "jazz"),
    "trot": ("ballad",),
    "city pop": ("funk", "r&b", "pop"),
    "ost": ("ballad", "classical"),
    "latin": ("pop", "dance pop"),
    "funk": ("soul", "city pop"),
    "dance pop": ("pop", "k-pop", "edm"),
}
GENRES: tuple[GenreProfile, ...] = tuple(GenreProfile(*row, related=_RELATED[row[0]]) for row in _TABLE)
GENRE_BY_NAME: dict[str, GenreProfile] = {g.name: g for g in GENRES}

# Spread of each unit-interval feature on the logit scale: how far tracks of one genre wander from its mean.
_SPREAD = {
    "danceability": 0.55, "energy": 0.6, "valence": 0.75, "acousticness": 1.1,
    "instrumentalness": 1.4, "speechiness": 0.5, "liveness": 0.6,
}


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _around(mean: float, spread: float, shift: float) -> float:
    """A value in (0, 1) near `mean`, moved by `shift` standard deviations on the logit scale."""
    return 1 / (1 + math.exp(-(_logit(mean) + spread * shift)))


def _mix(rng: random.Random, factor: float, weight: float) -> float:
    """A standard normal draw that correlates with `factor` by `weight`."""
    return weight * factor + math.sqrt(1 - weight * weight) * rng.gauss(0, 1)


def track_features(rng: random.Random, genre: GenreProfile) -> Features:
    """Audio features for one track of `genre`, within ingestion.models.FEATURE_RANGES."""
    intensity, mood = rng.gauss(0, 1), rng.gauss(0, 1)
    unit = {
        "danceability": _mix(rng, (intensity + mood) / math.sqrt(2), 0.4),
        "energy": _mix(rng, intensity, 0.85),
        "valence": _mix(rng, mood, 0.8),
        "acousticness": _mix(rng, -intensity, 0.5),
        "instrumentalness": rng.gauss(0, 1),
        "speechiness": rng.gauss(0, 1),
        "liveness": rng.gauss(0, 1),
    }
    features: Features = {
        name: round(_around(getattr(genre, name), _SPREAD[name], shift), 4) for name, shift in unit.items()
    }
    features["loudness"] = round(min(max(genre.loudness + 3.0 * _mix(rng, intensity, 0.8), -45.0), -1.0), 3)
    features["tempo"] = round(min(max(genre.tempo + genre.tempo_sd * _mix(rng, intensity, 0.3), 50.0), 210.0), 3)
    features["key"] = -1 if rng.random() < 0.005 else rng.randrange(12)
    features["mode"] = int(rng.random() < genre.major)
    features["time_signature"] = rng.choices((3, 4, 5), weights=(genre.triple, 1 - genre.triple, 0.005))[0]
    return features
