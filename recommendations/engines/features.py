"""What every engine is fitted on, and the pieces they share: scaled audio features, top-k, artifacts.

- `CatalogSnapshot`: the catalog as plain arrays; `recommendations.services` builds it from the ORM.
- `UnitScaler`: audio features mapped to [0, 1] by the catalog's own 1st..99th percentiles, so "fast" means
  faster than most of *this* catalog and one stray 250 BPM track does not squash everybody else's tempo.
  Unknown values become the column median: a track without features sits in the middle for distances,
  and every engine also keeps `has_features` so it can say "audio features unknown" instead of pretending.
- `genres.GenreIndex` (its own module): TF-IDF over artist genres, built from a snapshot's `genre_index`.
- Top-k and rerolls over score arrays (`top_rows`, `select_rows`), ids to rows (`rows_for_ids`).
- Artifacts: `.npy` files (memory-mappable, never pickled) and a `params.json` written last, so a directory
  without `params.json` is an unfinished write and `read_artifact` refuses it.
"""
from __future__ import annotations

import json
import os
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from recommendations.engines.genres import GenreIndex

# The audio features the engines use, in the column order of `CatalogSnapshot.features`.
AUDIO_FEATURES: tuple[str, ...] = ("danceability", "energy", "valence", "tempo", "acousticness")
ARTIFACT_FORMAT = 1
LABEL_SEPARATOR = "\x1f"  # between a track's title and artist in `CatalogSnapshot.labels`
# Rerolls draw among the best REROLL_POOL candidates that score at least REROLL_FLOOR times the k-th best,
# with Gumbel noise: a track REROLL_TEMPERATURE below another is e (2.7) times less likely to be drawn.
REROLL_POOL = 3000
REROLL_FLOOR = 0.85
REROLL_TEMPERATURE = 0.05
# Top-k over at least this many scores first narrows the field with a threshold from a strided sample.
SAMPLED_TOP_MIN_ROWS = 20_000
SAMPLED_TOP_SAMPLE = 4096


@dataclass
class CatalogSnapshot:
    """The catalog at one moment, as arrays indexed by row; rows are put in ascending track id order.

    `features` holds AUDIO_FEATURES with NaN for unknown values. `has_features` False means the row's
    values are not to be trusted at all (Track.features_source == "missing"); by default a row has
    features when none of its values is NaN. `genres` is the union of the track's artists' genres.
    `release_ordinal` is `date.toordinal()`, 0 when unknown. Optional fields default to "unknown".
    """

    track_ids: np.ndarray
    features: np.ndarray
    genres: Sequence[Sequence[str]]  # each track's genres (its artists' genres, merged)
    has_features: np.ndarray | None = None
    release_ordinal: np.ndarray | None = None
    popularity: np.ndarray | None = None
    hidden: np.ndarray | None = None
    names: Sequence[str] | None = None
    artist_names: Sequence[str] | None = None

    def __post_init__(self) -> None:
        self.track_ids = np.asarray(self.track_ids, dtype=np.int64).ravel()
        n = len(self.track_ids)
        self.features = np.asarray(self.features, dtype=np.float32).reshape(n, len(AUDIO_FEATURES))
        if self.has_features is None:
            self.has_features = ~np.isnan(self.features).any(axis=1)
        self.has_features = _column(self.has_features, n, bool, "has_features")
        self.release_ordinal = _column(self.release_ordinal, n, np.int32, "release_ordinal", default=0)
        self.popularity = _column(self.popularity, n, np.float32, "popularity", default=np.nan)
        self.hidden = _column(self.hidden, n, bool, "hidden", default=False)
        self.names = list(self.names) if self.names is not None else [""] * n
        self.artist_names = list(self.artist_names) if self.artist_names is not None else [""] * n
        if not len(self.genres) == len(self.names) == len(self.artist_names) == n:
            raise ValueError("genres, names and artist_names need one entry per track")
        if len(np.unique(self.track_ids)) != n:
            raise ValueError("track_ids must be unique")
        self._sort_by_id()

    def __len__(self) -> int:
        return len(self.track_ids)

    def _sort_by_id(self) -> None:
        """Rows in ascending track id, so ids map to rows by binary search in every engine."""
        order = np.argsort(self.track_ids, kind="stable")
        if np.array_equal(order, np.arange(len(order))):
            return
        for name in ("track_ids", "features", "has_features", "release_ordinal", "popularity", "hidden"):
            setattr(self, name, getattr(self, name)[order])
        self.genres = [self.genres[i] for i in order]
        self.names = [self.names[i] for i in order]
        self.artist_names = [self.artist_names[i] for i in order]

    @cached_property
    def genre_index(self) -> GenreIndex:
        """Genre TF-IDF of this catalog, built once and shared by the engines fitted on it."""
        return GenreIndex.build(self.genres)

    def labels(self) -> list[str]:
        """How reasons name a track: title and main artist joined by LABEL_SEPARATOR ("As It Was\x1fHarry Styles"),
        or just the title (the artist unknown); "#123" if nameless. `label_parts` splits one back."""
        labels = []
        for pk, name, artist in zip(self.track_ids.tolist(), self.names, self.artist_names, strict=True):
            title = name or f"#{pk}"
            labels.append(f"{title}{LABEL_SEPARATOR}{artist}" if artist else title)
        return labels


