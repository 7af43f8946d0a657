"""Cluster recommendations for listeners with a playlist (or likes): new songs in the proportions of their taste.

Fit: k-means (k=5 by default, as in the original write-up) over standardised (z-scored) audio features
(danceability, energy, valence, tempo, acousticness). Large catalogs are clustered on a fixed random sample of
`SAMPLE_SIZE` tracks and every track is then assigned to its nearest centre. Clusters are numbered by size,
largest first, so numbers are stable-ish across rebuilds and the chart reads naturally.

Tracks without audio features (new releases often lack them now that Spotify withholds them) are placed by
genre: in the cluster where most featured tracks sharing their genres are. Tracks with neither features nor
genres belong to no cluster: they are never recommended here and do not count in a playlist's shares.

Recommend: the playlist's share in each cluster (over its tracks that belong to a cluster) decides how many
of the k songs come from each, by largest remainder (3 + 1 for shares 0.75 / 0.25 and k = 4). Within a
cluster, the newest releases come first (then the more popular, then the lower track id); tracks released
after `released_by`, hidden tracks, the playlist's own tracks and `exclude_ids` are skipped. A cluster that
runs out passes its seats to the others, largest share first. When no playlist track is known the catalog's
own cluster sizes stand in for the shares (`ClusterAnswer.shares` then stays all zero).

A request touches only the playlist's rows and the first few entries of each cluster's precomputed list:
its cost does not grow with the catalog.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
from scipy import sparse

from recommendations.engines import Reason, ReasonKind, Recommendation
from recommendations.engines.features import (
    AUDIO_FEATURES,
    CatalogSnapshot,
    read_artifact,
    rows_for_ids,
    write_artifact,
)
from recommendations.engines.genres import GenreIndex

ENGINE_NAME = "clusters"
DEFAULT_CLUSTERS = 5
MAX_CLUSTERS = 100  # labels are int8
SAMPLE_SIZE = 100_000
RANDOM_STATE = 0
NO_CLUSTER = -1
# A cluster "is" fast, energetic...: its mean lies this many catalog standard deviations from the catalog mean.
TRAIT_THRESHOLD = 0.5
MAX_TRAITS = 3
TOP_GENRES = 3
TRAIT_WORDS: dict[str, tuple[str, str]] = {  # feature: (word when high, word when low)
    "danceability": ("danceable", "hard to dance to"),
    "energy": ("energetic", "calm"),
    "valence": ("bright", "dark"),
    "tempo": ("fast", "slow"),
    "acousticness": ("acoustic", "electric"),
}


@dataclass(frozen=True)
class ClusterProfile:
    """A cluster in plain words, for the chart: mean raw features, top genres, e.g. "fast, energetic; mostly edm"."""

    index: int
    size: int
    mean_features: dict[str, float]
    top_genres: list[str]
    traits: list[str]
    description: str


@dataclass(frozen=True)
class ClusterAnswer:
    recommendations: list[Recommendation]
    shares: list[float]  # the playlist's share per cluster (index = ClusterProfile.index); zeros if none known
    profiles: list[ClusterProfile]


class ClusterEngine:
    """Playlist-proportional new releases; build with `fit` or `load`, then call `recommend`."""

    def __init__(
        self,
        *,
        track_ids: np.ndarray,
        labels: np.ndarray,
        has_features: np.ndarray,
        release_ordinal: np.ndarray,
        cluster_offsets: np.ndarray,
        cluster_rows: np.ndarray,
        cluster_release_keys: np.ndarray,
        centroids: np.ndarray,
        scaler_mean: np.ndarray,
        scaler_scale: np.ndarray,
        profiles: list[ClusterProfile],
    ) -> None:
        self.track_ids = track_ids
        self.labels = labels  # int8 per track; NO_CLUSTER for tracks with neither features nor genres
        self.has_features = has_features
        self.release_ordinal = release_ordinal
        self.cluster_offsets = cluster_offsets  # cluster c's list is cluster_rows[offsets[c]:offsets[c + 1]]
        self.cluster_rows = cluster_rows  # visible tracks, newest first within each cluster
        self.cluster_release_keys = cluster_release_keys  # -release_ordinal of cluster_rows: ascending per cluster
        self.centroids = centroids  # in standardised feature space
        self.scaler_mean = scaler_mean
        self.scaler_scale = scaler_scale
        self.profiles = profiles

    @property
    def n_clusters(self) -> int:
        return len(self.profiles)

    @classmethod
    def fit(cls, catalog: CatalogSnapshot, *, n_clusters: int = DEFAULT_CLUSTERS) -> ClusterEngine:
        if not 1 <= n_clusters <= MAX_CLUSTERS:
            raise ValueError(f"n_clusters must be between 1 and {MAX_CLUSTERS}, not {n_clusters}")
        featured = np.flatnonzero(catalog.has_features)
        if len(featured) < n_clusters:
            raise ValueError(f"{n_clusters} clusters need at least {n_clusters} tracks with audio features")
        imputed = _impute(catalog.features[featured]).astype(np.float64)
        scaler_mean, scaler_scale = imputed.mean(axis=0), imputed.std(axis=0)
        scaler_scale[scaler_scale == 0] = 1.0  # a constant feature: as scikit-learn's StandardScaler does
        standardised = ((imputed - scaler_mean) / scaler_scale).astype(np.float32)
        centroids = _kmeans_centroids(standardised, n_clusters)
        labels = np.full(len(catalog), NO_CLUSTER, dtype=np.int8)
        labels[featured] = _nearest(standardised, centroids)
        centroids, labels = _number_by_size(centroids, labels, n_clusters)
        genres = catalog.genre_index
        _place_by_genre(labels, catalog.has_features, genres, n_clusters)
        rows, offsets = _newest_first(labels, catalog, n_clusters)
        profiles = _profiles(labels, catalog, genres, n_clusters)
        return cls(
            track_ids=catalog.track_ids,
            labels=labels,
            has_features=catalog.has_features,
            release_ordinal=catalog.release_ordinal,
            cluster_offsets=offsets,
            cluster_rows=rows,
            cluster_release_keys=-catalog.release_ordinal[rows],
            centroids=centroids,
            scaler_mean=scaler_mean.astype(np.float32),
            scaler_scale=scaler_scale.astype(np.float32),
            profiles=profiles,
        )

    def save(self, directory: Path) -> None:
        arrays = {
            name: getattr(self, name)
            for name in (
                "track_ids", "labels", "has_features", "release_ordinal", "cluster_offsets", "cluster_rows",
                "cluster_release_keys", "centroids", "scaler_mean", "scaler_scale",
            )
        }  # fmt: skip
        params = {
            "tracks": len(self.track_ids),
            "features": list(AUDIO_FEATURES),
            "n_clusters": self.n_clusters,
            "profiles": [asdict(profile) for profile in self.profiles],
        }
        write_artifact(directory, engine=ENGINE_NAME, params=params, arrays=arrays)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> ClusterEngine:
        params, arrays = read_artifact(directory, engine=ENGINE_NAME, mmap=mmap)
        if params["features"] != list(AUDIO_FEATURES):
            raise ValueError(f"{directory} was fitted on features {params['features']}: rebuild the model")
        profiles = [ClusterProfile(**profile) for profile in params["profiles"]]
        return cls(**{name: np.asarray(array) for name, array in arrays.items()}, profiles=profiles)

    def memory_bytes(self) -> int:
        """Bytes of the arrays this engine holds (mapped or not)."""
        return sum(value.nbytes for value in vars(self).values() if isinstance(value, np.ndarray))

    def recommend(
        self,
        playlist_track_ids: Iterable[int],
        *,
        k: int = 20,
        exclude_ids: Iterable[int] = (),
        released_by: date | None = None,
    ) -> ClusterAnswer:
        """k new songs spread over clusters like the playlist, newest first; plus shares and profiles."""
        playlist_rows = rows_for_ids(self.track_ids, playlist_track_ids)
        shares = self._shares(playlist_rows)
        from_playlist = bool(shares.sum() > 0)
        sizes = np.diff(self.cluster_offsets).astype(np.float64)
        weights = shares if from_playlist else sizes / max(sizes.sum(), 1.0)
        excluded = np.union1d(playlist_rows, rows_for_ids(self.track_ids, exclude_ids))
        candidates = [self._newest(cluster, k, excluded, released_by) for cluster in range(self.n_clusters)]
        seats = _fill_seats(largest_remainder(weights, k), [len(rows) for rows in candidates], weights)
        picked = [(int(row), cluster) for cluster, rows in enumerate(candidates) for row in rows[: seats[cluster]]]
        # Newest first across clusters too; the larger share first on a tie, then the lower track id.
        picked.sort(key=lambda item: (-int(self.release_ordinal[item[0]]), -weights[item[1]], item[0]))
        recommendations = [self._recommendation(row, cluster, weights, from_playlist) for row, cluster in picked]
        return ClusterAnswer(recommendations, [float(share) for share in shares], self.profiles)

    def _shares(self, rows: np.ndarray) -> np.ndarray:
        """Share of the given tracks in each cluster, over those that belong to one (all zero if none does)."""
        labels = np.asarray(self.labels[rows], dtype=np.int64)
        counts = np.bincount(labels[labels != NO_CLUSTER], minlength=self.n_clusters).astype(np.float64)
        return counts / counts.sum() if counts.sum() else counts

    def _newest(self, cluster: int, count: int, excluded: np.ndarray, released_by: date | None) -> np.ndarray:
        """Up to `count` rows of the cluster's newest-first list, skipping excluded rows and future releases."""
        begin, end = int(self.cluster_offsets[cluster]), int(self.cluster_offsets[cluster + 1])
        if released_by is not None:
            # Keys are -release_ordinal, ascending; unknown dates (key 0) stay at the end and are kept.
            begin += int(np.searchsorted(self.cluster_release_keys[begin:end], -released_by.toordinal(), "left"))
        window = np.asarray(self.cluster_rows[begin : min(end, begin + count + len(excluded))])
        return window[~_in_sorted(window, excluded)][:count]

    def _recommendation(self, row: int, cluster: int, weights: np.ndarray, from_playlist: bool) -> Recommendation:
        profile = self.profiles[cluster]
        ordinal = int(self.release_ordinal[row])
        group = {"cluster": cluster, "traits": list(profile.traits), "genres": list(profile.top_genres[:1])}
        parts = [
            Reason(ReasonKind.RELEASED, {"date": date.fromordinal(ordinal).isoformat()})
            if ordinal > 0
            else Reason(ReasonKind.RELEASE_UNKNOWN)
        ]
        if weights[cluster] > 0:
            share = round(float(weights[cluster]), 4)
            of = "playlist" if from_playlist else "catalog"
            parts.append(Reason(ReasonKind.CLUSTER_SHARE, {**group, "share": share, "of": of}))
        else:
            parts.append(Reason(ReasonKind.CLUSTER_FILLING, group))
        if not self.has_features[row]:
            parts.append(Reason(ReasonKind.PLACED_BY_GENRE))
        return Recommendation(track_id=int(self.track_ids[row]), score=float(weights[cluster]), reason=tuple(parts))


