"""EASE (Steck, WWW 2019): a closed-form item-item model, kept to compare with ALS in `manage.py evaluate`.

B = I - P / diag(P) with P = (XᵀX + λI)⁻¹ over the MAX_ITEMS most frequent tracks; a seed set's scores are
x B. It needs a dense items x items inverse (MAX_ITEMS² floats: 400 MB at 10,000 tracks, and the inverse is
cubic), which is why the shipped collaborative-filtering engine is ALS (`cf.CollaborativeEngine`): EASE cannot
hold a whole catalog, and on mpd-dev it scored below ALS (README, "Offline evaluation"). Not served, not saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from recommendations.engines.features import rows_for_ids, select_rows

MAX_ITEMS = 10_000
REGULARIZATION = 200.0


class EaseModel:
    def __init__(self, *, track_ids: np.ndarray, weights: np.ndarray, counts: np.ndarray) -> None:
        self.track_ids = track_ids  # int64 (m,), ascending: the modelled tracks
        self.weights = weights  # float32 (m, m), zero diagonal
        self.counts = counts  # float32 (m,)

    @classmethod
    def fit(
        cls, playlists: Sequence[Sequence[int]], *, max_items: int = MAX_ITEMS, regularization: float = REGULARIZATION
    ) -> EaseModel:
        """B over the `max_items` tracks in most playlists (ties: lower id). Raises ValueError with no track."""
        all_ids = np.unique(np.concatenate([np.asarray(ids, dtype=np.int64) for ids in playlists]))
        if len(all_ids) == 0:
            raise ValueError("EASE needs at least one playlist with a track")
        per_playlist = [np.unique(rows_for_ids(all_ids, np.asarray(ids, dtype=np.int64))) for ids in playlists]
        counts = np.bincount(np.concatenate(per_playlist), minlength=len(all_ids))
        kept = np.sort(np.lexsort((np.arange(len(all_ids)), -counts))[:max_items])
        new_row = np.full(len(all_ids), -1, dtype=np.int64)
        new_row[kept] = np.arange(len(kept))
        indptr, indices = [0], []
        for rows in per_playlist:
            mapped = new_row[rows]
            mapped = mapped[mapped >= 0]
            indices.append(mapped)
            indptr.append(indptr[-1] + len(mapped))
        flat = np.concatenate(indices)
        matrix = sparse.csr_matrix((np.ones(len(flat), np.float32), flat, indptr), shape=(len(playlists), len(kept)))
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += regularization
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)
        np.fill_diagonal(weights, 0.0)
        return cls(track_ids=all_ids[kept], weights=weights.astype(np.float32), counts=counts[kept].astype(np.float32))

    def ranked_track_ids(self, *, seed_ids: Iterable[int], k: int = 500) -> np.ndarray:
        """The k best modelled tracks for the seeds, best first; the most frequent ones without a known seed."""
        rows = rows_for_ids(self.track_ids, seed_ids)
        scores = self.weights[rows].sum(axis=0) if len(rows) else np.log1p(self.counts)
        scores[rows] = -np.inf
        return self.track_ids[select_rows(scores, k, None)]
