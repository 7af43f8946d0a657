"""Song2Vec: songs for a situation ("코딩할 때 듣기 좋은 음악", "rainy day drive") or for a few seed tracks.

API (no Django; `recommendations.services` is the caller)::

    engine = Song2VecEngine.fit(playlists, catalog, params=Word2VecParams(), weights=Song2VecWeights())
                                                # Word2VecParams: recommendations.engines.song2vec.vectors
    engine.save(directory)                      # .npy arrays, then params.json (the completion mark)
    engine = Song2VecEngine.load(directory, mmap=True)
    answer = engine.recommend(situation="music for coding", seed_ids=[12, 34], k=20, exclude_ids=[...])
    answer.recommendations   # [Recommendation(track_id, score, reason)], best first
    answer.fallback          # True when the situation matched no playlist name (then answer.message says so)
    answer.message           # a Reason (MessageKind) for the listener; None when all went well
    answer.playlists         # names of the playlists the situation matched, best first
    answer.situations        # situations understood from the text ("focus", "rain")

`playlists` is a sequence of (name, track ids) with int64 track ids (catalog pks, as in the other engines);
`catalog` (a `features.CatalogSnapshot`, optional) adds tracks that no playlist holds, hidden flags and the
content (audio features, genres) that places those tracks. Track ids of playlists and catalog are united.

Its parts: `vectors` (Word2Vec over the playlists: one unit vector per track, and why those settings),
`placement` (a place in that space for new releases that no playlist holds yet, from their content) and
`reasons` (what a request understood, and the words that explain the answer).

**Scores.** All terms are per track; weights in `Song2VecWeights`:

- seeds: `seed_cooccurrence` x playlist-neighbour co-occurrence (`neighbours.PlaylistIndex`, in [0, 1])
  + `seed_vectors` x cosine(track, mean of the seeds' vectors);
- situation: the playlists whose names fit the text (`situations.TitleIndex`: words, Korean/English situation
  vocabulary, fuzzy words) with their weights; `title_cooccurrence` x how much of that weight the track's
  playlists carry (in [0, 1]) + `title_vectors` x cosine(track, weighted mean of those playlists' vectors);
- `prior` x ln(1 + number of training playlists holding the track): Word2Vec cosines ignore popularity, and a
  small prior turned out to matter more than any Word2Vec setting (R-precision 0.05 -> 0.10 on its own).
  Content-placed tracks get the prior of a track in one playlist: new, not unpopular.

The cosine terms are what reach beyond the matched playlists (and the only way a new release is reached). The
default weights were picked on the same validation splits; `Song2VecWeights.word2vec_only()` and
`.neighbours_only()` are the two halves on their own, for the offline evaluation.

A query costs one matrix-vector product over the vectors (n x 64 float32), a co-occurrence pass over the
playlists that hold a seed or match the text, and a top-k selection: ~2 ms at 100k tracks.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from recommendations.engines import Reason, ReasonKind, Recommendation
from recommendations.engines.features import (
    CatalogSnapshot,
    decode_text,
    encode_texts,
    read_artifact,
    rows_for_ids,
    select_rows,
    write_artifact,
)
from recommendations.engines.neighbours import PlaylistIndex
from recommendations.engines.quantized import stored_vectors, vector_arrays, vectors_from_arrays
from recommendations.engines.situations import DEFAULT_VOCABULARY, ArtistIndex, TitleIndex, Vocabulary
from recommendations.engines.song2vec.placement import (
    NOT_PLACED,
    PLACED_BY_CONTENT,
    PLACED_BY_PLAYLISTS,
    place_by_content,
)
from recommendations.engines.song2vec.reasons import Query, answer_message, track_reasons
from recommendations.engines.song2vec.vectors import Word2VecParams, playlist_vectors, train_vectors, unit

ENGINE_NAME = "song2vec"
MAX_MATCHED_PLAYLISTS = 1000  # a situation uses at most this many best-matching playlists
ARTIST_SEEDS = 50  # an artist named in a situation stands for (at most) this many of their most popular tracks
NAMED_PLAYLISTS = 3  # how many matched playlist names a reason quotes


@dataclass(frozen=True)
class Song2VecWeights:
    """Weights of the score's terms (module docstring); a term whose weight is 0 is not computed."""

    seed_cooccurrence: float = 1.0
    seed_vectors: float = 0.5
    title_cooccurrence: float = 1.0
    title_vectors: float = 0.25
    prior: float = 0.05
    title_with_seeds: float = 0.25  # the situation's terms count this much less when seed tracks are given too

    @classmethod
    def word2vec_only(cls) -> Song2VecWeights:
        return cls(seed_cooccurrence=0.0, seed_vectors=1.0, title_cooccurrence=0.0, title_vectors=1.0, prior=0.1)

    @classmethod
    def neighbours_only(cls) -> Song2VecWeights:
        # The prior only breaks ties (and ranks tracks when nothing co-occurs).
        return cls(seed_cooccurrence=1.0, seed_vectors=0.0, title_cooccurrence=1.0, title_vectors=0.0, prior=1e-4)