def _in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """Which values occur in an ascending array (np.isin without its sort of both inputs)."""
    if len(sorted_values) == 0:
        return np.zeros(len(values), dtype=bool)
    positions = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[positions] == values


def largest_remainder(weights: np.ndarray, k: int) -> np.ndarray:
    """k seats in proportion to weights: floors first, then one each to the largest remainders.

    Ties go to the larger weight, then the lower index. All-zero weights give no seats.
    """
    weights = np.asarray(weights, dtype=np.float64)
    seats = np.zeros(len(weights), dtype=np.int64)
    if k <= 0 or weights.sum() <= 0:
        return seats
    quotas = weights / weights.sum() * k
    seats = np.floor(quotas + 1e-9).astype(np.int64)  # 0.75 * 4 stays 3 even if rounding made it 2.9999999
    remainders = np.where(seats > quotas, 0.0, quotas - seats)
    order = np.lexsort((np.arange(len(weights)), -weights, -remainders))
    seats[order[: k - seats.sum()]] += 1
    return seats


def _fill_seats(seats: np.ndarray, available: list[int], weights: np.ndarray) -> np.ndarray:
    """Seats capped by what each cluster can give; the shortfall goes to clusters with spare tracks, largest first."""
    filled = np.minimum(seats, available)
    shortfall = int(seats.sum() - filled.sum())
    for cluster in np.lexsort((np.arange(len(weights)), -weights)):
        extra = min(shortfall, available[cluster] - int(filled[cluster]))
        filled[cluster] += extra
        shortfall -= extra
    return filled


