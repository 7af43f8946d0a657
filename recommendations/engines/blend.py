"""The learned blend: candidates from every generator, re-ranked by LightGBM's lambdarank (two stages, as vl6 did).

API (no Django; `recommendations.services` is the caller)::

    blend = BlendEngine.fit(playlists, fit_generators, catalog=catalog, params=BlendParams())
    blend.save(directory)
    blend = BlendEngine.load(directory)
    answer = blend.recommend(generators, title="rainy drive", seed_ids=[...], negative_ids=[...], k=20)
    answer.picks        # [BlendPick(track_id, score, signal, because)], best first
    answer.learned      # False when the ranker fell back to the fixed blend (answer.message says why)

**Stage 1, candidates.** Each generator scores the whole catalog and gives its best `candidates` tracks
(BlendParams): co-occurrence (`neighbours.PlaylistIndex` through Song2Vec's neighbours-only weights: seeds and
the playlists a title matches), Song2Vec (the shipped score), collaborative filtering (`cf`, folded in from the
seeds; without seeds from the term model's best tracks for the title), terms (`terms`), popularity and the seeds'
artists (their other tracks, `_artist_scores`). The union
is a few hundred tracks; seeds, dislikes, hidden and excluded tracks never enter it.

**Stage 2, ranking.** Per candidate (FEATURES): each generator's score, its score relative to that generator's
best and its rank among its candidates; the track's playlist count; the share of seeds by the same artist; the
term model's score for the title alone; days since release; and the request's shape (seed count, title or
not). LightGBM's lambdarank learns from playlists split off the training data: `fit` holds out up to
`ranker_playlists` of them (deterministic by hash), fits the generators on the rest (`fit_generators`, the
caller's: the same engines as serve), turns each held-out playlist into requests shaped like the product's and
the challenge's (REQUEST_SHAPES: a title alone, a title with 1, 5 or 25 tracks, 10 tracks without a title), and
labels a candidate 1 when it is among the playlist's hidden tracks. With `folds` K > 1 that is done K times on
disjoint sets of playlists, each with generators fitted without its own set (`ranker_folds`). The generators that
serve are fitted on all the playlists; the ranker only learnt how far to trust each signal, which does not need
the same fit.

**Fallback.** With fewer than `min_ranker_playlists` playlists long enough to learn from, or a training set
with no hit, there is no ranker: candidates are ordered by a fixed blend of the relative scores
(FIXED_WEIGHTS), `learned` is False and the message says so.

**Why each pick is there.** A pick's `signal` is the generator whose features pushed it up most: LightGBM's
per-feature contributions (SHAP values, `pred_contrib`) summed per generator for the k picks only; for the fixed
blend the largest weighted relative score.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from recommendations.engines import Reason, ReasonKind
from recommendations.engines.cf import CollaborativeEngine
from recommendations.engines.features import CatalogSnapshot, read_artifact, rows_for_ids, select_rows, write_artifact
from recommendations.engines.neighbours import _ranges
from recommendations.engines.song2vec.engine import Song2VecEngine, Song2VecWeights
from recommendations.engines.song2vec.placement import NOT_PLACED
from recommendations.engines.song2vec.reasons import Query
from recommendations.engines.song2vec.vectors import unit
from recommendations.engines.terms import TermEngine
from recommendations.engines.tree_tables import TreeTables

ENGINE_NAME = "hybrid"
GENERATORS = ("cooccurrence", "song2vec", "cf", "terms", "popularity", "artist")
SCORED = ("cooccurrence", "song2vec", "cf", "terms")  # generators with a per-request score (popularity is fixed)
# Song2Vec's score in its parts (module docstring of song2vec): features only, they bring no candidates of their own.
PARTS = ("seed_cooccurrence", "seed_vectors", "title_cooccurrence", "title_vectors")
# The candidate against each seed apart (`_seed_features`), not only against their sum: how many seeds share a
# playlist with it, its best playlist cosine with one seed, and its best vector and CF-factor cosines.
SEED_FEATURES = ("seeds_sharing", "seed_cooccurrence_max", "seed_vectors_max", "seed_cf_max", "last_seed_vectors")
FEATURES = (
    *(f"{name}_{kind}" for name in SCORED for kind in ("score", "relative", "rank")),
    *PARTS,
    "popularity_log_count",
    "popularity_rank",
    "seed_artist_share",
    "title_terms",
    "release_age_days",
    "seed_count",
    "has_title",
    "generators_hit",
    *SEED_FEATURES,
    *(f"artist_{kind}" for kind in ("score", "relative", "rank")),
)
# Which generator a feature speaks for, when a pick's reason is chosen from its contributions.
FEATURE_SIGNAL = {
    **{f"{name}_{kind}": name for name in SCORED for kind in ("score", "relative", "rank")},
    "popularity_log_count": "popularity",
    "popularity_rank": "popularity",
    "seed_artist_share": "cooccurrence",
    "title_terms": "terms",
    "seed_cooccurrence": "cooccurrence",
    "seed_vectors": "song2vec",
    "title_cooccurrence": "terms",  # playlists named like the title hold it: what people call it
    "title_vectors": "song2vec",
    "seeds_sharing": "cooccurrence",
    "seed_cooccurrence_max": "cooccurrence",
    "seed_vectors_max": "song2vec",
    "last_seed_vectors": "song2vec",
    "seed_cf_max": "cf",
    **{f"artist_{kind}": "artist" for kind in ("score", "relative", "rank")},
}
FIXED_WEIGHTS = {"cooccurrence": 1.0, "song2vec": 1.0, "cf": 0.5, "terms": 0.25, "popularity": 0.05, "artist": 0.25}
REQUEST_SHAPES: tuple[tuple[int, bool], ...] = ((0, True), (1, True), (5, True), (10, False), (25, True))
TITLE_TRACKS_FOR_CF = 100  # without seeds, CF folds in the term model's best tracks for the title...
TITLE_TRACKS_WEIGHT = 0.2  # ...each with this share of a seed's confidence


@dataclass(frozen=True)
class BlendParams:
    candidates: int = 200  # per generator
    folds: int = 1  # disjoint sets of ranker playlists, each with generators fitted without it (`ranker_folds`)
    artist_candidates: bool = True  # the seeds' artists' tracks as a generator of their own (`_artist_scores`)
    ranker_playlists: int = 600  # at most, held out of the training playlists to learn the ranker from
    ranker_share: float = 0.25  # ... and at most this share of them
    min_ranker_playlists: int = 40
    min_tracks: int = 30  # distinct tracks a playlist needs to teach the ranker (25 seeds + hidden ones)
    shapes_per_playlist: int = 5  # requests made from each ranker playlist (5: every shape)
    seed: int = 2018
    num_leaves: int = 7
    # 100 rounds at 0.1 learn what 200 at 0.05 did (validation R-precision 0.1143 against 0.1144) in half the
    # LightGBM time (BENCHMARKS.md, issue-10h); the product's budget keeps 0.05 with its own rounds (artifacts.BLEND).
    learning_rate: float = 0.1
    rounds: int = 100
    truncation: int = 200  # lambdarank looks this deep into each list: R-precision reads the top |hidden| tracks
    # Per training request, keep only this many non-hits, drawn at random (0: all). 100 instead of 150: validation
    # R-precision 0.1143 against 0.1139, LightGBM on one thread 10.9 s against 15.9 s (BENCHMARKS.md, issue-10h).
    training_negatives: int = 100
    min_child_samples: int = 50
    num_threads: int = 2


@dataclass
class Generators:
    """The engines the blend draws candidates from, fitted on the same playlists (cf and terms optional)."""

    song2vec: Song2VecEngine
    cf: CollaborativeEngine | None = None
    terms: TermEngine | None = None
    _artist_codes: np.ndarray | None = field(default=None, repr=False)

    def artist_codes(self) -> np.ndarray:
        """Each Song2Vec row's (first) artist as an int, -1 when unknown; built once."""
        if self._artist_codes is None:
            artists = self.song2vec.artists
            codes = np.full(len(self.song2vec), -1, dtype=np.int32)
            owners = np.repeat(np.arange(len(artists.keys), dtype=np.int32), np.diff(artists.indptr))
            codes[np.asarray(artists.rows)[::-1]] = owners[::-1]
            self._artist_codes = codes
        return self._artist_codes


