"""Song2Vec's vectors: gensim Word2Vec over playlists as sentences of tracks, one unit vector per track row.

**Vectors.** gensim Word2Vec over playlists as sentences of track ids (`Word2VecParams`). The defaults follow
the lesson of Caselles-Dupré et al. (RecSys 2018), that NLP defaults are wrong for recommendation, but were
chosen on validation splits carved from mpd-dev's *training* playlists (never the evaluation's test set):

- CBOW (`sg=0`), not skip-gram: at equal quality on those splits, skip-gram with a large window costs ~5x the
  time, and training must stay under a minute for mpd-dev on two cores.
- `window=250` (MPD's longest playlist): a playlist is a set more than a sequence, so every track is context.
- `epochs=40` (NLP: 5): each track occurs in few playlists; fewer epochs left vectors close to their random start.
- `min_count=1`: a track seen once still gets a vector (it is what new and niche tracks look like).
- `negative=10`, `ns_exponent=0.5`. The paper found negative exponents best on its datasets; here every value
  from -0.5 to 1 scored within noise of the others once a popularity prior is added (see `engine`), so the middle
  value is kept.
- `vector_size=64`; `workers=2` and a fixed `seed`. gensim is only deterministic with `workers=1`: with two
  threads, scores move by about +-0.002 R-precision between runs. Tests use `workers=1`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

from recommendations.engines.neighbours import PlaylistIndex

GENSIM_MAX_SENTENCE = 10_000  # gensim silently truncates longer sentences; longer playlists are cut into pieces


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


def train_vectors(index: PlaylistIndex, params: Word2VecParams, on_epoch: Callable[[int], None] | None) -> np.ndarray:
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
        trained = unit_rows(np.asarray(model.wv.vectors, dtype=np.float32))
        vectors[rows] = trained - trained.mean(axis=0)
    return unit_rows(vectors)


def unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else np.zeros(len(vector), dtype=np.float32)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    lengths = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, lengths, out=np.zeros_like(matrix), where=lengths > 0).astype(np.float32)


def playlist_vectors(index: PlaylistIndex, vectors: np.ndarray) -> np.ndarray:
    """Each playlist's direction: the unit-length mean of its tracks' vectors."""
    sums = np.zeros((index.n_playlists, vectors.shape[1]), dtype=np.float32)
    lengths = np.diff(index.playlist_indptr)
    non_empty = np.flatnonzero(lengths)
    if len(non_empty):
        sums[non_empty] = np.add.reduceat(vectors[index.playlist_tracks], index.playlist_indptr[non_empty], axis=0)
    return unit_rows(sums)
