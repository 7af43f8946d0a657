"""The genre TF-IDF index every engine shares: which tracks' artists have kin genres, and which genres they share.

`GenreIndex` is stored once per *distinct genre list* ("doc": tracks of one artist share a list, so a 1M-track
catalog has a few tens of thousands of them) plus one int32 per track. Built once per `features.CatalogSnapshot`
(`snapshot.genre_index`) and saved in an engine's artifact as plain arrays (`arrays`, `from_arrays`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

# A word of a genre ("pop" in "dance pop") counts half as much as a whole genre: kin, not the same genre.
GENRE_WORD_WEIGHT = 0.5


@dataclass(frozen=True)
class GenreIndex:
    """Genre TF-IDF per distinct genre list ("doc"); doc 0 is the empty list (a track without genres).

    Tokens are whole genres ("dance pop", weight 1) and their words ("dance", "pop", weight 0.5), so
    "k-pop girl group" is kin to "k-pop" without being the same genre. IDF is counted over tracks
    (smooth idf as in scikit-learn: ln((1 + n) / (1 + df)) + 1) and each doc row is L2-normalised,
    so the dot product of two rows is their cosine similarity.
    """

    vocabulary: list[str]
    idf: np.ndarray  # float32 (V,)
    track_doc: np.ndarray  # int32 (n,)
    doc_tfidf: sparse.csr_matrix  # float32 (docs, V)
    doc_genres: sparse.csr_matrix  # float32 ones (docs, V): each doc's whole genres, for reasons and profiles

    @classmethod
    def build(cls, genres: Sequence[Sequence[str]]) -> GenreIndex:
        track_doc, docs = _distinct_genre_lists(genres)
        vocabulary, token_rows, genre_rows = _tokenise(docs)
        tracks_per_doc = np.bincount(track_doc, minlength=len(docs)).astype(np.float64)
        idf = _smooth_idf(token_rows, tracks_per_doc, len(track_doc), len(vocabulary))
        token_rows.data = token_rows.data * idf[token_rows.indices]
        doc_tfidf = _l2_normalise_rows(token_rows).astype(np.float32)
        return cls(vocabulary, idf.astype(np.float32), track_doc, doc_tfidf, genre_rows)

    @property
    def has_genres(self) -> np.ndarray:
        return self.track_doc != 0

    def genres_of_doc(self, doc: int) -> list[str]:
        """The doc's whole genres, rarest (most telling) first, then alphabetically."""
        tokens = self.doc_genres.indices[self.doc_genres.indptr[doc] : self.doc_genres.indptr[doc + 1]]
        return sorted((self.vocabulary[t] for t in tokens.tolist()), key=lambda g: (-self.idf[self.index[g]], g))

    @cached_property
    def index(self) -> dict[str, int]:
        """Token -> column."""
        return {token: column for column, token in enumerate(self.vocabulary)}

    def shared_genres(self, doc_a: int, doc_b: int) -> list[str]:
        """Whole genres both docs have, rarest first."""
        theirs = set(self.genres_of_doc(doc_b))
        return [genre for genre in self.genres_of_doc(doc_a) if genre in theirs]

    def doc_similarities(self, doc: int) -> np.ndarray:
        """Cosine similarity of one doc with every doc, float32 (docs,)."""
        query = self.doc_tfidf[doc].toarray().ravel()
        return np.asarray(self.doc_tfidf @ query, dtype=np.float32)

    def arrays(self, prefix: str = "genre_") -> dict[str, np.ndarray]:
        return {
            f"{prefix}idf": self.idf,
            f"{prefix}track_doc": self.track_doc,
            **_csr_arrays(self.doc_tfidf, f"{prefix}tfidf_"),
            **_csr_arrays(self.doc_genres, f"{prefix}lists_"),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], vocabulary: list[str], prefix: str = "genre_") -> GenreIndex:
        width = len(vocabulary)
        return cls(
            vocabulary=vocabulary,
            idf=arrays[f"{prefix}idf"],
            track_doc=arrays[f"{prefix}track_doc"],
            doc_tfidf=_csr_from_arrays(arrays, f"{prefix}tfidf_", width),
            doc_genres=_csr_from_arrays(arrays, f"{prefix}lists_", width),
        )


