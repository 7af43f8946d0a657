"""Recommendation engines: plain classes on numpy / scipy / scikit-learn / gensim, no Django (ARCHITECTURE.md).

Each engine has `fit(catalog)`, `save(directory)`, `load(directory, mmap=True)` and `recommend(...)` (the
`Engine` protocol below). `recommendations.services` is the only bridge: it builds a `features.CatalogSnapshot`
from the ORM, fits engines, stores their artifact directories and turns `Recommendation` rows back into tracks.
A new engine is registered in `recommendations.artifacts` (an `EngineSpec`, and a `ModelVersion.Engine` choice).

- `content.ContentEngine`: cold start (a favourite song, mood, speed, emotion).
- `clusters.ClusterEngine`: a listener with a playlist or likes.
- `song2vec.engine.Song2VecEngine`: a situation in words, or seed tracks.
- Shared: `features` (the snapshot, scaled features, top-k, artifact files), `genres` (genre TF-IDF),
  `neighbours` (playlist co-occurrence), `situations` (situation words, Korean and English).

Submodules are not imported here, so `import recommendations.engines` stays cheap (no scikit-learn).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, Self


class ReasonKind(StrEnum):
    """Every kind of "why" an engine gives. The site renders each in the listener's language
    (`recommendations.reasons`); a kind without a rendering fails tests/recommendations/test_reasons.py."""

    # content: a favourite it resembles, the feature that matched, the listener's filters
    SAME_GENRES = "same_genres"  # favourite, genres
    CLOSE_GENRES = "close_genres"  # favourite, genres
    OTHER_GENRES = "other_genres"  # favourite
    GENRES_UNKNOWN = "genres_unknown"
    SIMILAR_FEATURES = "similar_features"  # features (AUDIO_FEATURES names); after a genre part
    SOUNDS_LIKE = "sounds_like"  # favourite, features
    FEATURES_UNKNOWN = "features_unknown"
    FITS_FILTERS = "fits_filters"  # choices: Mood / Speed / Emotion values ("bright", "fast", "excited")
    NEXT_BEST = "next_best"
    CLOSEST_TO_FILTERS = "closest_to_filters"
    POPULAR_IN_CATALOG = "popular_in_catalog"
    # clusters
    RELEASED = "released"  # date (ISO)
    RELEASE_UNKNOWN = "release_unknown"
    CLUSTER_SHARE = "cluster_share"  # traits, genres, share (0-1), of ("playlist" | "catalog")
    CLUSTER_FILLING = "cluster_filling"  # traits, genres: the listener's own groups ran out
    PLACED_BY_GENRE = "placed_by_genre"
    # song2vec
    IN_PLAYLISTS = "in_playlists"  # playlists (names)
    LIKE_PLAYLISTS = "like_playlists"  # playlists (names)
    BY_ARTIST = "by_artist"  # artist
    GOES_WITH_ARTIST = "goes_with_artist"  # artist
    WITH_YOUR_TRACKS = "with_your_tracks"
    CLOSE_TO_YOUR_TRACKS = "close_to_your_tracks"
    PLACED_BY_CONTENT = "placed_by_content"
    POPULAR_IN_PLAYLISTS = "popular_in_playlists"
    # cf
    KEPT_WITH_YOURS = "kept_with_yours"
    KEPT_BY_MANY = "kept_by_many"
    # terms
    PLAYLISTS_CALLED = "playlists_called"  # terms
    WORDS_LIKE_YOURS = "words_like_yours"
    COMMON_IN_PLAYLISTS = "common_in_playlists"
    # blend: the generator that put the track on the list
    BLEND_SIGNAL = "blend_signal"  # signal: one of blend.GENERATORS
    # added by the services when a list is assembled (recommendations.services)
    FROM_PLAYLIST = "from_playlist"  # playlist (name)
    RESEMBLES_LIKED = "resembles_liked"  # favourite (a liked song); features (optional: the closest ones)


class MessageKind(StrEnum):
    """Sentences an engine says about a whole answer (no match, nothing known), rendered like reasons."""

    SITUATION_NO_MATCH = "situation_no_match"  # text, instead ("popular" | "seeds")
    SEEDS_UNKNOWN = "seeds_unknown"
    CF_SEEDS_UNKNOWN = "cf_seeds_unknown"
    TERMS_NO_MATCH = "terms_no_match"  # text


_KNOWN_KINDS = frozenset(ReasonKind) | frozenset(MessageKind)


@dataclass(frozen=True)
class Reason:
    """One part of why a track was picked (or, with a MessageKind, a sentence about an answer): a kind and its
    values, plain JSON (str, int, float, bool, lists of str). Names of songs, artists and playlists are values,
    never words around them; the site words it (`recommendations.reasons`)."""

    kind: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in _KNOWN_KINDS:
            raise ValueError(f"unknown reason kind {self.kind!r}")

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "values": dict(self.values)}


def reason_parts_json(parts: Iterable[Reason]) -> list[dict[str, Any]]:
    """A reason's parts as JSON (what a stored list keeps)."""
    return [part.to_json() for part in parts]


def reason_parts_from_json(data: Any) -> tuple[Reason, ...]:
    """Parts back from `reason_parts_json`; parts of kinds this code no longer knows are dropped."""
    parts = []
    for item in data if isinstance(data, list) else []:
        try:
            parts.append(Reason(str(item["kind"]), dict(item.get("values") or {})))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return tuple(parts)


@dataclass(frozen=True)
class Recommendation:
    """One recommended track: the catalog pk, a score (higher is better; engine-specific scale) and why (the
    parts of its reason, most specific first)."""

    track_id: int
    score: float
    reason: tuple[Reason, ...]


class Engine(Protocol):
    """What the services need of every engine class: write its artifact folder and load one back (memory-mapped).
    Fitting and recommending take engine-specific arguments; each spec in `recommendations.artifacts` knows its own."""

    def save(self, directory: Path) -> None: ...

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> Self: ...