def _column(values: Any, n: int, dtype: Any, name: str, default: Any = None) -> np.ndarray:
    if values is None:
        return np.full(n, default, dtype=dtype)
    array = np.asarray(values, dtype=dtype).ravel()
    if len(array) != n:
        raise ValueError(f"{name} has {len(array)} values for {n} tracks")
    return array


@dataclass(frozen=True)
class UnitScaler:
    """Maps each audio feature to [0, 1] between the catalog's 1st and 99th percentiles (clipped)."""

    low: np.ndarray
    high: np.ndarray
    median: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray, has_features: np.ndarray) -> UnitScaler:
        known = features[has_features]
        width = features.shape[1]
        if len(known) == 0:
            return cls(np.zeros(width, np.float32), np.ones(width, np.float32), np.full(width, 0.5, np.float32))
        # nan-aware statistics warn on an all-NaN column; such a column falls back to [0, 1] below.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low = np.nanpercentile(known, 1, axis=0)
            high = np.nanpercentile(known, 99, axis=0)
            median = np.nanmedian(known, axis=0)
        low = np.where(np.isfinite(low), low, 0.0)
        high = np.where(np.isfinite(high) & (high > low), high, low + 1.0)
        median = np.where(np.isfinite(median), median, (low + high) / 2)
        return cls(low.astype(np.float32), high.astype(np.float32), median.astype(np.float32))

    def transform(self, features: np.ndarray, has_features: np.ndarray) -> np.ndarray:
        """Scaled features, float32 in Fortran order (each feature's column contiguous for fast per-column math)."""
        filled = np.where(np.isnan(features), self.median, features)
        filled[~has_features] = self.median
        unit = np.clip((filled - self.low) / (self.high - self.low), 0.0, 1.0)
        return np.asfortranarray(unit, dtype=np.float32)

    def to_json(self) -> dict[str, list[float]]:
        return {"low": self.low.tolist(), "high": self.high.tolist(), "median": self.median.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> UnitScaler:
        return cls(*(np.asarray(data[key], dtype=np.float32) for key in ("low", "high", "median")))


def rows_for_ids(sorted_ids: np.ndarray, ids: Iterable[int] | np.ndarray) -> np.ndarray:
    """Rows of the given track ids in an ascending id array, in the given order; unknown ids are dropped."""
    wanted = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64).ravel()
    if len(sorted_ids) == 0 or len(wanted) == 0:
        return np.zeros(0, dtype=np.int64)
    positions = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
    return positions[sorted_ids[positions] == wanted]


class Workspace:
    """Per-thread scratch arrays of catalog length, reused from one request to the next.

    A request needs a handful of catalog-sized temporaries. Allocated fresh, they cost more in page faults than
    in arithmetic (glibc hands large freed blocks back to the kernel: ~4,000 faults, ~10 ms per request at 1M
    tracks), so each thread keeps its own, a few MB per array at 1M tracks. Buffers are only valid until the
    same thread's next request.
    """

    def __init__(self, length: int) -> None:
        self.length = length
        self._local = threading.local()

    def array(self, name: str, dtype: type = np.float32) -> np.ndarray:
        buffers: dict[str, np.ndarray] = self._local.__dict__.setdefault("buffers", {})
        if name not in buffers:
            buffers[name] = np.empty(self.length, dtype=dtype)
        return buffers[name]


