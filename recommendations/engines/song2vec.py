"""Song2Vec: songs for a situation ("코딩할 때 듣기 좋은 음악", "rainy day drive") or for a few seed tracks.

API (no Django; `recommendations.services` is the caller)::

    engine = Song2VecEngine.fit(playlists, catalog, params=Word2VecParams(), weights=Song2VecWeights())
    engine.save(directory)                      # .npy arrays, then params.json (the completion mark)
    engine = Song2VecEngine.load(directory, mmap=True)
    answer = engine.recommend(situation="music for coding", seed_ids=[12, 34], k=20, exclude_ids=[...])
    answer.recommendations   # [Recommendation(track_id, score, reason)], best first
    answer.fallback          # True when the situation matched no playlist name (then answer.message says so)
    answer.message           # one sentence for the listener; "" when all went well
    answer.playlists         # names of the playlists the situation matched, best first
    answer.situations        # situations understood from the text ("focus", "rain")

`playlists` is a sequence of (name, track ids) with int64 track ids (catalog pks, as in the other engines);
`catalog` (a `features.CatalogSnapshot`, optional) adds tracks that no playlist holds, hidden flags and the
content (audio features, genres) that places those tracks. Track ids of playlists and catalog are united.

**Vectors.** gensim Word2Vec over playlists as sentences of track ids (`Word2VecParams`). The defaults follow
the lesson of Caselles-Dupré et al. (RecSys 2018), that NLP defaults are wrong for recommendation, but were
chosen on validation splits carved from mpd-dev's *training* playlists (never the evaluation's test set):

- CBOW (`sg=0`), not skip-gram: at equal quality on those splits, skip-gram with a large window costs ~5x the
  time, and training must stay under a minute for mpd-dev on two cores.
- `window=250` (MPD's longest playlist): a playlist is a set more than a sequence, so every track is context.
- `epochs=40` (NLP: 5): each track occurs in few playlists; fewer epochs left vectors close to their random start.
- `min_count=1`: a track seen once still gets a vector (it is what new and niche tracks look like).
- `negative=10`, `ns_exponent=0.5`. The paper found negative exponents best on its datasets; here every value
  from -0.5 to 1 scored within noise of the others once a popularity prior is added (see below), so the middle
  value is kept.
- `vector_size=64`; `workers=2` and a fixed `seed`. gensim is only deterministic with `workers=1`: with two
  threads, scores move by about +-0.002 R-precision between runs. Tests use `workers=1`.

**New releases.** A catalog track in no playlist has no Word2Vec vector. When it has content, it is placed among
its look-alikes that do have one: by genres (the mean vector of placed tracks with the same genre list — usually
the same artist — else of those sharing its genres and genre words, TF-IDF weighted) and by sound (the mean
vector of placed tracks in its cell of a 64-cell k-means partition of the audio features), 3:1. Its `placement`
is PLACED_BY_CONTENT and its reason says so. Tracks with neither genres nor features are never recommended here.

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
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from recommendations.engines import Recommendation
from recommendations.engines.features import (
    CatalogSnapshot,
    UnitScaler,
    decode_text,
    encode_texts,
    read_artifact,
    rows_for_ids,
    select_rows,
    write_artifact,
)
from recommendations.engines.neighbours import PlaylistIndex
from recommendations.engines.situations import DEFAULT_VOCABULARY, ArtistIndex, TitleIndex, Vocabulary

ENGINE_NAME = "song2vec"
NOT_PLACED, PLACED_BY_PLAYLISTS, PLACED_BY_CONTENT = 0, 1, 2
MAX_MATCHED_PLAYLISTS = 1000  # a situation uses at most this many best-matching playlists
ARTIST_SEEDS = 50  # an artist named in a situation stands for (at most) this many of their most popular tracks
NAMED_PLAYLISTS = 3  # how many matched playlist names a reason quotes
GENSIM_MAX_SENTENCE = 10_000  # gensim silently truncates longer sentences; longer playlists are cut into pieces
# Content placement of tracks in no playlist (see _place_by_content).
MIN_CONTENT_EXAMPLES = 10  # fewer placed tracks than this with content: no content placement
GENRE_SHARE = 0.75
SOUND_CELLS = 64  # k-means cells of the audio features
SOUND_SAMPLE = 50_000  # placed tracks the cells are fitted on


@dataclass(frozen=True)
class Word2VecParams:
    """gensim Word2Vec settings (see the module docstring for why these values)."""

    vector_size: int = 64
    window: int = 250
    negative: int = 10
    ns_exponent: float = 0.5
    epochs: int = 40
    min_count: int = 1
    sample: float = 1e-3
    alpha: float = 0.025
    sg: int = 0
    workers: int = 2
    seed: int = 1


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
    message: str = ""
    playlists: list[str] = field(default_factory=list)
    situations: list[str] = field(default_factory=list)
    artists: list[str] = field(default_factory=list)


@dataclass
class _Query:
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
        self.vectors = vectors  # float32 (n, d), unit length (zero rows: not placed)
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
        vectors = _train_vectors(index, params, on_epoch)
        seconds = time.perf_counter() - started
        placement = np.where(np.any(vectors != 0, axis=1), PLACED_BY_PLAYLISTS, NOT_PLACED).astype(np.int8)
        hidden_rows = np.zeros(0, dtype=np.int32)
        artist_names = [""] * len(track_ids)
        if catalog is not None:
            catalog_rows = rows_for_ids(track_ids, catalog.track_ids)
            hidden_rows = np.sort(catalog_rows[catalog.hidden]).astype(np.int32)
            _place_by_content(vectors, placement, catalog, catalog_rows)
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
            playlist_vectors=_playlist_vectors(index, vectors),
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
        vectors[new_row_of[by_playlists]] = np.asarray(self.vectors)[by_playlists]
        placement[new_row_of[by_playlists]] = PLACED_BY_PLAYLISTS
        catalog_rows = rows_for_ids(track_ids, catalog.track_ids)
        _place_by_content(vectors, placement, catalog, catalog_rows)
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
            "vectors": self.vectors,
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
            vectors=arrays["vectors"],
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
        matched = [self.playlist_name(int(p)) for p in query.playlists[:NAMED_PLAYLISTS]]
        reasons = self._reasons(chosen, query, matched) if not nothing_known else ["popular in playlists"] * len(chosen)
        has_text = bool(situation and situation.strip())
        return Song2VecAnswer(
            recommendations=[
                Recommendation(track_id=int(self.track_ids[row]), score=float(scores[row]), reason=reason)
                for row, reason in zip(chosen, reasons, strict=True)
            ],
            fallback=nothing_known or (has_text and not query.understood),
            message=self._message(situation, query, nothing_known),
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

    def match_playlists(self, situation: str, limit: int = 10) -> list[tuple[str, float]]:
        """The playlists whose names best fit a situation text, with their weights (for the admin and debugging)."""
        match = self.titles.match(situation, limit)
        return [(self.playlist_name(int(p)), float(w)) for p, w in zip(match.playlists, match.weights, strict=True)]

    def playlist_name(self, playlist: int) -> str:
        return decode_text(self.playlist_names["offsets"], self.playlist_names["blob"], playlist)

    def _understand(self, situation: str | None, seed_ids: Iterable[int]) -> _Query:
        query = _Query(seeds=rows_for_ids(self.track_ids, seed_ids))
        if situation and situation.strip():
            match = self.titles.match(situation, MAX_MATCHED_PLAYLISTS)
            query.playlists, query.playlist_weights, query.situations = match.playlists, match.weights, match.situations
            query.artists, rows = self.artists.match(situation)
            rows = rows[self.placement[rows] != NOT_PLACED]
            query.artist_rows = rows[np.argsort(-self.prior[rows], kind="stable")[:ARTIST_SEEDS]]
        return query

    def _scores(self, query: _Query) -> np.ndarray | None:
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

    def _situation_cooccurrence(self, query: _Query) -> np.ndarray:
        """In [0, 1]: the matched playlists' weight on each track, and/or the named artists' tracks and company."""
        parts = []
        if len(query.playlists):
            parts.append(self.playlists.playlist_scores(query.playlists, query.playlist_weights))
        if len(query.artist_rows):
            company = self.playlists.seed_scores(query.artist_rows)
            company[query.artist_rows] += 1.0  # the artist's own songs first
            parts.append(company / company.max())
        return sum(parts[1:], parts[0]) / np.float32(len(parts))

    def _situation_profile(self, query: _Query) -> np.ndarray:
        """The direction of a situation: the matched playlists' weighted vectors plus the named artists' tracks."""
        profile = np.zeros(self.vectors.shape[1], dtype=np.float32)
        if len(query.playlists):
            profile += _unit(query.playlist_weights.astype(np.float32) @ self.playlist_vectors[query.playlists])
        if len(query.artist_rows):
            profile += _unit(self.vectors[query.artist_rows].sum(axis=0))
        return profile

    def _cosines(self, direction: np.ndarray) -> np.ndarray:
        return self.vectors @ _unit(direction)

    def _reasons(self, chosen: np.ndarray, query: _Query, matched: list[str]) -> list[str]:
        quoted = ", ".join(f"“{name}”" for name in matched)
        in_matched = self._in_playlists(chosen, query.playlists)
        together = self.playlists.seed_scores(query.seeds)[chosen] > 0 if len(query.seeds) else None
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
            if self.placement[row] == PLACED_BY_CONTENT:
                parts.append("new: placed by its genres and sound")
            reasons.append("; ".join(parts) or "popular in playlists")
        return reasons

    def _in_playlists(self, rows: np.ndarray, playlists: np.ndarray) -> np.ndarray:
        """Whether each row belongs to one of the given playlists."""
        if len(playlists) == 0:
            return np.zeros(len(rows), dtype=bool)
        holders, owner = self.playlists.playlists_of(np.asarray(rows, dtype=np.int64))
        hit = np.isin(holders, playlists)
        return np.bincount(owner[hit], minlength=len(rows)) > 0

    def _message(self, situation: str | None, query: _Query, nothing_known: bool) -> str:
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


# ------------------------------------------------------------------------------------------------ helpers


def _all_track_ids(playlists: Sequence[tuple[str, Sequence[int]]], catalog: CatalogSnapshot | None) -> np.ndarray:
    parts = [np.asarray(ids, dtype=np.int64).ravel() for _, ids in playlists]
    if catalog is not None:
        parts.append(catalog.track_ids)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


class _Sentences:
    """Playlists as lists of row tokens, re-iterable as gensim needs (one pass per epoch, plus the vocabulary scan)."""

    def __init__(self, index: PlaylistIndex) -> None:
        self.index = index
        self.tokens = [str(row) for row in range(index.n_tracks)]

    def __iter__(self) -> Iterator[list[str]]:
        for playlist in range(self.index.n_playlists):
            rows = self.index.tracks_of(playlist).tolist()
            for start in range(0, len(rows), GENSIM_MAX_SENTENCE):
                yield [self.tokens[row] for row in rows[start : start + GENSIM_MAX_SENTENCE]]


def _train_vectors(index: PlaylistIndex, params: Word2VecParams, on_epoch: Callable[[int], None] | None) -> np.ndarray:
    """Unit-length Word2Vec vectors per track row; zero rows for tracks below min_count or in no playlist."""
    # Imported here: serving processes only load and recommend, and gensim is a heavy import.
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochCallback(CallbackAny2Vec):
        def __init__(self) -> None:
            self.epoch = 0

        def on_epoch_end(self, model: Word2Vec) -> None:
            self.epoch += 1
            if on_epoch is not None:
                on_epoch(self.epoch)

    model = Word2Vec(sentences=_Sentences(index), callbacks=[EpochCallback()], **asdict(params))
    vectors = np.zeros((index.n_tracks, params.vector_size), dtype=np.float32)
    rows = np.asarray([int(key) for key in model.wv.index_to_key], dtype=np.int64)
    if len(rows):
        # Centred: Word2Vec vectors share a large common direction (its length is ~0.6 of a unit vector on
        # mpd-dev) that makes every track look alike to a cosine; removing it helped the vectors on their own
        # (R-precision +0.003) and is what separates groups at all in a tiny corpus.
        trained = _unit_rows(np.asarray(model.wv.vectors, dtype=np.float32))
        vectors[rows] = trained - trained.mean(axis=0)
    return _unit_rows(vectors)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else np.zeros(len(vector), dtype=np.float32)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    lengths = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, lengths, out=np.zeros_like(matrix), where=lengths > 0).astype(np.float32)


def _playlist_vectors(index: PlaylistIndex, vectors: np.ndarray) -> np.ndarray:
    """Each playlist's direction: the unit-length mean of its tracks' vectors."""
    sums = np.zeros((index.n_playlists, vectors.shape[1]), dtype=np.float32)
    lengths = np.diff(index.playlist_indptr)
    non_empty = np.flatnonzero(lengths)
    if len(non_empty):
        sums[non_empty] = np.add.reduceat(vectors[index.playlist_tracks], index.playlist_indptr[non_empty], axis=0)
    return _unit_rows(sums)


def _place_by_content(vectors: np.ndarray, placement: np.ndarray, catalog: CatalogSnapshot, rows: np.ndarray) -> None:
    """Give unplaced catalog tracks with genres and/or audio features a vector from placed look-alikes (in place).

    Genres: the mean vector of placed tracks with the same genre list (usually the same artist), else the
    TF-IDF-weighted mean over the placed tracks of each of its genres and genre words. Sound: the mean vector of
    placed tracks in the same cell of a k-means partition of the audio features. A track with both gets
    GENRE_SHARE of the genre direction and the rest of the sound one: genres say more about which playlists a
    song would be in than five audio features do.
    """
    placed = np.flatnonzero(placement[rows] == PLACED_BY_PLAYLISTS)
    cold = np.flatnonzero(placement[rows] == NOT_PLACED)
    if len(cold) == 0 or len(placed) < MIN_CONTENT_EXAMPLES:
        return
    known = np.asarray(vectors[rows[placed]], dtype=np.float64)
    guess = GENRE_SHARE * _genre_directions(catalog, placed, known, cold)
    guess += (1.0 - GENRE_SHARE) * _sound_directions(catalog, placed, known, cold)
    guess = _unit_rows(guess.astype(np.float32))
    found = np.any(guess != 0, axis=1)
    vectors[rows[cold[found]]] = guess[found]
    placement[rows[cold[found]]] = PLACED_BY_CONTENT


def _genre_directions(catalog: CatalogSnapshot, placed: np.ndarray, known: np.ndarray, cold: np.ndarray) -> np.ndarray:
    """Unit genre-based directions for the cold catalog rows (zero rows for tracks without genres)."""
    genres = catalog.genre_index
    doc_sums = _group_sums(genres.track_doc[placed], genres.doc_tfidf.shape[0], known)  # per genre list
    doc_sums[0] = 0.0  # doc 0 is "no genres": not a genre list to take after
    token_directions = _unit_rows((genres.doc_tfidf.T @ doc_sums).astype(np.float32))  # (vocabulary, d)
    cold_docs = genres.track_doc[cold]
    same_list = _unit_rows(doc_sums[cold_docs].astype(np.float32))
    by_words = _unit_rows(np.asarray(genres.doc_tfidf[cold_docs] @ token_directions, dtype=np.float32))
    has_same = np.any(same_list != 0, axis=1)
    return np.where(has_same[:, None], same_list, by_words)


def _sound_directions(catalog: CatalogSnapshot, placed: np.ndarray, known: np.ndarray, cold: np.ndarray) -> np.ndarray:
    """Unit sound-based directions for the cold catalog rows (zero rows for tracks without audio features)."""
    directions = np.zeros((len(cold), known.shape[1]), dtype=np.float32)
    has_features = np.asarray(catalog.has_features)
    examples, targets = placed[has_features[placed]], cold[has_features[cold]]
    if len(examples) < MIN_CONTENT_EXAMPLES or len(targets) == 0:
        return directions
    from sklearn.cluster import KMeans  # imported here: serving processes never need scikit-learn
    from sklearn.exceptions import ConvergenceWarning

    unit = UnitScaler.fit(catalog.features, catalog.has_features).transform(catalog.features, catalog.has_features)
    sample = examples
    if len(sample) > SOUND_SAMPLE:
        sample = np.sort(np.random.default_rng(0).choice(examples, SOUND_SAMPLE, replace=False))
    cells = min(SOUND_CELLS, len(sample) // MIN_CONTENT_EXAMPLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fewer distinct sounds than cells: fewer cells used
        kmeans = KMeans(n_clusters=max(cells, 1), n_init=1, random_state=0).fit(unit[sample])
    cell_sums = _group_sums(kmeans.predict(unit[examples]), kmeans.n_clusters, known[has_features[placed]])
    directions[has_features[cold]] = _unit_rows(cell_sums[kmeans.predict(unit[targets])].astype(np.float32))
    return directions


def _group_sums(groups: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Row sums of `values` per group number, (n_groups, d), as one sparse product (np.add.at is far slower)."""
    from scipy import sparse

    membership = sparse.csr_matrix(
        (np.ones(len(groups)), (np.asarray(groups, dtype=np.int64), np.arange(len(groups)))),
        shape=(n_groups, len(groups)),
    )
    return np.asarray(membership @ values)