@dataclass(frozen=True)
class BlendPick:
    track_id: int
    score: float
    signal: str  # one of GENERATORS: what put it there
    because: int | None = None  # for "cf": the seed most like it

    @property
    def reason(self) -> tuple[Reason, ...]:
        """Why, as for the other engines: the generator that put it there (the site words it)."""
        return (Reason(ReasonKind.BLEND_SIGNAL, {"signal": self.signal}),)


@dataclass(frozen=True)
class BlendAnswer:
    picks: list[BlendPick]
    learned: bool
    message: str = ""
    query: Query | None = None  # what Song2Vec understood of the request (the service words reasons from it)


@dataclass
class _Candidates:
    ids: np.ndarray  # int64 track ids (Song2Vec's space)
    features: np.ndarray  # float32 (c, len(FEATURES))
    cf_user: bool = False
    query: Query | None = None


class BlendEngine:
    """The ranker (a LightGBM model as text) or, without one, the fixed blend; plus release dates for a feature."""

    def __init__(
        self,
        *,
        ranker: str | None,
        params: BlendParams,
        release_ids: np.ndarray,
        release_ordinal: np.ndarray,
        reference_ordinal: int,
        message: str = "",
        stats: dict | None = None,
    ) -> None:
        self.ranker_text = ranker
        self.params = params
        self.release_ids = release_ids
        self.release_ordinal = release_ordinal
        self.reference_ordinal = reference_ordinal
        self.message = message
        self.stats = stats or {}
        self._booster = None
        self._tables: TreeTables | None = None

    @property
    def learned(self) -> bool:
        return self.ranker_text is not None

    # ----------------------------------------------------------------------------------------------- fitting

    @classmethod
    def fit(
        cls,
        playlists: Sequence[tuple[str, Sequence[int]]],
        fit_generators: Callable[[Sequence[tuple[str, Sequence[int]]]], Generators],
        *,
        catalog: CatalogSnapshot | None = None,
        playlist_keys: Sequence[str] | None = None,
        params: BlendParams | None = None,
        today_ordinal: int = 0,
    ) -> BlendEngine:
        """Learn the ranker from playlists split off `playlists` (module docstring); the fixed blend if too few.

        `fit_generators(base_playlists)` fits the generators on the playlists the ranker does not learn from.
        `playlist_keys` name the playlists (default: their positions) in `stats["ranker_playlists"]`.
        """
        params = params or BlendParams()
        keys = list(playlist_keys) if playlist_keys is not None else [str(i) for i in range(len(playlists))]
        release_ids, release_ordinal = _release_dates(catalog)
        common = {"params": params, "release_ids": release_ids, "release_ordinal": release_ordinal}
        common["reference_ordinal"] = today_ordinal or int(release_ordinal.max(initial=0))
        held = ranker_playlists(playlists, params)
        if len(held) < params.min_ranker_playlists:
            message = (
                f"The ranker needs at least {params.min_ranker_playlists} playlists with {params.min_tracks}+ "
                f"tracks to learn from (at most {params.ranker_share:.0%} of all); these {len(playlists)} "
                f"playlists give {len(held)}, so the signals are combined with fixed weights."
            )
            return cls(ranker=None, message=message, stats={"ranker_playlists": []}, **common)
        twin = cls(ranker=None, **common)
        rows, labels, groups, bases, spent = [], [], [], [], {"base_generators": 0.0, "training_set": 0.0}
        for fold in ranker_folds(playlists, params):  # one fold: `held`, the generators fitted on the rest
            chosen = set(fold.tolist())
            base = [playlist for i, playlist in enumerate(playlists) if i not in chosen]
            started = time.perf_counter()
            generators = fit_generators(base)
            fitted = time.perf_counter()
            found = twin.training_set([playlists[i] for i in fold], [keys[i] for i in fold], generators)
            for collected, more in zip((rows, labels, groups), found, strict=True):
                collected.extend(more)
            bases.append(len(base))
            spent["base_generators"] += fitted - started
            spent["training_set"] += time.perf_counter() - fitted
        held = np.sort(np.concatenate(ranker_folds(playlists, params)))
        built = time.perf_counter()
        stats = {
            "ranker_playlists": [keys[i] for i in held.tolist()],
            "base_playlists": min(bases),
            "folds": len(bases),
            "seconds": {part: round(seconds, 2) for part, seconds in spent.items()},
        }
        if len(groups) < params.min_ranker_playlists:
            message = (
                f"Only {len(groups)} training requests found a hidden track, so the signals are combined with "
                "fixed weights."
            )
            return cls(ranker=None, message=message, stats=stats, **common)
        ranker = _train_ranker(np.concatenate(rows), np.concatenate(labels), groups, params)
        stats["seconds"]["lightgbm"] = round(time.perf_counter() - built, 2)
        stats.update(
            {"requests": len(groups), "candidates": int(sum(groups)), "hits": int(sum(x.sum() for x in labels))}
        )
        return cls(ranker=ranker, stats=stats, **common)

    def training_set(
        self, playlists: Sequence[tuple[str, Sequence[int]]], keys: Sequence[str], generators: Generators
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
        """Candidates' features, labels (1: a hidden track) and group sizes of the requests made from `playlists`.

        Requests whose candidates hold no hidden track teach lambdarank nothing and are left out.
        """
        rows, labels, groups = [], [], []
        for (name, ids), key in zip(playlists, keys, strict=True):
            ordered = list(dict.fromkeys(int(i) for i in ids))
            for seeds, titled in _shapes(key, self.params):
                hidden = set(ordered[seeds:])
                found = self.candidates(generators, title=name if titled else None, seed_ids=ordered[:seeds])
                hits = np.fromiter((i in hidden for i in found.ids.tolist()), dtype=np.float32, count=len(found.ids))
                if hits.sum():
                    draw = int(hashlib.sha1(f"{self.params.seed}:{key}:{seeds}".encode()).hexdigest()[:8], 16)
                    kept = _kept_for_training(hits, self.params.training_negatives, draw)
                    rows.append(found.features[kept])
                    labels.append(hits[kept])
                    groups.append(len(kept))
        return rows, labels, groups

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self.ranker_text is not None:
            (directory / "ranker.txt").write_text(self.ranker_text, encoding="utf-8")
        params = {
            "blend": asdict(self.params),
            "learned": self.learned,
            "message": self.message,
            "reference_ordinal": self.reference_ordinal,
            "features": list(FEATURES),
            "fixed_weights": FIXED_WEIGHTS,
            "stats": self.stats,
        }
        arrays = {"release_ids": self.release_ids, "release_ordinal": self.release_ordinal}
        write_artifact(directory, engine=ENGINE_NAME, params=params, arrays=arrays)  # params.json last: complete

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> BlendEngine:
        params, arrays = read_artifact(directory, engine=ENGINE_NAME, mmap=mmap)
        if params["features"] != list(FEATURES):
            raise ValueError(f"{directory}: the ranker was trained on other features; retrain the hybrid engine")
        ranker = (Path(directory) / "ranker.txt").read_text(encoding="utf-8") if params["learned"] else None
        return cls(
            ranker=ranker,
            params=BlendParams(**params["blend"]),
            release_ids=np.asarray(arrays["release_ids"]),
            release_ordinal=np.asarray(arrays["release_ordinal"]),
            reference_ordinal=int(params["reference_ordinal"]),
            message=params.get("message", ""),
            stats=params.get("stats", {}),
        )

    # ------------------------------------------------------------------------------------------- recommending

    def candidates(
        self,
        generators: Generators,
        *,
        title: str | None = None,
        seed_ids: Iterable[int] = (),
        negative_ids: Iterable[int] = (),
        exclude_ids: Iterable[int] = (),
        today_ordinal: int | None = None,
    ) -> _Candidates:
        """Stage 1 and the features of stage 2 (module docstring)."""
        s2v = generators.song2vec
        seed_ids, negative_ids = [int(i) for i in seed_ids], [int(i) for i in negative_ids]
        title = title if title and title.strip() else None
        banned_ids = np.unique(np.asarray([*seed_ids, *negative_ids, *exclude_ids], dtype=np.int64))
        query = s2v._understand(title, seed_ids)
        parts = _song2vec_parts(s2v, title, seed_ids, query=query)
        scored = _generator_scores(generators, parts, title, seed_ids, negative_ids)
        scored.update(_artist_scores(generators, seed_ids, self.params))
        # Without seeds the terms generator's scores are the title's alone: kept for that feature, not recomputed.
        title_terms = scored["terms"][1].copy() if title and not seed_ids and "terms" in scored else None
        per, pools = self.params.candidates, {}
        for name, (space, scores) in scored.items():
            owner = {"cf": generators.cf, "terms": generators.terms, "artist": _FILTERED_ALREADY}.get(name) or s2v
            scores[owner._never] = -np.inf  # hidden, and tracks the generator has nothing on
            scores[rows_for_ids(space, banned_ids)] = -np.inf
            pools[name] = space[select_rows(scores, per, None)]
        ids = np.unique(np.concatenate(list(pools.values()))) if pools else np.zeros(0, np.int64)
        rows, known = _positions(s2v.track_ids, ids)
        ids = ids[known & ~_positions(s2v._never, rows)[1]]  # _never is sorted: no catalog-long mask per request
        features = np.full((len(ids), len(FEATURES)), np.nan, dtype=np.float32)
        column = {name: i for i, name in enumerate(FEATURES)}
        hit = np.zeros(len(ids), dtype=np.float32)
        for name, (space, scores) in scored.items():
            pool = pools[name]
            rank = np.full(len(ids), per, dtype=np.float32)
            at = np.searchsorted(ids, pool).clip(0, max(len(ids) - 1, 0))
            listed = (ids[at] == pool) if len(ids) else np.zeros(len(pool), dtype=bool)
            rank[at[listed]] = np.flatnonzero(listed)
            hit += rank < per
            if name == "popularity":
                features[:, column["popularity_rank"]] = rank
                continue
            rows = np.searchsorted(space, ids).clip(0, len(space) - 1)
            present = space[rows] == ids
            values = np.where(present, scores[rows], np.nan).astype(np.float32)
            values[~np.isfinite(values)] = np.nan
            best = float(scores[rows_for_ids(space, pool[:1])][0]) if len(pool) else 0.0
            features[:, column[f"{name}_score"]] = values
            features[:, column[f"{name}_relative"]] = values / best if best > 0 else np.nan
            features[:, column[f"{name}_rank"]] = rank
        self._shared_features(features, column, generators, parts, ids, title, seed_ids, today_ordinal, title_terms)
        features[:, column["generators_hit"]] = hit
        _seed_features(features, column, generators, ids, seed_ids)
        return _Candidates(ids=ids, features=features, query=query)

    def _shared_features(
        self, features, column, generators, parts, ids, title, seed_ids, today_ordinal, title_terms=None
    ) -> None:
        s2v = generators.song2vec
        rows = rows_for_ids(s2v.track_ids, ids)
        features[:, column["popularity_log_count"]] = np.asarray(s2v.prior)[rows]
        for part, values in parts.items():
            features[:, column[part]] = values[rows]
        codes = generators.artist_codes()
        seed_codes = codes[rows_for_ids(s2v.track_ids, seed_ids)]
        seed_codes = seed_codes[seed_codes >= 0]
        if len(seed_codes):
            counts = np.bincount(seed_codes, minlength=codes.max() + 1)
            mine = codes[rows]
            share = np.where(mine >= 0, counts[np.maximum(mine, 0)] / len(seed_codes), 0.0)
            features[:, column["seed_artist_share"]] = share
        if title and generators.terms is not None:
            terms = title_terms if title_terms is not None else generators.terms.scores(title)
            if terms is not None:
                found, known = _positions(generators.terms.track_ids, ids)
                values = np.where(known, terms[found], 0.0).astype(np.float32)
                features[:, column["title_terms"]] = values
        if len(self.release_ids):
            positions = np.searchsorted(self.release_ids, ids).clip(0, len(self.release_ids) - 1)
            known = (self.release_ids[positions] == ids) & (self.release_ordinal[positions] > 0)
            reference = today_ordinal or self.reference_ordinal
            age = np.where(known, reference - self.release_ordinal[positions], np.nan)
            features[:, column["release_age_days"]] = age
        features[:, column["seed_count"]] = len(seed_ids)
        features[:, column["has_title"]] = 1.0 if title else 0.0

    def rank(self, found: _Candidates) -> np.ndarray:
        """Stage 2: a score per candidate (higher is better)."""
        if len(found.ids) == 0:
            return np.zeros(0, dtype=np.float64)
        if self.ranker_text is None:
            return _fixed_blend(found.features)
        return self._ranker().predict(found.features, num_threads=1)

    def recommend(
        self,
        generators: Generators,
        *,
        title: str | None = None,
        seed_ids: Iterable[int] = (),
        negative_ids: Iterable[int] = (),
        exclude_ids: Iterable[int] = (),
        k: int = 20,
        reroll_seed: int | None = None,
        today_ordinal: int | None = None,
    ) -> BlendAnswer:
        """The k best candidates, each with the signal that put it there; never a seed, dislike or hidden track."""
        seed_ids = [int(i) for i in seed_ids]
        found = self.candidates(
            generators, title=title, seed_ids=seed_ids, negative_ids=negative_ids, exclude_ids=exclude_ids,
            today_ordinal=today_ordinal,
        )  # fmt: skip
        scores = self.rank(found)
        chosen = select_rows(scores, k, reroll_seed)
        signals = self._signals(found.features[chosen]) if len(chosen) else []
        because = [None] * len(chosen)
        if generators.cf is not None and "cf" in signals:
            # CF has rows only for tracks someone keeps: name a seed for the cf picks it knows, by id.
            cf_ids = [
                int(found.ids[row]) for row, signal in zip(chosen.tolist(), signals, strict=True) if signal == "cf"
            ]
            known = generators.cf.track_ids[rows_for_ids(generators.cf.track_ids, cf_ids)]
            closest = generators.cf._closest_seeds(rows_for_ids(generators.cf.track_ids, known),
                                                   rows_for_ids(generators.cf.track_ids, seed_ids))  # fmt: skip
            seed_of = dict(zip(known.tolist(), closest, strict=True))
            because = [
                seed_of.get(int(found.ids[row])) if signal == "cf" else None
                for row, signal in zip(chosen.tolist(), signals, strict=True)
            ]
        picks = [
            BlendPick(track_id=int(found.ids[row]), score=float(scores[row]), signal=signal, because=seed)
            for row, signal, seed in zip(chosen.tolist(), signals, because, strict=True)
        ]
        return BlendAnswer(picks=picks, learned=self.learned, message=self.message, query=found.query)

    def ranked_track_ids(
        self, generators: Generators, *, title: str | None, seed_ids: Sequence[int], k: int
    ) -> np.ndarray:
        """The k best ids for the offline evaluation: ranked candidates, then Song2Vec's list to fill up to k."""
        found = self.candidates(generators, title=title, seed_ids=seed_ids)
        ranked = found.ids[np.argsort(-self.rank(found), kind="stable")][:k]
        if len(ranked) < k:
            extra = generators.song2vec.ranked_track_ids(situation=title, seed_ids=seed_ids, k=k + len(ranked))
            ranked = np.concatenate([ranked, extra[~np.isin(extra, ranked)]])[:k]
        return ranked

    def _ranker(self):
        if self._booster is None:
            lightgbm = _lightgbm_without_extras()  # on first use: only processes that serve the blend load it
            booster = lightgbm.Booster(model_str=self.ranker_text)
            self._tables = TreeTables.from_booster(booster)  # SHAP values by table lookup (tree_tables)
            self._booster = booster
        return self._booster

    def _contributions(self, features: np.ndarray) -> np.ndarray:
        """Each row's SHAP values per feature, the expected value last (LightGBM's pred_contrib layout)."""
        booster = self._ranker()
        if self._tables is not None:
            return self._tables.contributions(features)
        return booster.predict(features, pred_contrib=True, num_threads=1)

    def _signals(self, features: np.ndarray) -> list[str]:
        """The generator each row owes most to (module docstring)."""
        if self.ranker_text is None:
            parts = _weighted_relatives(features)
            return [GENERATORS[i] for i in np.argmax(parts, axis=1).tolist()]
        contributions = self._contributions(features)[:, :-1]  # drop the bias
        per_signal = np.zeros((len(features), len(GENERATORS)))
        for i, name in enumerate(FEATURES):
            signal = FEATURE_SIGNAL.get(name)
            if signal is not None:
                per_signal[:, GENERATORS.index(signal)] += contributions[:, i]
        return [GENERATORS[i] for i in np.argmax(per_signal, axis=1).tolist()]


# ------------------------------------------------------------------------------------------------ helpers


def ranker_playlists(playlists: Sequence[tuple[str, Sequence[int]]], params: BlendParams) -> np.ndarray:
    """Positions of the playlists the ranker learns from: long enough, the smallest hashes, a capped share."""
    eligible = [i for i, (_, ids) in enumerate(playlists) if len(set(ids)) >= params.min_tracks]
    cap = min(params.ranker_playlists, int(len(playlists) * params.ranker_share))
    key = lambda i: hashlib.sha1(f"{params.seed}:{i}:{playlists[i][0]}".encode()).hexdigest()  # noqa: E731
    return np.asarray(sorted(sorted(eligible, key=key)[:cap]), dtype=np.int64)


def ranker_folds(playlists: Sequence[tuple[str, Sequence[int]]], params: BlendParams) -> list[np.ndarray]:
    """`params.folds` disjoint sets of ranker playlists, each the size `ranker_playlists` gives one (the first is
    exactly that set): with K folds, K times as many playlists teach the ranker, each fold's candidates coming
    from generators fitted without that fold (K fits of the generators instead of one)."""
    eligible = [i for i, (_, ids) in enumerate(playlists) if len(set(ids)) >= params.min_tracks]
    cap = min(params.ranker_playlists, int(len(playlists) * params.ranker_share))
    key = lambda i: hashlib.sha1(f"{params.seed}:{i}:{playlists[i][0]}".encode()).hexdigest()  # noqa: E731
    ordered = sorted(eligible, key=key)
    folds = [np.asarray(sorted(ordered[f * cap : (f + 1) * cap]), dtype=np.int64) for f in range(params.folds)]
    return [fold for fold in folds if len(fold)] or [np.zeros(0, dtype=np.int64)]


def _kept_for_training(hits: np.ndarray, negatives: int, seed: int) -> np.ndarray:
    """Rows of one training request to learn from: every hit and `negatives` non-hits drawn at random (0: all rows).

    LightGBM's lambdarank compares each of the top `truncation` rows with every other row of its request, so its
    cost grows with the candidates per request. A random draw keeps the easy misses the ranker must still push
    down: keeping only the best-ranked misses instead taught it nothing about them (validation R-precision 0.045
    against 0.114 for a random draw and 0.115 for all rows; BENCHMARKS.md)."""
    misses = np.flatnonzero(hits == 0)
    if negatives <= 0 or len(misses) <= negatives:
        return np.arange(len(hits))
    chosen = np.random.default_rng(seed).choice(misses, negatives, replace=False)
    return np.sort(np.concatenate([np.flatnonzero(hits > 0), chosen]))


def _shapes(key: str, params: BlendParams) -> list[tuple[int, bool]]:
    """The request shapes one ranker playlist is turned into: `shapes_per_playlist` of REQUEST_SHAPES, by hash."""
    start = int(hashlib.sha1(f"{params.seed}:{key}".encode()).hexdigest(), 16) % len(REQUEST_SHAPES)
    step = len(REQUEST_SHAPES) // max(params.shapes_per_playlist, 1) or 1
    return [REQUEST_SHAPES[(start + i * step) % len(REQUEST_SHAPES)] for i in range(params.shapes_per_playlist)]


def _song2vec_parts(
    s2v: Song2VecEngine, title: str | None, seed_ids: list[int], query: Query | None = None
) -> dict[str, np.ndarray]:
    """Song2Vec's score terms for a request, each computed once (`Song2VecEngine._scores` adds them up).

    Reaches into Song2Vec's request helpers on purpose: the blend needs the terms apart, as features, and asking
    the engine six times for differently weighted sums would cost six passes over the catalog. The seeds' and the
    title's cosines come from one pass over the vectors: each pass costs ~3-4 ms at 100k tracks.
    """
    query = query if query is not None else s2v._understand(title, seed_ids)
    parts: dict[str, np.ndarray] = {}
    directions: dict[str, np.ndarray] = {}
    if len(query.seeds):
        parts["seed_cooccurrence"] = s2v.playlists.seed_scores(query.seeds)
        placed = query.seeds[s2v.placement[query.seeds] != NOT_PLACED]
        directions["seed_vectors"] = parts["seed_vectors"] = unit(s2v.vectors[placed].sum(axis=0))
    if query.understood:
        parts["title_cooccurrence"] = s2v._situation_cooccurrence(query)
        directions["title_vectors"] = parts["title_vectors"] = unit(s2v._situation_profile(query))
    if directions:
        # (n x d) @ (d x 2): one pass, ~30% less than two matrix-vector products (measured; the transposed
        # product (2 x d) @ (d x n) was no faster than two); then one contiguous row per direction.
        cosines = np.ascontiguousarray((s2v.vectors @ np.stack(list(directions.values())).T).T)
        for name, values in zip(directions, cosines, strict=True):
            parts[name] = values  # in the order above: the parts are added up in it
    return parts


def _combined(s2v: Song2VecEngine, parts: dict[str, np.ndarray], weights: Song2VecWeights) -> np.ndarray | None:
    """The parts weighted as Song2Vec weighs them (title terms damped when seeds are given), plus its prior."""
    if not parts:
        return None
    title_factor = weights.title_with_seeds if "seed_cooccurrence" in parts else 1.0
    scores = np.float32(weights.prior) * np.asarray(s2v.prior, dtype=np.float32)
    for part, values in parts.items():
        weight = np.float32((title_factor if part.startswith("title") else 1.0) * getattr(weights, part))
        if weight:  # a part weighted 0 adds nothing (the parts are finite): skip its pass over the catalog
            scores += weight * values  # in place, the same float32 sums as before
    return scores


def _generator_scores(
    generators: Generators,
    parts: dict[str, np.ndarray],
    title: str | None,
    seed_ids: list[int],
    negative_ids: list[int],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{generator: (its track ids, a fresh score array over them)} for the generators that know the request."""
    s2v = generators.song2vec
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, weights in (("cooccurrence", Song2VecWeights.neighbours_only()), ("song2vec", s2v.weights)):
        scores = _combined(s2v, parts, weights)
        if scores is not None:
            found[name] = (s2v.track_ids, scores)
    if generators.terms is not None:
        scores = generators.terms.scores(title, seed_ids)
        if scores is not None:
            found["terms"] = (generators.terms.track_ids, scores)
    if generators.cf is not None:
        weak: list[int] = []
        if not seed_ids and title and "terms" in found:
            space, scores = found["terms"]
            weak = space[select_rows(scores.copy(), TITLE_TRACKS_FOR_CF, None)].tolist()
        scores = generators.cf.scores(seed_ids, negative_ids, weak_ids=weak, weak_weight=TITLE_TRACKS_WEIGHT)
        if scores is not None:
            found["cf"] = (generators.cf.track_ids, scores)
    found["popularity"] = (s2v.track_ids, np.asarray(s2v.prior, dtype=np.float32).copy())
    return found


def _artist_scores(generators: Generators, seed_ids: list[int], params: BlendParams) -> dict:
    """{"artist": (track ids, scores)}: the tracks of the seeds' artists, or {} without seeds.

    MPD playlists repeat artists (a playlist with two songs by one artist often has a third), yet co-occurrence
    only reaches an artist's tracks that shared a training playlist with a seed. Score: the share of the seeds
    by the track's artist, ties broken by the track's playlist count. Only those tracks are returned (their own
    ascending id space, hidden and unplaced ones already left out): a catalog-sized array that is -inf almost
    everywhere made the top-k selection cost ~4 ms at 71k tracks, the ids alone cost ~0.5 ms.
    """
    if not params.artist_candidates or not seed_ids:
        return {}
    s2v = generators.song2vec
    codes = generators.artist_codes()
    seed_codes = codes[rows_for_ids(s2v.track_ids, seed_ids)]
    seed_codes = seed_codes[seed_codes >= 0]
    if not len(seed_codes):
        return {}
    artists, counts = np.unique(seed_codes, return_counts=True)
    indptr = np.asarray(s2v.artists.indptr)
    starts, sizes = indptr[artists], indptr[artists + 1] - indptr[artists]
    rows = np.asarray(s2v.artists.rows)[_ranges(starts, sizes)]
    values = np.repeat(counts / len(seed_codes), sizes).astype(np.float32)
    values += np.float32(0.01) * np.asarray(s2v.prior, dtype=np.float32)[rows]
    unique, position = np.unique(rows, return_inverse=True)
    scores = np.full(len(unique), -np.inf, dtype=np.float32)
    np.maximum.at(scores, position, values)  # a track by two seed artists: the larger share
    kept = ~np.isin(unique, s2v._never)
    return {"artist": (s2v.track_ids[unique[kept]], scores[kept])}


class _FilteredAlready:
    """The artist generator's stand-in owner in `candidates`: it left out hidden and unplaced tracks itself."""

    _never = np.zeros(0, dtype=np.int64)


_FILTERED_ALREADY = _FilteredAlready()


def _seed_features(features, column, generators: Generators, ids: np.ndarray, seed_ids: list[int]) -> None:
    """SEED_FEATURES: the candidates against each seed, as (candidates x seeds) matrices reduced per candidate.

    Co-occurrence counts come from the candidates' playlist incidence times the seeds' playlist membership, so
    the cost is the playlists they are in, not the catalog. Without seeds the columns stay NaN (unknown).
    """
    s2v = generators.song2vec
    seed_rows = np.unique(rows_for_ids(s2v.track_ids, seed_ids))
    if not len(seed_rows) or not len(ids):
        return
    rows = rows_for_ids(s2v.track_ids, ids)
    index = s2v.playlists
    # (candidates x seeds) playlists in common: the candidates' incidence times a dense playlists x seeds
    # membership table (a sparse x sparse product and its densifying cost ~3x more for a handful of seeds).
    seed_playlists, seed_of = index.playlists_of(seed_rows)
    membership = np.zeros((index.n_playlists, len(seed_rows)), dtype=np.float32)
    membership[seed_playlists, seed_of] = 1.0  # a track is in a playlist once (PlaylistIndex keeps them distinct)
    shared = np.asarray(_incidence(index, rows) @ membership)
    counts = np.maximum(index.track_counts[rows], 1.0)[:, None] * np.maximum(index.track_counts[seed_rows], 1.0)
    features[:, column["seeds_sharing"]] = (shared > 0).sum(axis=1) / len(seed_rows)
    features[:, column["seed_cooccurrence_max"]] = (shared / np.sqrt(counts)).max(axis=1)
    vectors = s2v.vectors
    similarity = vectors[rows] @ vectors[seed_rows].T
    features[:, column["seed_vectors_max"]] = similarity.max(axis=1)
    last = rows_for_ids(s2v.track_ids, seed_ids[-1:])
    if len(last):
        features[:, column["last_seed_vectors"]] = vectors[rows] @ vectors[last[0]]
    cf = generators.cf
    if cf is not None:
        cf_seeds = rows_for_ids(cf.track_ids, seed_ids)
        cf_seeds = cf_seeds[np.asarray(cf.counts)[cf_seeds] > 0]
        if len(cf_seeds):
            found, in_cf = _positions(cf.track_ids, ids)
            factors = cf.item_factors
            mine = _unit_rows(factors[found[in_cf]])
            values = np.full(len(ids), np.nan, dtype=np.float32)
            values[in_cf] = (mine @ _unit_rows(factors[cf_seeds]).T).max(axis=1)
            features[:, column["seed_cf_max"]] = values


def _positions(space: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row of each id in the ascending `space`, clipped; whether it is there): one searchsorted, no set ops."""
    if not len(space):
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    rows = np.searchsorted(space, ids).clip(0, len(space) - 1)
    return rows, space[rows] == ids


def _incidence(index, rows: np.ndarray):
    """The given track rows x playlists, 1 where the track is in the playlist (CSR from the track-major lists)."""
    from scipy import sparse

    starts, ends = index.track_indptr[rows], index.track_indptr[rows + 1]
    counts = ends - starts
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    columns = np.asarray(index.track_playlists)[_ranges(starts, counts)]
    data = np.ones(len(columns), dtype=np.float32)
    return sparse.csr_matrix((data, columns, indptr), shape=(len(rows), index.n_playlists))


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    lengths = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, lengths, out=np.zeros(matrix.shape, dtype=np.float32), where=lengths > 0)


def _release_dates(catalog: CatalogSnapshot | None) -> tuple[np.ndarray, np.ndarray]:
    if catalog is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    return catalog.track_ids.copy(), np.asarray(catalog.release_ordinal, dtype=np.int32).copy()


def _weighted_relatives(features: np.ndarray) -> np.ndarray:
    """(rows, GENERATORS): each generator's relative score times its fixed weight (0 where unknown)."""
    column = {name: i for i, name in enumerate(FEATURES)}
    parts = np.zeros((len(features), len(GENERATORS)))
    for g, name in enumerate(GENERATORS):
        if name == "popularity":
            values = features[:, column["popularity_log_count"]]
        else:
            values = features[:, column[f"{name}_relative"]]
        parts[:, g] = FIXED_WEIGHTS[name] * np.nan_to_num(values, nan=0.0)
    return parts


def _fixed_blend(features: np.ndarray) -> np.ndarray:
    return _weighted_relatives(features).sum(axis=1)


# lightgbm.compat imports these when they are installed (for its scikit-learn API and DataFrame input); the blend
# gives it numpy arrays and uses neither. `bench/lightgbm_import_bench.py`: importing lightgbm takes a process from 48
# to 151 MB RSS with them, to 56 MB without.
LIGHTGBM_EXTRAS = ("sklearn", "pandas")


def _lightgbm_without_extras():
    """lightgbm, imported without scikit-learn and pandas unless this process already has them (a web process does
    not: serving never needs scikit-learn). Each extra is hidden only while lightgbm's own import runs: a module set
    to None in sys.modules makes `import` raise ImportError, which lightgbm.compat catches; then it is importable
    again for whoever needs it (training imports scikit-learn later in the same process without harm)."""
    import sys

    if "lightgbm" in sys.modules:
        return sys.modules["lightgbm"]
    hidden = [name for name in LIGHTGBM_EXTRAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None
    try:
        import lightgbm
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return lightgbm


def _train_ranker(features: np.ndarray, labels: np.ndarray, groups: list[int], params: BlendParams) -> str:
    """LightGBM lambdarank on the candidates, one group per request; the model as LightGBM's own text format."""
    import lightgbm  # imported here: only training processes need it loaded before a request does

    dataset = lightgbm.Dataset(features, label=labels, group=groups, feature_name=list(FEATURES), free_raw_data=True)
    settings = {
        "objective": "lambdarank",
        "metric": "ndcg",
        "num_leaves": params.num_leaves,
        "learning_rate": params.learning_rate,
        "min_child_samples": params.min_child_samples,
        "lambdarank_truncation_level": params.truncation,
        "num_threads": params.num_threads,
        "deterministic": True,
        "force_row_wise": True,
        "seed": params.seed,
        "verbose": -1,
    }
    booster = lightgbm.train(settings, dataset, num_boost_round=params.rounds)
    return booster.model_to_string()
