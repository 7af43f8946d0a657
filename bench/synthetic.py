"""Synthetic catalogs and playlist corpora for the engine benchmarks (bench/engines_bench.py); never product data.

    from bench.synthetic import synthetic_catalog, synthetic_playlists  # with the project's root on sys.path
    catalog = synthetic_catalog(100_000)            # a features.CatalogSnapshot plus what generated it
    corpus = synthetic_playlists(catalog, seed=1)   # MPD-like playlists named after situations

The shape follows the real sources (spotify-api-2021, MPD) closely enough for timing, not for quality:

- 24 scenes ("k-pop", "lo-fi", "metal"...), each with 61 genres ("k-pop", "korean k-pop", "indie k-pop"...): 1,464
  genres whose words are shared across scenes, as Spotify's are. Audio features scatter around a centre per scene.
- One artist per ~10 tracks (MPD has 7.6); an artist's 1-5 genres come mostly from its scene; 15% of artists have
  none. Tracks per artist are log-normal (a few big catalogs, many small ones), so a 1M-track catalog holds 100k
  artists and ~54k distinct genre lists.
- 8% of tracks lack audio features (recent releases, since Spotify withholds them), 30% lack popularity, 2% lack a
  release date, 1% are hidden. Track ids ascend with gaps, as primary keys after deletions do.

Every per-track value is drawn with numpy; Python loops run only over artists and playlists, the per-track genre
and artist-name lists hold one shared object per artist (one numpy take), and only the track titles are built one
by one (as the snapshot needs Python strings). 1M tracks take ~1.5 s.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from recommendations.engines.features import CatalogSnapshot

# Scene: (danceability, energy, valence, tempo in BPM, acousticness) at its centre, and its share of artists.
SCENES: dict[str, tuple[tuple[float, float, float, float, float], float]] = {
    "pop": ((0.65, 0.65, 0.55, 118, 0.20), 3.0),
    "k-pop": ((0.70, 0.75, 0.60, 122, 0.10), 2.0),
    "hip hop": ((0.78, 0.65, 0.50, 98, 0.12), 2.5),
    "trap": ((0.75, 0.60, 0.35, 140, 0.10), 1.5),
    "r&b": ((0.68, 0.50, 0.50, 100, 0.30), 1.5),
    "rock": ((0.50, 0.80, 0.50, 125, 0.08), 2.0),
    "metal": ((0.40, 0.93, 0.30, 130, 0.01), 1.0),
    "punk": ((0.45, 0.92, 0.50, 160, 0.02), 0.7),
    "indie": ((0.55, 0.55, 0.45, 115, 0.35), 2.0),
    "folk": ((0.50, 0.35, 0.45, 110, 0.75), 1.0),
    "jazz": ((0.55, 0.30, 0.50, 105, 0.80), 1.0),
    "classical": ((0.30, 0.15, 0.25, 95, 0.95), 0.8),
    "edm": ((0.70, 0.90, 0.45, 128, 0.03), 1.5),
    "house": ((0.80, 0.80, 0.55, 124, 0.05), 1.0),
    "lo-fi": ((0.65, 0.30, 0.40, 85, 0.60), 0.8),
    "ambient": ((0.25, 0.15, 0.15, 90, 0.85), 0.6),
    "ballad": ((0.45, 0.35, 0.30, 80, 0.60), 1.0),
    "latin": ((0.80, 0.75, 0.75, 105, 0.15), 1.2),
    "soul": ((0.60, 0.50, 0.60, 100, 0.40), 0.8),
    "country": ((0.60, 0.60, 0.60, 120, 0.30), 1.0),
    "reggae": ((0.80, 0.60, 0.75, 90, 0.20), 0.5),
    "blues": ((0.50, 0.45, 0.45, 100, 0.55), 0.5),
    "trot": ((0.65, 0.70, 0.70, 125, 0.20), 0.4),
    "soundtrack": ((0.35, 0.30, 0.25, 100, 0.70), 0.6),
}
MODIFIERS = (
    "korean", "japanese", "uk", "german", "french", "brazilian", "swedish", "canadian", "australian", "mexican",
    "italian", "spanish", "dutch", "polish", "russian", "chinese", "indian", "turkish", "nigerian", "filipino",
    "modern", "classic", "indie", "dark", "melodic", "experimental", "progressive", "alternative", "underground",
    "chill", "deep", "acoustic", "vintage", "new", "art", "dream", "post", "neo", "electro", "psychedelic",
    "atl", "la", "nyc", "seoul", "tokyo", "london", "berlin", "paris", "chicago", "detroit",
    "instrumental", "christian", "children's", "gothic", "lo", "hard", "soft", "hyper", "bedroom", "folk",
)  # fmt: skip
FEATURE_SPREAD = np.array([0.12, 0.12, 0.15, 18.0, 0.15], dtype=np.float32)

# Situation: playlist names people give it (MPD-style and Korean) and the scenes its playlists draw on.
SITUATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "workout": (("workout", "gym", "workout mix", "running", "운동할 때"), ("edm", "house", "hip hop", "trap", "rock")),
    "coding": (
        ("coding", "music for coding", "focus", "코딩할 때 듣기 좋은 음악", "programming"),
        ("lo-fi", "ambient", "classical", "soundtrack"),
    ),
    "rain": (
        ("rainy day", "rain", "비 오는 날", "비 오는 날 듣기 좋은 노래", "cozy"),
        ("ballad", "jazz", "folk", "indie"),
    ),
    "drive": (("drive", "road trip", "드라이브", "car songs", "rainy drive"), ("pop", "k-pop", "rock", "indie")),
    "party": (("party", "pregame", "파티", "dance party", "friday night"), ("house", "edm", "latin", "pop", "hip hop")),
    "study": (("study", "studying", "공부할 때", "exam season", "library"), ("lo-fi", "classical", "ambient", "jazz")),
    "sleep": (("sleep", "sleepy", "잠 잘 때", "bedtime", "calm"), ("ambient", "classical", "ballad")),
    "chill": (("chill", "chill vibes", "mellow", "잔잔한 노래", "sunday"), ("lo-fi", "r&b", "soul", "indie", "folk")),
    "summer": (("summer", "summer 2017", "beach", "여름", "vacation"), ("pop", "latin", "reggae", "k-pop", "house")),
    "sad": (("sad", "sad songs", "heartbreak", "이별 노래", "feels"), ("ballad", "indie", "r&b", "blues", "folk")),
}  # fmt: skip
# Situation queries the benchmark asks (a listener's own words; some match playlist names only partly).
SITUATION_QUERIES = (
    "music for coding", "비 오는 날", "workout", "코딩할 때 듣기 좋은 음악", "music for a rainy drive",
    "party", "잠 잘 때", "chill sunday", "road trip", "study", "sad songs", "summer beach",
)  # fmt: skip
OFF_SCENE_SHARE = 0.2  # share of a playlist's tracks picked from the whole catalog rather than its scenes


@dataclass
class SyntheticCatalog:
    """The snapshot the engines fit on, and the hidden structure it was drawn from (per row of the snapshot)."""

    snapshot: CatalogSnapshot
    track_scene: np.ndarray  # int16 scene number per row, into `scene_names`
    scene_names: list[str]

    def __len__(self) -> int:
        return len(self.snapshot)


@dataclass
class PlaylistCorpus:
    """Playlists as one flat array of track ids with offsets: playlist i is `track_ids[offsets[i]:offsets[i + 1]]`,
    named `names[i]` and drawn for situation `situations[i]` (a key of SITUATIONS)."""

    names: list[str]
    situations: list[str]
    offsets: np.ndarray
    track_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.names)

    def pairs(self) -> list[tuple[str, np.ndarray]]:
        """(name, track ids) per playlist, the ids as views into one array."""
        return list(zip(self.names, np.split(self.track_ids, self.offsets[1:-1]), strict=True))


def synthetic_catalog(n: int, *, seed: int = 0, tracks_per_artist: float = 10.0) -> SyntheticCatalog:
    """A catalog of n tracks (see the module docstring); the same n and seed give the same catalog."""
    rng = np.random.default_rng(seed)
    scene_names = list(SCENES)
    genre_names = np.array([f"{modifier} {scene}" for scene in scene_names for modifier in ("", *MODIFIERS)])
    genre_names = np.char.strip(genre_names)
    genres_per_scene = len(MODIFIERS) + 1
    n_artists = max(10, round(n / tracks_per_artist))
    scene_weights = np.array([weight for _, weight in SCENES.values()])
    artist_scene = rng.choice(len(scene_names), size=n_artists, p=scene_weights / scene_weights.sum())
    artist_genres = _artist_genres(rng, artist_scene, genre_names, genres_per_scene)
    artist_names = [f"Artist {a}" for a in range(n_artists)]
    # Log-normal catalog sizes: most artists have a few tracks, a few have hundreds.
    artist_weights = rng.lognormal(0.0, 1.2, size=n_artists)
    artist_of_track = np.sort(rng.choice(n_artists, size=n, p=artist_weights / artist_weights.sum()))
    track_scene = artist_scene[artist_of_track].astype(np.int16)
    features, has_features = _features(rng, track_scene, scene_names)
    snapshot = CatalogSnapshot(
        track_ids=np.cumsum(rng.integers(1, 4, size=n)),  # ascending, with gaps
        features=features,
        genres=_gather(artist_genres, artist_of_track),
        has_features=has_features,
        release_ordinal=_release_ordinals(rng, n),
        popularity=np.where(rng.random(n) < 0.3, np.nan, rng.beta(2, 5, n) * 100).astype(np.float32),
        hidden=rng.random(n) < 0.01,
        names=[f"Song {i}" for i in range(n)],
        artist_names=_gather(artist_names, artist_of_track),
    )
    return SyntheticCatalog(snapshot, track_scene, scene_names)


def _artist_genres(
    rng: np.random.Generator, artist_scene: np.ndarray, genre_names: np.ndarray, genres_per_scene: int
) -> list[list[str]]:
    """Each artist's genres: 0 (15%) or 1-5, each from the artist's scene, or (15%) from any scene."""
    n_artists = len(artist_scene)
    counts = np.where(rng.random(n_artists) < 0.15, 0, rng.integers(1, 6, size=n_artists))
    owner = np.repeat(np.arange(n_artists), counts)
    scene = np.where(rng.random(len(owner)) < 0.15, rng.integers(0, len(SCENES), len(owner)), artist_scene[owner])
    # The scene's bare name ("k-pop") is the most common genre of its artists, as on Spotify.
    within = np.where(rng.random(len(owner)) < 0.3, 0, rng.integers(1, genres_per_scene, len(owner)))
    names = genre_names[scene * genres_per_scene + within].tolist()
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    # dict.fromkeys drops a genre drawn twice for one artist, keeping the order.
    return [list(dict.fromkeys(names[bounds[a] : bounds[a + 1]])) for a in range(n_artists)]


def _gather(per_artist: list, artist_of_track: np.ndarray) -> list:
    """Per-track list of per-artist objects (shared, not copied) through an object array: one numpy take."""
    objects = np.empty(len(per_artist), dtype=object)
    objects[:] = per_artist
    return objects[artist_of_track].tolist()


def _features(rng: np.random.Generator, track_scene: np.ndarray, scene_names: list[str]) -> tuple[np.ndarray, ...]:
    centres = np.array([SCENES[name][0] for name in scene_names], dtype=np.float32)
    features = centres[track_scene] + rng.standard_normal((len(track_scene), 5), dtype=np.float32) * FEATURE_SPREAD
    for column in (0, 1, 2, 4):
        np.clip(features[:, column], 0.0, 1.0, out=features[:, column])
    np.clip(features[:, 3], 40.0, 220.0, out=features[:, 3])
    has_features = rng.random(len(track_scene)) >= 0.08
    features[~has_features] = np.nan
    return features, has_features


def _release_ordinals(rng: np.random.Generator, n: int) -> np.ndarray:
    """Release days from 1960 to 2026, most of them recent (a catalog of crawled new releases); 2% unknown (0)."""
    first, last = date(1960, 1, 1).toordinal(), date(2026, 11, 30).toordinal()
    age_days = (rng.exponential(0.18, size=n).clip(0, 1) * (last - first)).astype(np.int32)
    return np.where(rng.random(n) < 0.02, 0, last - age_days).astype(np.int32)


def synthetic_playlists(
    catalog: SyntheticCatalog, *, count: int | None = None, seed: int = 1, min_tracks: int = 20, max_tracks: int = 100
) -> PlaylistCorpus:
    """`count` playlists (default n/30) of min..max tracks, each for one situation (SITUATIONS), named as people name
    them. 80% of a playlist's tracks come from its situation's scenes, favouring each scene's first tracks (a few
    hits appear in many playlists, most tracks in few, as in MPD); the rest from anywhere. Hidden tracks too."""
    rng = np.random.default_rng(seed)
    track_ids = catalog.snapshot.track_ids
    count = count or max(10, len(track_ids) // 30)
    situations = list(SITUATIONS)
    situation_of = rng.integers(0, len(situations), size=count)
    lengths = rng.integers(min_tracks, max_tracks + 1, size=count)
    entries = int(lengths.sum())
    playlist_of_entry = np.repeat(np.arange(count), lengths)
    # Each entry's scene: one of its situation's scenes, chosen per entry.
    scene_table, scene_counts = _situation_scenes(situations, catalog.scene_names)
    situation_of_entry = situation_of[playlist_of_entry]
    pick = (rng.random(entries) * scene_counts[situation_of_entry]).astype(np.int64)
    scene_of_entry = scene_table[situation_of_entry, pick]
    # Rows grouped by scene; within a scene, rank r is drawn with probability falling off like a power law.
    order = np.argsort(catalog.track_scene, kind="stable")
    scene_sizes = np.bincount(catalog.track_scene, minlength=len(catalog.scene_names))
    scene_starts = np.concatenate([[0], np.cumsum(scene_sizes)[:-1]])
    size = np.maximum(scene_sizes[scene_of_entry], 1)
    rank = np.minimum((rng.random(entries) ** 3 * size).astype(np.int64), size - 1)
    rows = order[np.minimum(scene_starts[scene_of_entry] + rank, len(order) - 1)]
    off_scene = rng.random(entries) < OFF_SCENE_SHARE
    rows[off_scene] = rng.integers(0, len(track_ids), size=int(off_scene.sum()))
    names = [SITUATIONS[situations[s]][0][rng.integers(len(SITUATIONS[situations[s]][0]))] for s in situation_of]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return PlaylistCorpus(names, [situations[s] for s in situation_of], offsets, track_ids[rows])


def _situation_scenes(situations: list[str], scene_names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(situations x max scenes) table of scene numbers, padded, and each situation's scene count."""
    widest = max(len(SITUATIONS[s][1]) for s in situations)
    table = np.zeros((len(situations), widest), dtype=np.int64)
    counts = np.zeros(len(situations), dtype=np.int64)
    for i, situation in enumerate(situations):
        scenes = [scene_names.index(scene) for scene in SITUATIONS[situation][1]]
        table[i, : len(scenes)], counts[i] = scenes, len(scenes)
    return table, counts
