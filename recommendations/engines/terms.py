"""Term model (NLP): every track as the weighted terms people use about it; a title or situation scored against them.

API (no Django; `recommendations.services` is the caller)::

    engine = TermEngine.fit(playlists, catalog, vocabulary=DEFAULT_VOCABULARY)
    engine.save(directory)
    engine = TermEngine.load(directory, mmap=True)
    answer = engine.recommend(text="rainy day drive", seed_ids=[...], k=20, exclude_ids=[...])
    answer.recommendations   # [Recommendation(track_id, score, reason)], best first
    answer.terms             # the query's terms the model knows ("rain", "@rain", "drive", "@drive")
    engine.top_terms(track_id, 5)   # [("@focus", 0.31), ("study", 0.22), ...]: the track's own top terms

**Terms** are the situation engine's (`situations.terms`): the same normalisation (NFKC, case, accents, repeated
letters, plurals, Korean endings, stop words, emoji) and the same English/Korean situation vocabulary, so
"코딩할 때" and a playlist called "study" share `@focus`.

**A track's vector.** Each playlist name gives its terms to every track it holds, each entry weighted by
len(playlist)^-LENGTH_DAMPING (a 250-track playlist called "chill" says less about any one of its tracks than a
20-track one); each artist genre gives its terms (and the situations it names: "worship", "chill") with weight
GENRE_WEIGHT. A term's weight in a track is that sum times idf(term) = ln((1 + M) / (1 + df)) + 1 over the M
playlist names (and genre lists): a word in every third name tells little. This is the "top terms with weights"
of Spotify's NLP model, built from playlist names instead of crawled text.

**Scoring.** The query is the text's terms, each weighted by its idf, plus (when seed tracks are given) the
normalised sum of the seeds' own vectors times SEED_PROFILE_WEIGHT, so a playlist without a title still has a
direction. score(t) = Σ_q query_q x weight(t, q), computed term by term over the tracks that hold each term (the
matrix is stored term-major), plus PRIOR x ln(1 + playlists holding t) to break the many ties among tracks that
carry one common term. Tracks with no term are never recommended; a text with no known term and no known seed
returns the most common tracks and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from recommendations.engines import MessageKind, Reason, ReasonKind, Recommendation
from recommendations.engines.features import (
    CatalogSnapshot,
    decode_text,
    encode_texts,
    read_artifact,
    rows_for_ids,
    select_rows,
    write_artifact,
)
from recommendations.engines.neighbours import _ranges
from recommendations.engines.situations import CONCEPT_PREFIX, DEFAULT_VOCABULARY, Vocabulary, terms

ENGINE_NAME = "terms"
LENGTH_DAMPING = 0.5
GENRE_WEIGHT = 1.0
SEED_PROFILE_WEIGHT = 1.0
PRIOR = 1e-3
REASON_TERMS = 2  # how many of the shared terms a reason quotes


@dataclass(frozen=True)
class TermAnswer:
    recommendations: list[Recommendation]
    terms: list[str] = field(default_factory=list)  # the query's known terms, heaviest first
    fallback: bool = False
    message: Reason | None = None  # a MessageKind, for the listener


class TermEngine:
    """Per-track term weights (CSR by track and by term), their idf, and the vocabulary they were made with."""

    def __init__(
        self,
        *,
        track_ids: np.ndarray,
        by_track: sparse.csr_matrix,
        by_term: sparse.csr_matrix,
        term_names: dict[str, np.ndarray],
        idf: np.ndarray,
        prior: np.ndarray,
        hidden_rows: np.ndarray,
        vocabulary: Vocabulary,
        stats: dict[str, float] | None = None,
    ) -> None:
        self.track_ids = track_ids  # int64 (n,), ascending
        self.by_track = by_track  # float32 (n, T): weight(t, q)
        self.by_term = by_term  # float32 (T, n): the same, term-major (what a query reads)
        self.term_names = term_names  # encode_texts of the terms
        self.idf = idf  # float32 (T,)
        self.prior = prior  # float32 (n,): ln(1 + playlists holding the track)
        self.hidden_rows = hidden_rows
        self.vocabulary = vocabulary
        self.stats = stats or {}
        self._index: dict[str, int] | None = None
        termless = np.flatnonzero(np.diff(by_track.indptr) == 0)
        self._never = np.union1d(hidden_rows, termless).astype(np.int64)

    def __len__(self) -> int:
        return len(self.track_ids)

    @property
    def index(self) -> dict[str, int]:
        """Term -> column, decoded once per process on first use."""
        if self._index is None:
            offsets, blob = self.term_names["offsets"], self.term_names["blob"]
            data = bytes(blob)
            self._index = {data[offsets[i] : offsets[i + 1]].decode("utf-8"): i for i in range(len(offsets) - 1)}
        return self._index

    def term(self, column: int) -> str:
        return decode_text(self.term_names["offsets"], self.term_names["blob"], column)

    # ----------------------------------------------------------------------------------------------- fitting

    @classmethod
    def fit(
        cls,
        playlists: Sequence[tuple[str, Sequence[int]]],
        catalog: CatalogSnapshot | None = None,
        *,
        vocabulary: Mapping[str, Sequence[str]] | None = None,
    ) -> TermEngine:
        """Term vectors from playlist names and (with a catalog) artist genres. Raises ValueError if no term."""
        vocabulary_ = Vocabulary(vocabulary or DEFAULT_VOCABULARY)
        track_ids = _all_track_ids(playlists, catalog)
        columns: dict[str, int] = {}
        rows, cols, values = [], [], []
        document_frequency: list[int] = []
        counts = np.zeros(len(track_ids), dtype=np.float64)
        terms_of: dict[str, list[int]] = {}

        def term_columns(text: str) -> list[int]:
            if text not in terms_of:
                terms_of[text] = [columns.setdefault(term, len(columns)) for term in terms(text, vocabulary_)]
                document_frequency.extend([0] * (len(columns) - len(document_frequency)))
            return terms_of[text]

        for name, ids in playlists:
            track_rows = np.unique(rows_for_ids(track_ids, np.asarray(ids, dtype=np.int64)))
            counts[track_rows] += 1
            found = term_columns(name)
            for column in found:
                document_frequency[column] += 1
            if not found or not len(track_rows):
                continue
            weight = float(len(track_rows)) ** -LENGTH_DAMPING
            rows.append(np.repeat(track_rows, len(found)))
            cols.append(np.tile(np.asarray(found, dtype=np.int64), len(track_rows)))
            values.append(np.full(len(track_rows) * len(found), weight, dtype=np.float64))
        documents = len(playlists)
        if catalog is not None:
            genre_parts, documents = _genre_entries(catalog, track_ids, term_columns, document_frequency, documents)
            for part, target in zip(genre_parts, (rows, cols, values), strict=True):
                target.append(part)
        if not columns or not rows:
            raise ValueError("the term model needs at least one playlist name or genre with a word in it")
        frequency = np.asarray(document_frequency, dtype=np.float64)
        idf = (np.log((1.0 + documents) / (1.0 + frequency)) + 1.0).astype(np.float32)
        matrix = sparse.csr_matrix(
            (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(len(track_ids), len(columns))
        )
        matrix.sum_duplicates()
        matrix = sparse.csr_matrix(matrix @ sparse.diags(idf.astype(np.float64))).astype(np.float32)
        matrix.sort_indices()
        hidden_rows = np.zeros(0, dtype=np.int32)
        if catalog is not None:
            hidden_rows = np.sort(rows_for_ids(track_ids, catalog.track_ids)[catalog.hidden]).astype(np.int32)
        names = sorted(columns, key=columns.get)
        return cls(
            track_ids=track_ids,
            by_track=matrix,
            by_term=_term_major(matrix),
            term_names=encode_texts(names),
            idf=idf,
            prior=np.log1p(counts).astype(np.float32),
            hidden_rows=hidden_rows,
            vocabulary=vocabulary_,
            stats={"terms": len(names), "entries": int(matrix.nnz), "playlists": len(playlists)},
        )

    def save(self, directory: Path) -> None:
        arrays = {
            "track_ids": self.track_ids,
            **_csr_arrays(self.by_track, "by_track_"),
            **_csr_arrays(self.by_term, "by_term_"),
            "term_offsets": self.term_names["offsets"],
            "term_blob": self.term_names["blob"],
            "idf": self.idf,
            "prior": self.prior,
            "hidden_rows": self.hidden_rows,
        }
        params = {
            "tracks": len(self),
            "vocabulary": {name: list(phrases) for name, phrases in self.vocabulary.concepts.items()},
            "weights": {"length_damping": LENGTH_DAMPING, "genre": GENRE_WEIGHT, "seed_profile": SEED_PROFILE_WEIGHT},
            "stats": self.stats,
        }
        write_artifact(directory, engine=ENGINE_NAME, params=params, arrays=arrays)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> TermEngine:
        params, arrays = read_artifact(directory, engine=ENGINE_NAME, mmap=mmap)
        n, width = len(arrays["track_ids"]), len(arrays["idf"])
        return cls(
            track_ids=np.asarray(arrays["track_ids"]),
            by_track=_csr_from(arrays, "by_track_", (n, width)),
            by_term=_csr_from(arrays, "by_term_", (width, n)),
            term_names={"offsets": arrays["term_offsets"], "blob": arrays["term_blob"]},
            idf=np.asarray(arrays["idf"]),
            prior=arrays["prior"],
            hidden_rows=np.asarray(arrays["hidden_rows"]),
            vocabulary=Vocabulary(params["vocabulary"]),
            stats=params.get("stats", {}),
        )

    # ------------------------------------------------------------------------------------------- recommending

    def query(self, text: str | None, seed_ids: Iterable[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        """(term columns, weights) of a request: the text's known terms by idf, plus the seeds' own profile."""
        weights: dict[int, float] = {}
        for term in terms(text, self.vocabulary) if text and text.strip() else []:
            column = self.index.get(term)
            if column is not None:
                weights[column] = weights.get(column, 0.0) + float(self.idf[column])
        seed_rows = rows_for_ids(self.track_ids, seed_ids)
        if len(seed_rows):
            profile = self._profile(seed_rows)
            total = float(np.linalg.norm(profile))
            scale = SEED_PROFILE_WEIGHT * (max(weights.values()) if weights else 1.0) / total if total else 0.0
            for column in np.flatnonzero(profile).tolist():
                weights[column] = weights.get(column, 0.0) + scale * float(profile[column])
        columns = np.asarray(sorted(weights, key=lambda c: (-weights[c], c)), dtype=np.int64)
        return columns, np.asarray([weights[c] for c in columns.tolist()], dtype=np.float32)

    def _profile(self, rows: np.ndarray) -> np.ndarray:
        """The sum of some tracks' term vectors, dense (T,)."""
        indptr = self.by_track.indptr
        entries = _ranges(indptr[rows], indptr[rows + 1] - indptr[rows])
        return np.bincount(
            np.asarray(self.by_track.indices)[entries],
            weights=np.asarray(self.by_track.data)[entries],
            minlength=len(self.idf),
        )

    def scores(self, text: str | None, seed_ids: Iterable[int] = ()) -> np.ndarray | None:
        """Every track's term score (a new float32 array), or None when the request has no known term."""
        columns, weights = self.query(text, seed_ids)
        if len(columns) == 0:
            return None
        # Each term's tracks are one contiguous slice of the term-major arrays: copied slice by slice (a few dozen
        # terms), not gathered through an index array of every entry (a seeded query reads ~40% of all entries).
        indices, data = np.asarray(self.by_term.indices), np.asarray(self.by_term.data)
        starts, ends = self.by_term.indptr[columns].tolist(), self.by_term.indptr[columns + 1].tolist()
        spans = list(zip(starts, ends, weights, strict=True))  # weights: float32, as the products were before
        scores = np.bincount(
            np.concatenate([indices[start:end] for start, end, _ in spans]),
            weights=np.concatenate([data[start:end] * weight for start, end, weight in spans]),
            minlength=len(self),
        ).astype(np.float32)
        best = scores.max()
        if best > 0:
            scores /= best
        return scores + np.float32(PRIOR) * np.asarray(self.prior)

    def recommend(
        self,
        *,
        text: str | None = None,
        seed_ids: Iterable[int] = (),
        k: int = 20,
        exclude_ids: Iterable[int] = (),
        reroll_seed: int | None = None,
    ) -> TermAnswer:
        """The k tracks whose terms best fit the text (and seeds); never a hidden, excluded or seed track."""
        seed_ids = list(seed_ids)
        columns, _ = self.query(text, seed_ids)
        scores = self.scores(text, seed_ids)
        fallback = scores is None
        if scores is None:
            scores = np.asarray(self.prior, dtype=np.float32).copy()
        for rows in (self._never, rows_for_ids(self.track_ids, seed_ids), rows_for_ids(self.track_ids, exclude_ids)):
            scores[rows] = -np.inf
        chosen = select_rows(scores, k, reroll_seed)
        known = [self.term(int(c)) for c in columns[:8]]
        reasons = (
            [self.reason(int(row), columns) for row in chosen]
            if not fallback
            else [(Reason(ReasonKind.COMMON_IN_PLAYLISTS),)] * len(chosen)
        )
        text_ = (text or "").strip()
        return TermAnswer(
            recommendations=[
                Recommendation(track_id=int(self.track_ids[row]), score=float(scores[row]), reason=reason)
                for row, reason in zip(chosen, reasons, strict=True)
            ],
            terms=known,
            fallback=fallback,
            message=Reason(MessageKind.TERMS_NO_MATCH, {"text": text_}) if fallback else None,
        )

    def reason(self, row: int, columns: np.ndarray) -> tuple[Reason, ...]:
        """The query's terms this track carries most ("playlists called “rain”, “drive” are full of it")."""
        shared = self.shared_terms(row, columns)[:REASON_TERMS]
        if not shared:
            return (Reason(ReasonKind.WORDS_LIKE_YOURS),)
        return (Reason(ReasonKind.PLAYLISTS_CALLED, {"terms": [_readable(term) for term in shared]}),)

    def shared_terms(self, row: int, columns: np.ndarray) -> list[str]:
        """The request's terms this track carries, heaviest in the track first."""
        start, end = self.by_track.indptr[row], self.by_track.indptr[row + 1]
        own = dict(
            zip(
                np.asarray(self.by_track.indices[start:end]).tolist(),
                np.asarray(self.by_track.data[start:end]).tolist(),
                strict=True,
            )
        )
        hits = [int(c) for c in np.asarray(columns).tolist() if int(c) in own]
        return [self.term(c) for c in sorted(hits, key=lambda c: -own[c])]

    def top_terms(self, track_id: int, count: int = 5) -> list[tuple[str, float]]:
        """A track's heaviest terms with their share of its total weight (empty for an unknown track)."""
        rows = rows_for_ids(self.track_ids, [track_id])
        if not len(rows):
            return []
        start, end = self.by_track.indptr[rows[0]], self.by_track.indptr[rows[0] + 1]
        data = np.asarray(self.by_track.data[start:end], dtype=np.float64)
        order = np.argsort(-data, kind="stable")[:count]
        total = data.sum() or 1.0
        columns = np.asarray(self.by_track.indices[start:end])
        return [(self.term(int(columns[i])), round(float(data[i] / total), 4)) for i in order.tolist()]


