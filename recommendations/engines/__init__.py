"""Recommendation engines: plain classes on numpy / scipy / scikit-learn / gensim, no Django.

Each engine has `fit(catalog)`, `save(directory)`, `load(directory, mmap=True)` and `recommend(...)`.
`recommendations.services` is the only bridge: it builds a `features.CatalogSnapshot` from the ORM,
fits engines, stores their artifact directories and turns `Recommendation` rows back into tracks.

- `content.ContentEngine`: cold start (a favourite song, mood, speed, emotion).
- `clusters.ClusterEngine`: a listener with a playlist or likes.

Submodules are not imported here, so `import recommendations.engines` stays cheap (no scikit-learn).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recommendation:
    """One recommended track: the catalog pk, a score (higher is better; engine-specific scale) and why."""

    track_id: int
    score: float
    reason: str
