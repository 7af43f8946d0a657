"""Generating the demo catalog: artists, albums, tracks and situation playlists as plain dataclasses.

Every random draw comes from `random.Random` seeded with a string (stable across runs, processes and
PYTHONHASHSEED: nothing here iterates a set). Only release dates depend on `today`: each album is drawn
as "so many days before today", so the demo's new releases look new on the day it is seeded.
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from ingestion.demo import names
from ingestion.demo.genres import GENRE_BY_NAME, GENRES, Features, GenreProfile, track_features
from ingestion.demo.themes import THEMES, Theme

DEMO_SEED = "todaysong-demo-v1"
BASE_TRACKS, BASE_ARTISTS, BASE_PLAYLISTS = 3000, 300, 1000
# Lower bounds keep the shape at small scales: every genre has an artist, every theme a playlist.
MIN_TRACKS, MIN_ARTISTS, MIN_PLAYLISTS = 100, len(GENRES), len(THEMES)
MAX_SCALE = 10.0
MISSING_FEATURES_SHARE = 0.03
ARTISTS_WITHOUT_REACH_SHARE = 0.12
TRACKS_WITHOUT_POPULARITY_SHARE = 0.05
FEATURING_SHARE = 0.12
PLAYLIST_LENGTH = (15, 60)
THEME_POOL_SIZE = 400  # the best-fitting tracks of a theme; its playlists sample from these
UNLISTED_GENRE_WEIGHT = 0.03  # a theme's playlists now and then take a fitting track outside its genre mix
DEMO_DESCRIPTION = (
    'Demo data (데모 데이터): a synthetic "{theme}" playlist made by manage.py seed_demo, not a real playlist.'
)


@dataclass(frozen=True, slots=True)
class DemoArtist:
    name: str
    genres: tuple[str, ...]  # the main genre first
    popularity: int | None
    followers: int | None


@dataclass(frozen=True, slots=True)
class DemoAlbum:
    name: str
    artist: int  # index into DemoCatalog.artists
    release_date: dt.date
    release_date_precision: str  # "day" | "month" | "year"


@dataclass(frozen=True, slots=True)
class DemoTrack:
    name: str
    album: int  # index into DemoCatalog.albums
    artists: tuple[int, ...]  # credit order; the album's artist first
    genre: str
    duration_ms: int
    explicit: bool
    popularity: int | None
    features: Features | None  # keys are ingestion.models.FEATURE_FIELDS; None: features_source "missing"


@dataclass(frozen=True, slots=True)
class DemoPlaylist:
    external_id: str
    name: str
    theme: str  # Theme.key
    description: str
    followers: int | None
    tracks: tuple[int, ...]  # indexes into DemoCatalog.tracks, in playlist order


@dataclass(frozen=True, slots=True)
class DemoCatalog:
    genres: tuple[str, ...]
    artists: tuple[DemoArtist, ...]
    albums: tuple[DemoAlbum, ...]
    tracks: tuple[DemoTrack, ...]
    playlists: tuple[DemoPlaylist, ...]

    @property
    def entries(self) -> int:
        return sum(len(p.tracks) for p in self.playlists)


def demo_sizes(scale: float) -> tuple[int, int, int]:
    """(tracks, artists, playlists) for a scale; 1.0 is the full demo."""
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"scale must be above 0 and at most {MAX_SCALE:g}, not {scale:g}")
    return (
        max(MIN_TRACKS, round(BASE_TRACKS * scale)),
        max(MIN_ARTISTS, round(BASE_ARTISTS * scale)),
        max(MIN_PLAYLISTS, round(BASE_PLAYLISTS * scale)),
    )


def demo_catalog_generate(*, scale: float = 1.0, today: dt.date, seed: str = DEMO_SEED) -> DemoCatalog:
    """The demo catalog for `scale`; the same arguments always give an equal catalog."""
    n_tracks, n_artists, n_playlists = demo_sizes(scale)
    artists = _artists(random.Random(f"{seed}:artists"), n_artists)
    albums, tracks = _albums_and_tracks(random.Random(f"{seed}:tracks"), artists, n_tracks, today)
    playlists = _playlists(random.Random(f"{seed}:playlists"), tracks, n_playlists)
    return DemoCatalog(
        genres=tuple(g.name for g in GENRES),
        artists=tuple(artists),
        albums=tuple(albums),
        tracks=tuple(tracks),
        playlists=tuple(playlists),
    )


def _unique(make: Callable[[], str], taken: set[str], attempts: int = 30) -> str:
    """A name from `make()` not in `taken` (and now added to it); numbered after `attempts` collisions."""
    for attempt in itertools.count():
        name = make() if attempt < attempts else f"{make()} {attempt - attempts + 2}"
        if name not in taken:
            taken.add(name)
            return name
    raise AssertionError("unreachable: itertools.count() does not end")


# --- artists ---

def _artists(rng: random.Random, count: int) -> list[DemoArtist]:
    # The first artists cycle through all genres so that every genre exists at any scale.
    mains = [GENRES[i] if i < len(GENRES) else _weighted_genre(rng) for i in range(count)]
    taken: set[str] = set()
    artists = []
    for main in mains:
        extra = rng.choice((0, 0, 0, 1, 1, 2))
        related = tuple(rng.sample(main.related, k=min(len(main.related), extra)))
        name = _unique(lambda style=main.name_style: names.artist_name(rng, style), taken)
        popularity, followers = _artist_reach(rng)
        artists.append(DemoArtist(name, (main.name, *related), popularity, followers))
    return artists


def _weighted_genre(rng: random.Random) -> GenreProfile:
    return rng.choices(GENRES, weights=[g.share for g in GENRES])[0]


def _artist_reach(rng: random.Random) -> tuple[int | None, int | None]:
    """Popularity 0-100 and followers, or neither: Spotify withholds both from many apps."""
    if rng.random() < ARTISTS_WITHOUT_REACH_SHARE:
        return None, None
    popularity = round(100 * rng.betavariate(2.2, 3.0))
    followers = round(10 ** (2.2 + popularity / 100 * 5.0 + rng.gauss(0, 0.3)))
    return popularity, followers


# --- albums and tracks ---

def _albums_and_tracks(
    rng: random.Random, artists: list[DemoArtist], n_tracks: int, today: dt.date
) -> tuple[list[DemoAlbum], list[DemoTrack]]:
    by_genre = _artists_by_genre(artists)
    albums: list[DemoAlbum] = []
    tracks: list[DemoTrack] = []
    for artist_index, count in enumerate(_tracks_per_artist(rng, artists, n_tracks)):
        style = GENRE_BY_NAME[artists[artist_index].genres[0]].name_style
        album_names: set[str] = set()
        for size in _album_sizes(rng, count):
            days_ago = _days_ago(rng)
            album_tracks = [_track(rng, artist_index, artists, by_genre, days_ago) for _ in range(size)]
            make = _album_namer(rng, style, album_tracks[0].name, single=size <= 2)
            albums.append(_album(rng, _unique(make, album_names), artist_index, today, days_ago))
            tracks.extend(_on_album(track, len(albums) - 1) for track in album_tracks)
    return albums, tracks


def _album_namer(rng: random.Random, style: str, lead: str, *, single: bool) -> Callable[[], str]:
    """Singles are named after their track, like on Spotify; EPs and albums get a name of their own."""
    if single:
        return lambda: lead
    return lambda: names.album_name(rng, style, lead)


def _artists_by_genre(artists: list[DemoArtist]) -> dict[str, list[int]]:
    by_genre: dict[str, list[int]] = {g.name: [] for g in GENRES}
    for index, artist in enumerate(artists):
        for genre in artist.genres:
            by_genre[genre].append(index)
    return by_genre


def _tracks_per_artist(rng: random.Random, artists: list[DemoArtist], total: int) -> list[int]:
    """A long tail: a few prolific artists, many with a handful of tracks; at least one each."""
    weights = [rng.paretovariate(1.8) * (1 + (a.popularity or 20) / 50) for a in artists]
    spare = total - len(artists)
    total_weight = sum(weights)
    shares = [spare * w / total_weight for w in weights]
    counts = [1 + math.floor(s) for s in shares]
    by_remainder = sorted(range(len(artists)), key=lambda i: shares[i] - math.floor(shares[i]), reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _album_sizes(rng: random.Random, count: int) -> list[int]:
    """Singles, EPs and full albums that add up to `count` tracks."""
    sizes = []
    while count > 0:
        low, high = rng.choices(((1, 2), (4, 6), (8, 12)), weights=(45, 30, 25))[0]
        sizes.append(min(count, rng.randint(low, high)))
        count -= sizes[-1]
    return sizes


def _days_ago(rng: random.Random) -> int:
    """Spread over ~5 years, with about one album in ten from the last 30 days (the "new releases")."""
    bucket = rng.random()
    if bucket < 0.10:
        return rng.randint(0, 30)
    if bucket < 0.25:
        return rng.randint(31, 180)
    return rng.randint(181, 5 * 365)


def _album(rng: random.Random, name: str, artist: int, today: dt.date, days_ago: int) -> DemoAlbum:
    """Mostly day precision; older uploads often know only the year or month (stored as its first day)."""
    released = today - dt.timedelta(days=days_ago)
    roll = rng.random()
    if days_ago > 365 and roll < 0.12:
        return DemoAlbum(name, artist, released.replace(month=1, day=1), "year")
    if days_ago > 365 and roll < 0.16:
        return DemoAlbum(name, artist, released.replace(day=1), "month")
    return DemoAlbum(name, artist, released, "day")


def _track(
    rng: random.Random, artist: int, artists: list[DemoArtist], by_genre: dict[str, list[int]], days_ago: int
) -> DemoTrack:
    """A track of one of the artist's genres (usually the main one); album index filled in by _on_album."""
    own = artists[artist].genres
    genre = GENRE_BY_NAME[own[0] if len(own) == 1 or rng.random() < 0.75 else rng.choice(own[1:])]
    features = None if rng.random() < MISSING_FEATURES_SHARE else track_features(rng, genre)
    key, mode = (features["key"], features["mode"]) if features else (rng.randrange(12), 1)
    style = GENRE_BY_NAME[own[0]].name_style
    return DemoTrack(
        name=names.track_title(rng, style, int(key), int(mode)),
        album=-1,
        artists=(artist, *_featuring(rng, artist, genre, by_genre)),
        genre=genre.name,
        duration_ms=max(60_000, round(genre.minutes * 60_000 * rng.lognormvariate(0, 0.18))),
        explicit=rng.random() < genre.explicit,
        popularity=_track_popularity(rng, artists[artist].popularity, days_ago),
        features=features,
    )