def top_rows(values: np.ndarray, count: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Indices of the `count` largest values, unordered, in O(n).

    `np.argpartition` over a million floats takes ~10 ms; a threshold taken from a strided sample keeps a few
    times `count` candidates with one comparison pass, and the exact top `count` among those is cheap. Exact:
    when at least `count` values reach the threshold, every one of the top `count` does. `mask`: an optional
    reusable bool array as long as `values`.
    """
    n = len(values)
    if count >= n:
        return np.arange(n)
    keep_fraction = (2 * count + 256) / n  # margin enough for the sample's error, which shrinks as count grows
    if n >= SAMPLED_TOP_MIN_ROWS and keep_fraction < 0.25:
        sample = values[:: n // SAMPLED_TOP_SAMPLE]
        position = int(len(sample) * (1.0 - keep_fraction))
        threshold = np.partition(sample, position)[position]
        candidates = np.flatnonzero(np.greater_equal(values, threshold, out=mask))
        if len(candidates) >= count:
            best = np.argpartition(values[candidates], len(candidates) - count)[len(candidates) - count :]
            return candidates[best]
    return np.argpartition(values, n - count)[n - count :]


def select_rows(scores: np.ndarray, k: int, reroll_seed: int | None, mask: np.ndarray | None = None) -> np.ndarray:
    """Rows to recommend, best first (ties by row, i.e. by track id); rows scoring -inf are never chosen.

    `reroll_seed` None: the top k. A seed: k rows drawn without replacement from the best REROLL_POOL rows that
    score at least REROLL_FLOOR x the k-th best, favouring higher scores (Gumbel top-k); same seed, same rows.
    """
    if k <= 0 or len(scores) == 0:
        return np.zeros(0, dtype=np.intp)
    chosen = top_rows(scores, k, mask) if reroll_seed is None else _reroll(scores, k, reroll_seed, mask)
    chosen = chosen[np.isfinite(scores[chosen])]
    return chosen[np.lexsort((chosen, -scores[chosen]))]


def _reroll(scores: np.ndarray, k: int, seed: int, mask: np.ndarray | None) -> np.ndarray:
    pool = top_rows(scores, min(REROLL_POOL, len(scores)), mask)
    pool = np.sort(pool[np.isfinite(scores[pool])])  # a fixed order before the noise, whatever argpartition gave
    if len(pool) <= k:
        return pool
    pool_scores = scores[pool]
    kth_best = np.partition(pool_scores, len(pool) - k)[len(pool) - k]
    if kth_best > 0:
        pool = pool[pool_scores >= REROLL_FLOOR * kth_best]
    keys = scores[pool] / REROLL_TEMPERATURE + np.random.default_rng(seed).gumbel(size=len(pool))
    return pool[top_rows(keys, k)]


def encode_texts(texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Strings as one UTF-8 byte blob plus offsets: memory-mappable, unlike a million Python strings."""
    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in encoded], out=offsets[1:])
    return {"offsets": offsets, "blob": np.frombuffer(b"".join(encoded), dtype=np.uint8)}


def decode_text(offsets: np.ndarray, blob: np.ndarray, row: int) -> str:
    return bytes(blob[offsets[row] : offsets[row + 1]]).decode("utf-8")


def write_artifact(directory: Path, *, engine: str, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write arrays as .npy and then params.json (the completion mark); each file via a temp name + os.replace."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        temporary = directory / f"{name}.tmp.npy"
        np.save(temporary, np.asanyarray(array), allow_pickle=False)
        os.replace(temporary, directory / f"{name}.npy")
    document = {"engine": engine, "format": ARTIFACT_FORMAT, "arrays": sorted(arrays), "params": params}
    temporary = directory / "params.json.tmp"
    temporary.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, directory / "params.json")


def read_artifact(directory: Path, *, engine: str, mmap: bool) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Params and arrays of an artifact written by `write_artifact`; arrays memory-mapped read-only if `mmap`."""
    directory = Path(directory)
    params_path = directory / "params.json"
    if not params_path.is_file():
        raise FileNotFoundError(f"{directory} has no params.json: not a finished {engine} artifact")
    document = json.loads(params_path.read_text(encoding="utf-8"))
    if document.get("engine") != engine or document.get("format") != ARTIFACT_FORMAT:
        raise ValueError(
            f"{directory} holds a {document.get('engine')!r} artifact in format {document.get('format')!r}; "
            f"expected {engine!r} in format {ARTIFACT_FORMAT}: rebuild the model"
        )
    mode = "r" if mmap else None
    arrays = {
        name: np.load(directory / f"{name}.npy", mmap_mode=mode, allow_pickle=False) for name in document["arrays"]
    }
    return document["params"], arrays


def label_parts(label: str) -> dict[str, str]:
    """A `CatalogSnapshot.labels` entry as {"title", "artist"} (artist "" when unknown). Artifacts written before
    the separator existed hold "Title by Artist": that stays the title, whole."""
    title, _, artist = label.partition(LABEL_SEPARATOR)
    return {"title": title, "artist": artist}