# ------------------------------------------------------------------------------------------------ helpers


def _readable(term: str) -> str:
    return term[len(CONCEPT_PREFIX) :] if term.startswith(CONCEPT_PREFIX) else term


def _all_track_ids(playlists: Sequence[tuple[str, Sequence[int]]], catalog: CatalogSnapshot | None) -> np.ndarray:
    parts = [np.asarray(ids, dtype=np.int64).ravel() for _, ids in playlists]
    if catalog is not None:
        parts.append(catalog.track_ids)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _genre_entries(catalog, track_ids, term_columns, document_frequency, documents):
    """(rows, columns, values) of the catalog's genre terms; each distinct genre list counts as one document."""
    catalog_rows = rows_for_ids(track_ids, catalog.track_ids)
    genres = catalog.genre_index
    doc_columns: list[list[int]] = []
    for doc in range(genres.doc_tfidf.shape[0]):
        found = list(dict.fromkeys(c for genre in genres.genres_of_doc(doc) for c in term_columns(genre)))
        for column in found:
            document_frequency[column] += 1
        doc_columns.append(found)
    documents += len(doc_columns) - 1
    lengths = np.asarray([len(doc_columns[d]) for d in genres.track_doc.tolist()], dtype=np.int64)
    rows = np.repeat(catalog_rows, lengths)
    columns = np.asarray([c for d in genres.track_doc.tolist() for c in doc_columns[d]], dtype=np.int64)
    return (rows, columns, np.full(len(rows), GENRE_WEIGHT, dtype=np.float64)), documents


def _term_major(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    transposed = sparse.csr_matrix(matrix.T)
    transposed.sort_indices()
    return transposed


def _csr_arrays(matrix: sparse.csr_matrix, prefix: str) -> dict[str, np.ndarray]:
    return {
        f"{prefix}indptr": matrix.indptr.astype(np.int64),
        f"{prefix}indices": matrix.indices.astype(np.int32),
        f"{prefix}data": matrix.data.astype(np.float32),
    }


def _csr_from(arrays: dict[str, np.ndarray], prefix: str, shape: tuple[int, int]) -> sparse.csr_matrix:
    # Built without checks or copies, so the memory-mapped arrays stay mapped (scipy would copy to fix dtypes).
    matrix = sparse.csr_matrix(shape, dtype=np.float32)
    matrix.indptr, matrix.indices, matrix.data = (
        arrays[f"{prefix}indptr"],
        arrays[f"{prefix}indices"],
        arrays[f"{prefix}data"],
    )
    return matrix