def _on_album(track: DemoTrack, album: int) -> DemoTrack:
    return DemoTrack(track.name, album, track.artists, track.genre, track.duration_ms, track.explicit,
                     track.popularity, track.features)


def _featuring(rng: random.Random, artist: int, genre: GenreProfile, by_genre: dict[str, list[int]]) -> tuple[int, ...]:
    """Now and then a second artist of the same genre (never on classical recordings)."""
    if genre.name == "classical" or rng.random() >= FEATURING_SHARE:
        return ()
    others = [other for other in by_genre[genre.name] if other != artist]
    return (rng.choice(others),) if others else ()


def _track_popularity(rng: random.Random, artist_popularity: int | None, days_ago: int) -> int | None:
    """Near the artist's popularity, a little higher while the track is new; sometimes unknown."""
    if rng.random() < TRACKS_WITHOUT_POPULARITY_SHARE:
        return None
    fresh = 8 if days_ago <= 60 else 0
    return min(100, max(0, round((artist_popularity or 25) + fresh + rng.gauss(0, 12))))


# --- playlists ---

def _playlists(rng: random.Random, tracks: list[DemoTrack], count: int) -> list[DemoPlaylist]:
    pools = {theme.key: _theme_pool(theme, tracks) for theme in THEMES}
    playlists = []
    for number, theme in enumerate(_theme_sequence(rng, count), start=1):
        playlists.append(DemoPlaylist(
            external_id=f"demo-{number:04d}",
            name=names.playlist_name(rng, theme),
            theme=theme.key,
            description=DEMO_DESCRIPTION.format(theme=theme.key),
            followers=None if rng.random() < 0.2 else round(10 ** rng.uniform(0, 4)),
            tracks=_playlist_tracks(rng, theme, pools[theme.key], tracks),
        ))
    return playlists