@dataclass(frozen=True)
class Song2VecAnswer:
    recommendations: list[Recommendation]
    fallback: bool = False
    message: Reason | None = None  # a MessageKind, for the listener
    playlists: list[str] = field(default_factory=list)
    situations: list[str] = field(default_factory=list)
    artists: list[str] = field(default_factory=list)


class Song2VecEngine:
    """Situation and seed-track recommendations from playlist-trained vectors; `fit` or `load`, then `recommend`."""

    def __init__(
        self,
        *,
        track_ids: np.ndarray,
        vectors: np.ndarray,
        placement: np.ndarray,
        prior: np.ndarray,
        hidden_rows: np.ndarray,
        playlists: PlaylistIndex,
        playlist_vectors: np.ndarray,
        playlist_names: dict[str, np.ndarray],
        titles: TitleIndex,
        artists: ArtistIndex,
        params: Word2VecParams,
        weights: Song2VecWeights,
        stats: dict[str, float] | None = None,
    ) -> None:
        self.track_ids = track_ids  # int64 (n,), ascending
        # float32 (n, d), unit length (zero rows: not placed); int8 codes from INT8_VECTORS_FROM_ROWS rows (quantized)
        self.vectors = stored_vectors(vectors)
        self.placement = placement  # int8 (n,): NOT_PLACED / PLACED_BY_PLAYLISTS / PLACED_BY_CONTENT
        self.prior = prior  # float32 (n,): ln(1 + playlists holding the track)
        self.hidden_rows = hidden_rows  # int32
        self.playlists = playlists
        self.playlist_vectors = playlist_vectors  # float32 (m, d), unit length
        self.playlist_names = playlist_names  # encode_texts of the playlist names
        self.titles = titles
        self.artists = artists
        self.params = params
        self.weights = weights
        self.stats = stats or {}
        self._never = np.union1d(hidden_rows, np.flatnonzero(np.asarray(placement) == NOT_PLACED)).astype(np.int64)

    def __len__(self) -> int:
        return len(self.track_ids)

    def with_weights(self, weights: Song2VecWeights) -> Song2VecEngine:
        """The same model (arrays shared, not copied) scoring with other weights."""
        twin = copy.copy(self)
        twin.weights = weights
        return twin

    # ----------------------------------------------------------------------------------------------- fitting

    @classmethod
    def fit(
        cls,
        playlists: Sequence[tuple[str, Sequence[int]]],
        catalog: CatalogSnapshot | None = None,
        *,
        params: Word2VecParams | None = None,
        weights: Song2VecWeights | None = None,
        vocabulary: Mapping[str, Sequence[str]] | None = None,
        on_epoch: Callable[[int], None] | None = None,
    ) -> Song2VecEngine:
        """Train on the playlists (name, track ids); `catalog` adds playlist-less tracks, hidden flags and content.

        `on_epoch(epoch)` is called after each Word2Vec epoch (for a progress bar). Raises ValueError when no
        playlist holds a track.
        """
        params = params or Word2VecParams()
        track_ids = _all_track_ids(playlists, catalog)
        rows = [rows_for_ids(track_ids, np.asarray(ids, dtype=np.int64)) for _, ids in playlists]
        index = PlaylistIndex.build(rows, len(track_ids))
        if len(index.playlist_tracks) == 0:
            raise ValueError("Song2Vec needs at least one playlist with a track")
        started = time.perf_counter()
        vectors = train_vectors(index, params, on_epoch)
        seconds = time.perf_counter() - started
        placement = np.where(np.any(vectors != 0, axis=1), PLACED_BY_PLAYLISTS, NOT_PLACED).astype(np.int8)
        hidden_rows = np.zeros(0, dtype=np.int32)
        artist_names = [""] * len(track_ids)
        if catalog is not None:
            catalog_rows = rows_for_ids(track_ids, catalog.track_ids)
            hidden_rows = np.sort(catalog_rows[catalog.hidden]).astype(np.int32)
            place_by_content(vectors, placement, catalog, catalog_rows)
            for row, name in zip(catalog_rows.tolist(), catalog.artist_names, strict=True):
                artist_names[row] = name
        prior = np.log1p(index.track_counts).astype(np.float32)
        prior[placement == PLACED_BY_CONTENT] = np.float32(np.log1p(1.0))
        names = [name for name, _ in playlists]
        return cls(
            track_ids=track_ids,
            vectors=vectors,
            placement=placement,
            prior=prior,
            hidden_rows=hidden_rows,
            playlists=index,
            playlist_vectors=playlist_vectors(index, vectors),
            playlist_names=encode_texts(names),
            titles=TitleIndex.build(names, Vocabulary(vocabulary or DEFAULT_VOCABULARY)),
            artists=ArtistIndex.build(artist_names),
            params=params,
            weights=weights or Song2VecWeights(),
            stats={"train_seconds": round(seconds, 2), "playlists": len(playlists)},
        )

    def with_catalog(self, catalog: CatalogSnapshot) -> Song2VecEngine:
        """The trained model fitted to today's catalog without retraining Word2Vec (seconds, not minutes).

        Tracks added since (new releases) are placed by their content; tracks placed by content before are placed
        again (their genres or features may have changed); tracks placed by playlists keep their vectors, so the
        playlists' own vectors do not change. Hidden flags and artist names come from `catalog`. Tracks the model
        knew that `catalog` lacks stay (they are in playlists); callers drop deleted tracks when showing them.
        """
        track_ids = np.union1d(self.track_ids, catalog.track_ids)
        new_row_of = rows_for_ids(track_ids, self.track_ids)  # increasing: union1d keeps the ids' order
        by_playlists = np.asarray(self.placement) == PLACED_BY_PLAYLISTS
        vectors = np.zeros((len(track_ids), self.vectors.shape[1]), dtype=np.float32)
        placement = np.full(len(track_ids), NOT_PLACED, dtype=np.int8)
        vectors[new_row_of[by_playlists]] = self.vectors[by_playlists]
        placement[new_row_of[by_playlists]] = PLACED_BY_PLAYLISTS
        catalog_rows = rows_for_ids(track_ids, catalog.track_ids)
        place_by_content(vectors, placement, catalog, catalog_rows)
        playlists = self.playlists.remapped(new_row_of, len(track_ids))
        prior = np.log1p(playlists.track_counts).astype(np.float32)
        prior[placement == PLACED_BY_CONTENT] = np.float32(np.log1p(1.0))
        artist_names = [""] * len(track_ids)
        for row, name in zip(catalog_rows.tolist(), catalog.artist_names, strict=True):
            artist_names[row] = name
        placed_again = int(np.count_nonzero(placement == PLACED_BY_CONTENT))
        return Song2VecEngine(
            track_ids=track_ids,
            vectors=vectors,
            placement=placement,
            prior=prior,
            hidden_rows=np.sort(catalog_rows[catalog.hidden]).astype(np.int32),
            playlists=playlists,
            playlist_vectors=np.asarray(self.playlist_vectors),
            playlist_names={name: np.asarray(array) for name, array in self.playlist_names.items()},
            titles=self.titles,
            artists=ArtistIndex.build(artist_names),
            params=self.params,
            weights=self.weights,
            stats={**self.stats, "placed_by_content_without_retraining": placed_again},
        )

    def save(self, directory: Path) -> None:
        arrays = {
            "track_ids": self.track_ids,
            **vector_arrays("vectors", self.vectors),
            "placement": self.placement,
            "prior": self.prior,
            "hidden_rows": self.hidden_rows,
            "playlist_vectors": self.playlist_vectors,
            "playlist_name_offsets": self.playlist_names["offsets"],
            "playlist_name_blob": self.playlist_names["blob"],
            **self.playlists.arrays(),
            **self.titles.arrays(),
            **self.artists.arrays(),
        }
        params = {
            "tracks": len(self),
            "word2vec": asdict(self.params),
            "weights": asdict(self.weights),
            "vocabulary": {name: list(phrases) for name, phrases in self.titles.vocabulary.concepts.items()},
            "stats": self.stats,
        }
        write_artifact(directory, engine=ENGINE_NAME, params=params, arrays=arrays)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> Song2VecEngine:
        params, arrays = read_artifact(directory, engine=ENGINE_NAME, mmap=mmap)
        arrays = {name: np.asarray(array) for name, array in arrays.items()}
        return cls(
            track_ids=arrays["track_ids"],
            vectors=vectors_from_arrays("vectors", arrays),
            placement=arrays["placement"],
            prior=arrays["prior"],
            hidden_rows=arrays["hidden_rows"],
            playlists=PlaylistIndex.from_arrays(arrays),
            playlist_vectors=arrays["playlist_vectors"],
            playlist_names={"offsets": arrays["playlist_name_offsets"], "blob": arrays["playlist_name_blob"]},
            titles=TitleIndex.from_arrays(arrays, Vocabulary(params["vocabulary"])),
            artists=ArtistIndex.from_arrays(arrays),
            params=Word2VecParams(**params["word2vec"]),
            weights=Song2VecWeights(**params["weights"]),
            stats=params.get("stats", {}),
        )

    # ------------------------------------------------------------------------------------------- recommending

    def recommend(
        self,
        *,
        situation: str | None = None,
        seed_ids: Iterable[int] = (),
        k: int = 20,
        exclude_ids: Iterable[int] = (),
        reroll_seed: int | None = None,
    ) -> Song2VecAnswer:
        """The k best tracks for a situation text and/or seed tracks; never hidden, excluded or seed tracks.

        Unknown seed ids are ignored. A situation that matches no playlist name (nor artist) gives
        `fallback=True` and a message; the list then comes from the seeds if any are known, else from the tracks
        in most playlists. `reroll_seed` as in `features.select_rows` (None: the deterministic top k).
        """
        query = self._understand(situation, seed_ids)
        scores = self._scores(query)
        nothing_known = scores is None
        if scores is None:
            scores = self.prior.astype(np.float32, copy=True)
        for rows in (self._never, query.seeds, rows_for_ids(self.track_ids, exclude_ids)):
            scores[rows] = -np.inf
        chosen = select_rows(scores, k, reroll_seed)
        matched = self._distinct_names(query.playlists)
        if nothing_known:
            reasons = [(Reason(ReasonKind.POPULAR_IN_PLAYLISTS),)] * len(chosen)
        else:
            reasons = track_reasons(self, chosen, query, matched)
        has_text = bool(situation and situation.strip())
        return Song2VecAnswer(
            recommendations=[
                Recommendation(track_id=int(self.track_ids[row]), score=float(scores[row]), reason=reason)
                for row, reason in zip(chosen, reasons, strict=True)
            ],
            fallback=nothing_known or (has_text and not query.understood),
            message=answer_message(situation, query, nothing_known),
            playlists=matched,
            situations=query.situations,
            artists=query.artists,
        )

    def ranked_track_ids(
        self, *, situation: str | None = None, seed_ids: Iterable[int] = (), k: int = 500
    ) -> np.ndarray:
        """Just the ids of the k best tracks, best first (what the offline evaluation needs, without reasons)."""
        query = self._understand(situation, seed_ids)
        scores = self._scores(query)
        if scores is None:
            scores = self.prior.astype(np.float32, copy=True)
        scores[self._never] = -np.inf
        scores[query.seeds] = -np.inf
        return self.track_ids[select_rows(scores, k, None)]

    def _distinct_names(self, playlists: np.ndarray) -> list[str]:
        """The first NAMED_PLAYLISTS distinct names (case and spacing ignored) of the matched playlists, best first:
        many playlists share a name ("rainy day"), and a name said twice says nothing more."""
        names: dict[str, str] = {}
        for playlist in playlists[: NAMED_PLAYLISTS * 10]:
            name = self.playlist_name(int(playlist))
            names.setdefault(" ".join(name.casefold().split()), name)
            if len(names) == NAMED_PLAYLISTS:
                break
        return list(names.values())

    def playlist_name(self, playlist: int) -> str:
        return decode_text(self.playlist_names["offsets"], self.playlist_names["blob"], playlist)

    def _understand(self, situation: str | None, seed_ids: Iterable[int]) -> Query:
        query = Query(seeds=rows_for_ids(self.track_ids, seed_ids))
        if situation and situation.strip():
            match = self.titles.match(situation, MAX_MATCHED_PLAYLISTS)
            query.playlists, query.playlist_weights, query.situations = match.playlists, match.weights, match.situations
            query.artists, rows = self.artists.match(situation)
            rows = rows[self.placement[rows] != NOT_PLACED]
            query.artist_rows = rows[np.argsort(-self.prior[rows], kind="stable")[:ARTIST_SEEDS]]
        return query

    def _scores(self, query: Query) -> np.ndarray | None:
        """Every track's score (a new float32 array), or None when neither the seeds nor the situation are known."""
        if not len(query.seeds) and not query.understood:
            return None
        scores = np.zeros(len(self), dtype=np.float32)
        if len(query.seeds):
            self._add(scores, self.weights.seed_cooccurrence, lambda: self.playlists.seed_scores(query.seeds))
            placed = query.seeds[self.placement[query.seeds] != NOT_PLACED]
            self._add(scores, self.weights.seed_vectors, lambda: self._cosines(self.vectors[placed].sum(axis=0)))
        if query.understood:
            factor = self.weights.title_with_seeds if len(query.seeds) else 1.0
            self._add(scores, factor * self.weights.title_cooccurrence, lambda: self._situation_cooccurrence(query))
            profile = self._situation_profile(query)
            self._add(scores, factor * self.weights.title_vectors, lambda: self._cosines(profile))
        if self.weights.prior:
            scores += np.float32(self.weights.prior) * self.prior
        return scores

    @staticmethod
    def _add(scores: np.ndarray, weight: float, term: Callable[[], np.ndarray]) -> None:
        """scores += weight x term(), computing the term only when its weight is not 0."""
        if weight:
            scores += np.float32(weight) * term()

    def _situation_cooccurrence(self, query: Query) -> np.ndarray:
        """In [0, 1]: the matched playlists' weight on each track, and/or the named artists' tracks and company."""
        parts = []
        if len(query.playlists):
            parts.append(self.playlists.playlist_scores(query.playlists, query.playlist_weights))
        if len(query.artist_rows):
            company = self.playlists.seed_scores(query.artist_rows)
            company[query.artist_rows] += 1.0  # the artist's own songs first
            parts.append(company / company.max())
        return sum(parts[1:], parts[0]) / np.float32(len(parts))

    def _situation_profile(self, query: Query) -> np.ndarray:
        """The direction of a situation: the matched playlists' weighted vectors plus the named artists' tracks."""
        profile = np.zeros(self.vectors.shape[1], dtype=np.float32)
        if len(query.playlists):
            profile += unit(query.playlist_weights.astype(np.float32) @ self.playlist_vectors[query.playlists])
        if len(query.artist_rows):
            profile += unit(self.vectors[query.artist_rows].sum(axis=0))
        return profile

    def _cosines(self, direction: np.ndarray) -> np.ndarray:
        return self.vectors @ unit(direction)


# ------------------------------------------------------------------------------------------------ helpers


def _all_track_ids(playlists: Sequence[tuple[str, Sequence[int]]], catalog: CatalogSnapshot | None) -> np.ndarray:
    parts = [np.asarray(ids, dtype=np.int64).ravel() for _, ids in playlists]
    if catalog is not None:
        parts.append(catalog.track_ids)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
