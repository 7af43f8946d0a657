"""Collaborative filtering: "people who keep the same songs also keep these", as implicit-feedback ALS.

API (no Django; `recommendations.services` is the caller)::

    engine = CollaborativeEngine.fit(playlists, catalog, listeners=[ListenerRow(liked, disliked)], params=CFParams())
    engine.save(directory)                      # .npy arrays, then params.json (the completion mark)
    engine = CollaborativeEngine.load(directory, mmap=True)
    answer = engine.recommend(seed_ids=[12, 34], negative_ids=[56], k=20, exclude_ids=[...])
    answer.recommendations   # [Recommendation(track_id, score, reason)], best first
    answer.because           # per recommendation: the seed track most like it in the model (for the reason)
    answer.fallback          # True when no seed is in the model (then the list is the most kept tracks)

**Model.** The rows are playlists (each holds its tracks with preference 1) and listeners (their likes,
favourites and saved Spotify tracks with preference 1, their dislikes as negatives: value -1). The `implicit`
package's ALS (Hu, Koren & Volinsky 2008, with the conjugate-gradient solver of Takács et al. 2011) factorises
that matrix with confidence alpha x |value|: a held track is "liked with confidence alpha", a disliked one "not
liked, with confidence alpha", every other cell "not liked, with confidence 1". Only the item factors are kept.

**Why ALS and not EASE.** EASE (Steck 2019) needs the inverse of a dense item x item Gram matrix: 121k tracks on
mpd-dev are 59 GB in float32, a 1M-track catalog is out of reach, and capped to the 10k most frequent tracks it
scored below ALS in `manage.py evaluate` (README, "Offline evaluation"). ALS keeps n x d floats (256 MB at 1M
tracks and 64 factors, memory-mapped) and folds in any seed set with one d x d solve.

**Fold-in.** A playlist or listener the model never saw gets its factor at request time from its tracks, exactly
as ALS's own user step computes it (`implicit.cpu.als.user_linear_equation`):

    A = YᵀY + λI + Σ_i (c_i - 1) y_i y_iᵀ,   b = Σ_{i liked} c_i y_i,   u = A⁻¹ b

with c_i = alpha for a seed and alpha x NEGATIVE_WEIGHT for a dislike, so a dislike pushes its neighbours
down. YᵀY is stored with the factors, so serving needs numpy only (no `implicit` import in a web process).
Scores are Y u; disliked, hidden, seed and excluded tracks are never returned. Tracks that were in no row have
no factor at all (theirs would be noise from the random start): the model's `track_ids` are the kept tracks only.

**Threads.** Fitting runs `implicit`'s own `num_threads` (CFParams.num_threads, 2 on this 2-core machine) with
BLAS limited to one thread inside the fit (threadpoolctl): implicit parallelises over rows itself, and a BLAS
thread pool under it oversubscribes the cores (implicit warns about exactly this; the limit is what silences it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from recommendations.engines import MessageKind, Reason, ReasonKind, Recommendation
from recommendations.engines.features import CatalogSnapshot, read_artifact, rows_for_ids, select_rows, write_artifact
from recommendations.engines.quantized import stored_vectors, vector_arrays, vectors_from_arrays

ENGINE_NAME = "cf"
NEGATIVE_WEIGHT = 1.0  # a dislike's confidence relative to a like's


@dataclass(frozen=True)
class CFParams:
    """ALS settings; picked on validation splits carved from mpd-dev's training playlists (BENCHMARKS.md): 8
    iterations score as 15 do (0.1028 against 0.1031-0.1037 R-precision) in half the time."""

    factors: int = 64
    regularization: float = 1.0
    alpha: float = 20.0
    iterations: int = 8
    num_threads: int = 2
    random_state: int = 1


@dataclass(frozen=True)
class ListenerRow:
    """One listener as a row of the matrix: tracks they keep (likes, favourites, saved) and tracks they disliked."""

    positive_ids: Sequence[int]
    negative_ids: Sequence[int] = ()


@dataclass(frozen=True)
class CFAnswer:
    recommendations: list[Recommendation]
    because: list[int | None] = field(default_factory=list)  # the seed id most like each pick (None: popularity)
    fallback: bool = False
    message: Reason | None = None  # a MessageKind, for the listener


class CollaborativeEngine:
    """Item factors from ALS over playlists and listeners; `fit` or `load`, then `recommend` (fold-in per request)."""

    def __init__(
        self,
        *,
        track_ids: np.ndarray,
        item_factors: np.ndarray,
        gram: np.ndarray,
        counts: np.ndarray,
        hidden_rows: np.ndarray,
        params: CFParams,
        stats: dict[str, float] | None = None,
    ) -> None:
        self.track_ids = track_ids  # int64 (n,), ascending
        self.item_factors = stored_vectors(item_factors)  # float32 (n, d); int8 codes for big catalogs (quantized)
        self.gram = gram  # float64 (d, d): YᵀY
        self.counts = counts  # float32 (n,): rows holding the track (positive entries)
        self.hidden_rows = hidden_rows  # int32
        self.params = params
        self.stats = stats or {}
        self._never = np.union1d(hidden_rows, np.flatnonzero(np.asarray(counts) == 0)).astype(np.int64)

    def __len__(self) -> int:
        return len(self.track_ids)

    # ----------------------------------------------------------------------------------------------- fitting

    @classmethod
    def fit(
        cls,
        playlists: Sequence[Sequence[int]],
        catalog: CatalogSnapshot | None = None,
        *,
        listeners: Sequence[ListenerRow] = (),
        params: CFParams | None = None,
    ) -> CollaborativeEngine:
        """Factorise playlists (track ids) plus listener rows; `catalog` adds row-less tracks and hidden flags.

        Raises ValueError when no row holds a track.
        """
        params = params or CFParams()
        track_ids = _all_track_ids(playlists, listeners, catalog)
        matrix = _interactions(playlists, listeners, track_ids)
        if matrix.nnz == 0:
            raise ValueError("collaborative filtering needs at least one playlist or listener with a track")
        started = time.perf_counter()
        item_factors = _als_item_factors(matrix, params)
        seconds = time.perf_counter() - started
        counts = np.asarray((matrix > 0).sum(axis=0)).ravel().astype(np.float32)
        # Only tracks some row keeps get a factor row: the others' factors are noise from the random start, and at
        # 1M catalog tracks with most of them in no playlist, keeping them would cost 256 MB of mapped floats.
        kept = np.flatnonzero(counts > 0)
        track_ids, item_factors, counts = track_ids[kept], np.ascontiguousarray(item_factors[kept]), counts[kept]
        hidden_rows = np.zeros(0, dtype=np.int32)
        if catalog is not None:
            hidden_rows = np.sort(rows_for_ids(track_ids, catalog.track_ids[np.asarray(catalog.hidden)]))
            hidden_rows = hidden_rows.astype(np.int32)
        item_factors = stored_vectors(item_factors)
        served = np.asarray(item_factors, dtype=np.float64)  # YᵀY of the factors as served (int8 or not)
        gram = served.T @ served
        return cls(
            track_ids=track_ids,
            item_factors=item_factors,
            gram=gram,
            counts=counts,
            hidden_rows=hidden_rows,
            params=params,
            stats={
                "train_seconds": round(seconds, 2),
                "playlists": len(playlists),
                "listeners": len(listeners),
                "entries": int(matrix.nnz),
            },
        )

    def save(self, directory: Path) -> None:
        arrays = {
            "track_ids": self.track_ids,
            **vector_arrays("item_factors", self.item_factors),
            "gram": self.gram,
            "counts": self.counts,
            "hidden_rows": self.hidden_rows,
        }
        params = {"tracks": len(self), "als": asdict(self.params), "stats": self.stats}
        write_artifact(directory, engine=ENGINE_NAME, params=params, arrays=arrays)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> CollaborativeEngine:
        params, arrays = read_artifact(directory, engine=ENGINE_NAME, mmap=mmap)
        return cls(
            track_ids=np.asarray(arrays["track_ids"]),
            item_factors=vectors_from_arrays("item_factors", arrays),
            gram=np.asarray(arrays["gram"]),
            counts=np.asarray(arrays["counts"]),
            hidden_rows=np.asarray(arrays["hidden_rows"]),
            params=CFParams(**params["als"]),
            stats=params.get("stats", {}),
        )

    # ------------------------------------------------------------------------------------------- recommending

    def fold_in(
        self, seed_rows: np.ndarray, negative_rows: np.ndarray | None = None, seed_weights: np.ndarray | None = None
    ) -> np.ndarray | None:
        """The factor of an unseen playlist or listener from its track rows (module docstring), or None.

        `seed_weights` (one per seed row, default 1) scale each seed's confidence: weak evidence such as the
        tracks a title's words point to counts less than a track the listener really keeps.
        """
        seed_rows = np.asarray(seed_rows, dtype=np.int64)
        weights = np.ones(len(seed_rows)) if seed_weights is None else np.asarray(seed_weights, dtype=np.float64)
        seed_rows, first = np.unique(seed_rows, return_index=True)
        weights = weights[first]
        known = np.asarray(self.counts)[seed_rows] > 0
        seed_rows, weights = seed_rows[known], weights[known]
        if len(seed_rows) == 0:
            return None
        negatives = np.zeros(0, np.int64) if negative_rows is None else np.asarray(negative_rows, dtype=np.int64)
        negatives = np.setdiff1d(negatives, seed_rows)
        alpha = self.params.alpha
        factors = self.item_factors
        liked = factors[seed_rows].astype(np.float64)
        disliked = factors[negatives].astype(np.float64)
        confidence = alpha * weights
        a = self.gram + self.params.regularization * np.eye(self.gram.shape[0])
        a += (liked * (confidence - 1.0)[:, None]).T @ liked
        a += (alpha * NEGATIVE_WEIGHT - 1.0) * disliked.T @ disliked
        b = confidence @ liked
        return np.linalg.solve(a, b).astype(np.float32)

    def scores(
        self,
        seed_ids: Iterable[int],
        negative_ids: Iterable[int] = (),
        weak_ids: Sequence[int] = (),
        weak_weight: float = 1.0,
    ) -> np.ndarray | None:
        """Every track's score for a seed set (a new float32 array), or None when no seed is in the model.

        `weak_ids` are folded in too, each with `weak_weight` of a seed's confidence (a title's tracks).
        """
        seed_rows = rows_for_ids(self.track_ids, seed_ids)
        weak_rows = np.setdiff1d(rows_for_ids(self.track_ids, weak_ids), seed_rows)
        rows = np.concatenate([seed_rows, weak_rows])
        weights = np.concatenate([np.ones(len(seed_rows)), np.full(len(weak_rows), weak_weight)])
        user = self.fold_in(rows, rows_for_ids(self.track_ids, negative_ids), weights)
        if user is None:
            return None
        return self.item_factors @ user

    def recommend(
        self,
        *,
        seed_ids: Iterable[int],
        negative_ids: Iterable[int] = (),
        k: int = 20,
        exclude_ids: Iterable[int] = (),
        reroll_seed: int | None = None,
    ) -> CFAnswer:
        """The k tracks that rows holding the seeds hold most; never a seed, dislike, hidden or excluded track."""
        seed_ids, negative_ids = list(seed_ids), list(negative_ids)
        seed_rows = rows_for_ids(self.track_ids, seed_ids)
        scores = self.scores(seed_ids, negative_ids)
        fallback = scores is None
        if scores is None:
            scores = np.log1p(np.asarray(self.counts, dtype=np.float32))
        banned = (
            self._never,
            seed_rows,
            rows_for_ids(self.track_ids, negative_ids),
            rows_for_ids(self.track_ids, exclude_ids),
        )
        for rows in banned:
            scores[rows] = -np.inf
        chosen = select_rows(scores, k, reroll_seed)
        because = [None] * len(chosen) if fallback else self._closest_seeds(chosen, seed_rows)
        reasons = [
            (Reason(ReasonKind.KEPT_BY_MANY),) if seed is None else (Reason(ReasonKind.KEPT_WITH_YOURS),)
            for seed in because
        ]
        return CFAnswer(
            recommendations=[
                Recommendation(track_id=int(self.track_ids[row]), score=float(scores[row]), reason=reason)
                for row, reason in zip(chosen, reasons, strict=True)
            ],
            because=because,
            fallback=fallback,
            message=Reason(MessageKind.CF_SEEDS_UNKNOWN) if fallback else None,
        )

    def ranked_track_ids(self, *, seed_ids: Iterable[int], k: int = 500) -> np.ndarray:
        """Just the ids of the k best tracks, best first (for the offline evaluation); popularity without seeds."""
        seed_ids = list(seed_ids)
        scores = self.scores(seed_ids)
        if scores is None:
            scores = np.log1p(np.asarray(self.counts, dtype=np.float32))
        scores[self._never] = -np.inf
        scores[rows_for_ids(self.track_ids, seed_ids)] = -np.inf
        return self.track_ids[select_rows(scores, k, None)]

    def _closest_seeds(self, chosen: np.ndarray, seed_rows: np.ndarray) -> list[int | None]:
        """For each chosen row, the seed whose factor points the most its way (cosine): "people who keep X"."""
        known = seed_rows[np.asarray(self.counts)[seed_rows] > 0]
        if len(known) == 0 or len(chosen) == 0:
            return [None] * len(chosen)
        factors = self.item_factors
        similarity = _unit_rows(factors[chosen]) @ _unit_rows(factors[known]).T
        return [int(self.track_ids[known[j]]) for j in np.argmax(similarity, axis=1).tolist()]


# ------------------------------------------------------------------------------------------------ helpers


def _all_track_ids(
    playlists: Sequence[Sequence[int]], listeners: Sequence[ListenerRow], catalog: CatalogSnapshot | None
) -> np.ndarray:
    parts = [np.asarray(ids, dtype=np.int64).ravel() for ids in playlists]
    parts += [np.asarray([*row.positive_ids, *row.negative_ids], dtype=np.int64) for row in listeners]
    if catalog is not None:
        parts.append(catalog.track_ids)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _interactions(
    playlists: Sequence[Sequence[int]], listeners: Sequence[ListenerRow], track_ids: np.ndarray
) -> sparse.csr_matrix:
    """Rows x tracks, float32: 1 for a held track, -NEGATIVE_WEIGHT for a dislike (a like wins over a dislike)."""
    indptr, indices, values = [0], [], []
    for ids in playlists:
        rows = np.unique(rows_for_ids(track_ids, np.asarray(ids, dtype=np.int64)))
        indices.append(rows)
        values.append(np.ones(len(rows), dtype=np.float32))
        indptr.append(indptr[-1] + len(rows))
    for listener in listeners:
        liked = np.unique(rows_for_ids(track_ids, np.asarray(listener.positive_ids, dtype=np.int64)))
        disliked = np.setdiff1d(rows_for_ids(track_ids, np.asarray(listener.negative_ids, dtype=np.int64)), liked)
        indices += [liked, disliked]
        values += [np.ones(len(liked), np.float32), np.full(len(disliked), -NEGATIVE_WEIGHT, np.float32)]
        indptr.append(indptr[-1] + len(liked) + len(disliked))
    shape = (len(indptr) - 1, len(track_ids))
    flat = np.concatenate(indices) if indices else np.zeros(0, np.int64)
    data = np.concatenate(values) if values else np.zeros(0, np.float32)
    matrix = sparse.csr_matrix((data, flat, np.asarray(indptr)), shape=shape)
    matrix.sort_indices()
    return matrix


def _als_item_factors(matrix: sparse.csr_matrix, params: CFParams) -> np.ndarray:
    """implicit's ALS on CPU, BLAS held to one thread while implicit runs its own `num_threads`."""
    # Imported here: serving processes only fold in with numpy, and implicit pulls in its native extensions.
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            num_threads=params.num_threads,
            random_state=params.random_state,
            dtype=np.float32,
        )
        model.fit(matrix, show_progress=False)
    return np.ascontiguousarray(model.item_factors, dtype=np.float32)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    lengths = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, lengths, out=np.zeros_like(matrix, dtype=np.float32), where=lengths > 0)
