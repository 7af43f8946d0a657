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

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self


@dataclass(frozen=True)
class Recommendation:
    """One recommended track: the catalog pk, a score (higher is better; engine-specific scale) and why."""

    track_id: int
    score: float
    reason: str


class Engine(Protocol):
    """What the services need of every engine class: write its artifact folder and load one back (memory-mapped).
    Fitting and recommending take engine-specific arguments; each spec in `recommendations.artifacts` knows its own."""

    def save(self, directory: Path) -> None: ...

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> Self: ...