def _theme_sequence(rng: random.Random, count: int) -> list[Theme]:
    """`count` themes in proportion to their shares (each at least once), in shuffled order."""
    total = sum(t.share for t in THEMES)
    counts = [max(1, math.floor(count * t.share / total)) for t in THEMES]
    by_remainder = sorted(range(len(THEMES)), key=lambda i: count * THEMES[i].share / total % 1, reverse=True)
    for i in (by_remainder * count)[: count - sum(counts)]:
        counts[i] += 1
    sequence = [theme for theme, n in zip(THEMES, counts, strict=True) for _ in range(n)]
    rng.shuffle(sequence)
    return sequence


def _theme_pool(theme: Theme, tracks: list[DemoTrack]) -> list[tuple[int, float]]:
    """The theme's best candidates as (track index, weight): genre in the mix x mood fit x popularity."""
    weights = []
    for index, track in enumerate(tracks):
        genre_weight = theme.genres.get(track.genre, UNLISTED_GENRE_WEIGHT)
        reach = (0.3 + (track.popularity if track.popularity is not None else 20) / 100) ** 2
        weights.append((index, genre_weight * theme.fit(track.features) * reach))
    return heapq.nlargest(THEME_POOL_SIZE, weights, key=lambda item: (item[1], -item[0]))


def _playlist_tracks(
    rng: random.Random, theme: Theme, pool: list[tuple[int, float]], tracks: list[DemoTrack]
) -> tuple[int, ...]:
    """A weighted sample without replacement (Efraimidis-Spirakis keys), leaning on a few of the mix's genres."""
    emphasis = {genre: rng.gammavariate(2.0, 0.5) for genre in theme.genres}
    length = min(len(pool), rng.randint(*PLAYLIST_LENGTH))
    keyed = []
    for index, weight in pool:
        weight *= emphasis.get(tracks[index].genre, 1.0)
        if weight > 0:
            keyed.append((rng.random() ** (1 / weight), index))
    return tuple(index for _, index in heapq.nlargest(length, keyed))