def _impute(features: np.ndarray) -> np.ndarray:
    """Unknown values of otherwise featured tracks become the column median (0 for an all-unknown column)."""
    if not np.isnan(features).any():
        return features
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice": that column's median becomes 0
        medians = np.nan_to_num(np.nanmedian(features, axis=0))
    return np.where(np.isnan(features), medians, features)


def _kmeans_centroids(standardised: np.ndarray, n_clusters: int) -> np.ndarray:
    """k-means centres, fitted on at most SAMPLE_SIZE tracks (a fixed random sample) so a rebuild stays fast."""
    # Imported here: serving processes only load and recommend, and scikit-learn costs ~110 MB per process.
    from sklearn.cluster import KMeans

    if len(standardised) > SAMPLE_SIZE:
        sample = np.random.default_rng(RANDOM_STATE).choice(len(standardised), SAMPLE_SIZE, replace=False)
        standardised = standardised[np.sort(sample)]
    model = KMeans(n_clusters=n_clusters, n_init=4, random_state=RANDOM_STATE).fit(standardised)
    return model.cluster_centers_.astype(np.float32)


def _nearest(points: np.ndarray, centroids: np.ndarray, chunk: int = 262_144) -> np.ndarray:
    """Index of each point's nearest centroid, in chunks so a million points need no large temporary."""
    labels = np.empty(len(points), dtype=np.int8)
    for start in range(0, len(points), chunk):
        block = points[start : start + chunk]
        distances = (block**2).sum(axis=1)[:, None] - 2 * block @ centroids.T + (centroids**2).sum(axis=1)[None, :]
        labels[start : start + chunk] = distances.argmin(axis=1)
    return labels


