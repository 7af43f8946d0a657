"""What Song2Vec tells about its answer: what a request understood (`Query`), why each track was picked, and the
sentence for a listener whose situation matched nothing."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from recommendations.engines.song2vec.placement import PLACED_BY_CONTENT

if TYPE_CHECKING:
    from recommendations.engines.song2vec.engine import Song2VecEngine


@dataclass
class Query:
    """What a request understood: seed rows, matched playlists and their weights (internal)."""

    seeds: np.ndarray
    playlists: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    playlist_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    situations: list[str] = field(default_factory=list)
    artists: list[str] = field(default_factory=list)
    artist_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # their most popular tracks

    @property
    def understood(self) -> bool:
        """Whether the situation text matched any playlist name or artist."""
        return bool(len(self.playlists) or len(self.artist_rows))


def track_reasons(engine: Song2VecEngine, chosen: np.ndarray, query: Query, matched: list[str]) -> list[str]:
    """Why each chosen row was picked, in words: the matched playlists, a named artist, the seeds, new or not."""
    quoted = ", ".join(f"“{name}”" for name in matched)
    in_matched = _in_playlists(engine, chosen, query.playlists)
    together = engine.playlists.seed_scores(query.seeds)[chosen] > 0 if len(query.seeds) else None
    by_artist = np.isin(chosen, query.artist_rows)
    reasons = []
    for i, row in enumerate(chosen):
        parts = []
        if len(query.playlists):
            parts.append(f"in playlists like {quoted}" if in_matched[i] else f"sounds like playlists {quoted}")
        if query.artists:
            parts.append(f"by {query.artists[0]}" if by_artist[i] else f"goes with {query.artists[0]}")
        if together is not None:
            parts.append("often in playlists with your tracks" if together[i] else "close to your tracks")
        if engine.placement[row] == PLACED_BY_CONTENT:
            parts.append("new: placed by its genres and sound")
        reasons.append("; ".join(parts) or "popular in playlists")
    return reasons

def _in_playlists(engine: Song2VecEngine, rows: np.ndarray, playlists: np.ndarray) -> np.ndarray:
    """Whether each row belongs to one of the given playlists."""
    if len(playlists) == 0:
        return np.zeros(len(rows), dtype=bool)
    holders, owner = engine.playlists.playlists_of(np.asarray(rows, dtype=np.int64))
    hit = np.isin(holders, playlists)
    return np.bincount(owner[hit], minlength=len(rows)) > 0

def answer_message(situation: str | None, query: Query, nothing_known: bool) -> str:
    """The sentence for the listener when the situation matched nothing or no seed is known; "" otherwise."""
    text = (situation or "").strip()
    if text and not query.understood:
        instead = "songs popular in playlists" if nothing_known else "songs close to your tracks"
        return (
            f"No playlist name matches “{text}”, so here are {instead} instead. Try a situation such as "
            "“study”, “rainy day”, “workout”, “드라이브” or “잠들기 전”."
        )
    if nothing_known:
        return "None of these tracks is in the model yet, so here are songs popular in playlists."
    return ""
