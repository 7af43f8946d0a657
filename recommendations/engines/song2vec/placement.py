"""A place in Song2Vec's vector space for tracks that no playlist holds yet (new releases), from their content.

**New releases.** A catalog track in no playlist has no Word2Vec vector. When it has content, it is placed among
its look-alikes that do have one: by genres (the mean vector of placed tracks with the same genre list — usually
the same artist — else of those sharing its genres and genre words, TF-IDF weighted) and by sound (the mean
vector of placed tracks in its cell of a 64-cell k-means partition of the audio features), 3:1. Its `placement`
is PLACED_BY_CONTENT and its reason says so. Tracks with neither genres nor features are never recommended here.
"""
from __future__ import annotations

import warnings

import numpy as np

from recommendations.engines.features import CatalogSnapshot, UnitScaler
from recommendations.engines.song2vec.vectors import unit_rows

NOT_PLACED, PLACED_BY_PLAYLISTS, PLACED_BY_CONTENT = 0, 1, 2  # a track's `placement` in the engine
MIN_CONTENT_EXAMPLES = 10  # fewer placed tracks than this with content: no content placement
GENRE_SHARE = 0.75
SOUND_CELLS = 64  # k-means cells of the audio features
SOUND_SAMPLE = 50_000  # placed tracks the cells are fitted on


def place_by_content(vectors: np.ndarray, placement: np.ndarray, catalog: CatalogSnapshot, rows: np.ndarray) -> None:
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
    guess = unit_rows(guess.astype(np.float32))
    found = np.any(guess != 0, axis=1)
    vectors[rows[cold[found]]] = guess[found]
    placement[rows[cold[found]]] = PLACED_BY_CONTENT


def _genre_directions(catalog: CatalogSnapshot, placed: np.ndarray, known: np.ndarray, cold: np.ndarray) -> np.ndarray:
    """Unit genre-based directions for the cold catalog rows (zero rows for tracks without genres)."""
    genres = catalog.genre_index
    doc_sums = _group_sums(genres.track_doc[placed], genres.doc_tfidf.shape[0], known)  # per genre list
    doc_sums[0] = 0.0  # doc 0 is "no genres": not a genre list to take after
    token_directions = unit_rows((genres.doc_tfidf.T @ doc_sums).astype(np.float32))  # (vocabulary, d)
    cold_docs = genres.track_doc[cold]
    same_list = unit_rows(doc_sums[cold_docs].astype(np.float32))
    by_words = unit_rows(np.asarray(genres.doc_tfidf[cold_docs] @ token_directions, dtype=np.float32))
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
    directions[has_features[cold]] = unit_rows(cell_sums[kmeans.predict(unit[targets])].astype(np.float32))
    return directions


def _group_sums(groups: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Row sums of `values` per group number, (n_groups, d), as one sparse product (np.add.at is far slower)."""
    from scipy import sparse

    membership = sparse.csr_matrix(
        (np.ones(len(groups)), (np.asarray(groups, dtype=np.int64), np.arange(len(groups)))),
        shape=(n_groups, len(groups)),
    )
    return np.asarray(membership @ values)