def _number_by_size(centroids: np.ndarray, labels: np.ndarray, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber clusters largest first (ties: the original number), so numbering does not depend on k-means' order."""
    sizes = np.bincount(labels[labels != NO_CLUSTER], minlength=n_clusters)
    order = np.lexsort((np.arange(n_clusters), -sizes))
    new_number = np.empty(n_clusters, dtype=np.int8)
    new_number[order] = np.arange(n_clusters)
    renumbered = np.where(labels == NO_CLUSTER, NO_CLUSTER, new_number[np.maximum(labels, 0)]).astype(np.int8)
    return centroids[order], renumbered


def _place_by_genre(labels: np.ndarray, has_features: np.ndarray, genres: GenreIndex, n_clusters: int) -> None:
    """Label featureless tracks with the cluster where most featured tracks sharing their genres are (in place)."""
    featureless = np.flatnonzero(~has_features & (genres.track_doc != 0))
    if len(featureless) == 0:
        return
    featured = np.flatnonzero(labels != NO_CLUSTER)
    n_docs = genres.doc_genres.shape[0]
    tracks_per_doc_cluster = sparse.csr_matrix(
        (np.ones(len(featured)), (genres.track_doc[featured], labels[featured])), shape=(n_docs, n_clusters)
    )
    genre_votes = genres.doc_genres.T @ tracks_per_doc_cluster  # (genres, clusters): featured tracks per genre
    doc_votes = np.asarray((genres.doc_genres @ genre_votes).todense())  # (docs, clusters)
    docs = genres.track_doc[featureless]
    votes = doc_votes[docs]
    labels[featureless] = np.where(votes.max(axis=1) > 0, votes.argmax(axis=1), NO_CLUSTER)


def _newest_first(labels: np.ndarray, catalog: CatalogSnapshot, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """Visible clustered rows grouped by cluster, newest first, then more popular, then lower id; and offsets."""
    rows = np.flatnonzero((labels != NO_CLUSTER) & ~catalog.hidden)
    popularity = np.nan_to_num(catalog.popularity[rows], nan=-1.0)
    # lexsort: the last key is the primary one. Rows are already in ascending track id (the final tie-break).
    order = np.lexsort((rows, -popularity, -catalog.release_ordinal[rows].astype(np.int64), labels[rows]))
    rows = rows[order].astype(np.int32)
    offsets = np.zeros(n_clusters + 1, dtype=np.int64)
    np.cumsum(np.bincount(labels[rows], minlength=n_clusters), out=offsets[1:])
    return rows, offsets


def _profiles(
    labels: np.ndarray, catalog: CatalogSnapshot, genres: GenreIndex, n_clusters: int
) -> list[ClusterProfile]:
    featured = catalog.has_features & (labels != NO_CLUSTER)
    features = _impute(catalog.features[featured])
    overall_mean, overall_std = features.mean(axis=0), features.std(axis=0)
    top_genres = _top_genres(labels, genres, n_clusters)
    profiles = []
    for cluster in range(n_clusters):
        members = features[labels[featured] == cluster]
        mean = members.mean(axis=0) if len(members) else overall_mean  # only genre-placed tracks: say "average"
        z_scores = (mean - overall_mean) / np.where(overall_std > 0, overall_std, 1.0)
        traits = _traits(z_scores)
        description = ", ".join(traits) or "close to the catalog's average"
        if top_genres[cluster]:
            description += "; mostly " + ", ".join(top_genres[cluster])
        profiles.append(
            ClusterProfile(
                index=cluster,
                size=int(np.count_nonzero(labels == cluster)),
                mean_features={name: round(float(value), 4) for name, value in zip(AUDIO_FEATURES, mean, strict=True)},
                top_genres=top_genres[cluster],
                traits=traits,
                description=description,
            )
        )
    return profiles


def _traits(z_scores: np.ndarray) -> list[str]:
    """Words for the features furthest from the catalog's mean (by TRAIT_THRESHOLD deviations or more)."""
    strongest = np.argsort(-np.abs(z_scores), kind="stable")
    words = []
    for column in strongest[:MAX_TRAITS]:
        if abs(z_scores[column]) >= TRAIT_THRESHOLD:
            high, low = TRAIT_WORDS[AUDIO_FEATURES[column]]
            words.append(high if z_scores[column] > 0 else low)
    return words


def _top_genres(labels: np.ndarray, genres: GenreIndex, n_clusters: int) -> list[list[str]]:
    """The TOP_GENRES most common whole genres among each cluster's tracks (ties: alphabetical)."""
    clustered = np.flatnonzero(labels != NO_CLUSTER)
    n_docs = genres.doc_genres.shape[0]
    docs_per_cluster = sparse.csr_matrix(
        (np.ones(len(clustered)), (labels[clustered], genres.track_doc[clustered])), shape=(n_clusters, n_docs)
    )
    counts = np.asarray((docs_per_cluster @ genres.doc_genres).todense())  # (clusters, genres)
    names = np.asarray(genres.vocabulary, dtype=str)
    result = []
    for cluster_counts in counts:
        order = np.lexsort((names, -cluster_counts))[:TOP_GENRES]
        result.append([str(names[i]) for i in order if cluster_counts[i] > 0])
    return result
