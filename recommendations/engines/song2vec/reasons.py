"""What Song2Vec tells about its answer: what a request understood (`Query`), why each track was picked, and what to
tell a listener whose situation matched nothing (as `Reason`s: the site words them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from recommendations.engines import MessageKind, Reason, ReasonKind
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


def track_reasons(
    engine: Song2VecEngine, chosen: np.ndarray, query: Query, matched: list[str]
) -> list[tuple[Reason, ...]]:
    """Why each chosen row was picked: the matched playlists, a named artist, the seeds, new or not."""
    in_matched = _in_playlists(engine, chosen, query.playlists)
    together = engine.playlists.seed_scores(query.seeds)[chosen] > 0 if len(query.seeds) else None
    by_artist = np.isin(chosen, query.artist_rows)
    reasons = []
    for i, row in enumerate(chosen):
        parts = []
        if len(query.playlists):
            kind = ReasonKind.IN_PLAYLISTS if in_matched[i] else ReasonKind.LIKE_PLAYLISTS
            parts.append(Reason(kind, {"playlists": list(matched)}))
        if query.artists:
            kind = ReasonKind.BY_ARTIST if by_artist[i] else ReasonKind.GOES_WITH_ARTIST
            parts.append(Reason(kind, {"artist": query.artists[0]}))
        if together is not None:
            parts.append(Reason(ReasonKind.WITH_YOUR_TRACKS if together[i] else ReasonKind.CLOSE_TO_YOUR_TRACKS))
        if engine.placement[row] == PLACED_BY_CONTENT:
            parts.append(Reason(ReasonKind.PLACED_BY_CONTENT))
        reasons.append(tuple(parts) or (Reason(ReasonKind.POPULAR_IN_PLAYLISTS),))
    return reasons


def _in_playlists(engine: Song2VecEngine, rows: np.ndarray, playlists: np.ndarray) -> np.ndarray:
    """Whether each row belongs to one of the given playlists."""
    if len(playlists) == 0:
        return np.zeros(len(rows), dtype=bool)
    holders, owner = engine.playlists.playlists_of(np.asarray(rows, dtype=np.int64))
    hit = np.isin(holders, playlists)
    return np.bincount(owner[hit], minlength=len(rows)) > 0

def answer_message(situation: str | None, query: Query, nothing_known: bool) -> Reason | None:
    """What to tell the listener when the situation matched nothing or no seed is known; None otherwise."""
    text = (situation or "").strip()
    if text and not query.understood:
        instead = "popular" if nothing_known else "seeds"
        return Reason(MessageKind.SITUATION_NO_MATCH, {"text": text, "instead": instead})
    if nothing_known:
        return Reason(MessageKind.SEEDS_UNKNOWN)
    return None