def _distinct_genre_lists(genres: Sequence[Sequence[str]]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Each track's doc number and the docs (normalised, sorted genre tuples); doc 0 is the empty list."""
    docs: list[tuple[str, ...]] = [()]
    doc_of_key: dict[tuple[str, ...], int] = {(): 0}
    doc_of_raw: dict[tuple[str, ...], int] = {}  # most tracks repeat their artist's exact list: skip normalising
    track_doc: list[int] = []
    for track_genres in genres:
        raw = tuple(track_genres)
        doc = doc_of_raw.get(raw)
        if doc is None:
            key = tuple(sorted({genre.strip().lower() for genre in raw if genre and genre.strip()}))
            doc = doc_of_key.setdefault(key, len(docs))
            if doc == len(docs):
                docs.append(key)
            doc_of_raw[raw] = doc
        track_doc.append(doc)
    return np.asarray(track_doc, dtype=np.int32), docs


def _tokenise(docs: list[tuple[str, ...]]) -> tuple[list[str], sparse.csr_matrix, sparse.csr_matrix]:
    """Vocabulary, per-doc token weights (whole genre 1, word 0.5) and per-doc whole-genre indicators."""
    token_ids: dict[str, int] = {}
    token_indptr, token_indices, token_weights = [0], [], []
    genre_indptr, genre_indices = [0], []
    for doc in docs:
        weights = {word: GENRE_WORD_WEIGHT for genre in doc for word in genre.split()}
        weights.update(dict.fromkeys(doc, 1.0))
        for token, weight in weights.items():
            token_indices.append(token_ids.setdefault(token, len(token_ids)))
            token_weights.append(weight)
        genre_indices.extend(token_ids[genre] for genre in doc)
        token_indptr.append(len(token_indices))
        genre_indptr.append(len(genre_indices))
    shape = (len(docs), len(token_ids))
    tokens = sparse.csr_matrix((np.asarray(token_weights, np.float64), token_indices, token_indptr), shape=shape)
    genre_ones = np.ones(len(genre_indices), np.float32)
    genre_lists = sparse.csr_matrix((genre_ones, genre_indices, genre_indptr), shape=shape)
    tokens.sort_indices()
    genre_lists.sort_indices()
    return list(token_ids), tokens, genre_lists


def _smooth_idf(tokens: sparse.csr_matrix, tracks_per_doc: np.ndarray, n_tracks: int, width: int) -> np.ndarray:
    """IDF counted over tracks, not docs: a genre shared by 10,000 tracks of one artist is common."""
    doc_of_entry = np.repeat(np.arange(tokens.shape[0]), np.diff(tokens.indptr))
    document_frequency = np.bincount(tokens.indices, weights=tracks_per_doc[doc_of_entry], minlength=width)
    return np.log((1.0 + n_tracks) / (1.0 + document_frequency)) + 1.0


def _l2_normalise_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each non-empty row scaled to unit length (empty rows, and an empty vocabulary, stay as they are)."""
    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    lengths[lengths == 0] = 1.0
    matrix.data /= np.repeat(lengths, np.diff(matrix.indptr))
    return matrix


def _csr_arrays(matrix: sparse.csr_matrix, prefix: str) -> dict[str, np.ndarray]:
    # One index dtype for both arrays: scipy would otherwise copy them to a common one when loading.
    index_dtype = np.int32 if matrix.nnz < np.iinfo(np.int32).max else np.int64
    return {
        f"{prefix}indptr": matrix.indptr.astype(index_dtype),
        f"{prefix}indices": matrix.indices.astype(index_dtype),
        f"{prefix}data": matrix.data.astype(np.float32),
    }


def _csr_from_arrays(arrays: dict[str, np.ndarray], prefix: str, width: int) -> sparse.csr_matrix:
    indptr = arrays[f"{prefix}indptr"]
    return sparse.csr_matrix(
        (arrays[f"{prefix}data"], arrays[f"{prefix}indices"], indptr), shape=(len(indptr) - 1, width), copy=False
    )
