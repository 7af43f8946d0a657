"""The blend's request path as it was before issue-10s made it faster, kept verbatim as the reference the faster
code must match (tests/recommendations/test_blend_equivalence.py). Functions take the BlendEngine as `self`.

Only the features listed in REFERENCE_FEATURES are compared: features added to FEATURES later are not computed here.
"""
# ruff: noqa
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from recommendations.engines.blend import (
    FEATURE_SIGNAL,
    FEATURES,
    GENERATORS,
    TITLE_TRACKS_FOR_CF,
    TITLE_TRACKS_WEIGHT,
    BlendEngine,
    Generators,
    _Candidates,
    _fixed_blend,
    _incidence,
    _positions,
    _unit_rows,
    _weighted_relatives,
)  # and the helpers issue-10s left as they were
from recommendations.engines.features import rows_for_ids, select_rows
from recommendations.engines.neighbours import _ranges
from recommendations.engines.song2vec.engine import Song2VecEngine, Song2VecWeights
from recommendations.engines.song2vec.placement import NOT_PLACED

REFERENCE_FEATURES = ('cooccurrence_score', 'cooccurrence_relative', 'cooccurrence_rank', 'song2vec_score', 'song2vec_relative', 'song2vec_rank', 'cf_score', 'cf_relative', 'cf_rank', 'terms_score', 'terms_relative', 'terms_rank', 'seed_cooccurrence', 'seed_vectors', 'title_cooccurrence', 'title_vectors', 'popularity_log_count', 'popularity_rank', 'seed_artist_share', 'title_terms', 'release_age_days', 'seed_count', 'has_title', 'generators_hit', 'seeds_sharing', 'seed_cooccurrence_max', 'seed_vectors_max', 'seed_cf_max', 'last_seed_vectors')



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
    parts = _song2vec_parts(s2v, title, seed_ids)
    scored = _generator_scores(generators, parts, title, seed_ids, negative_ids)
    # Without seeds the terms generator's scores are the title's alone: kept for that feature, not recomputed.
    title_terms = scored["terms"][1].copy() if title and not seed_ids and "terms" in scored else None
    per, pools = self.params.candidates, {}
    for name, (space, scores) in scored.items():
        owner = {"cf": generators.cf, "terms": generators.terms}.get(name) or s2v
        scores[owner._never] = -np.inf  # hidden, and tracks the generator has nothing on
        scores[rows_for_ids(space, banned_ids)] = -np.inf
        pools[name] = space[select_rows(scores, per, None)]
    ids = np.unique(np.concatenate(list(pools.values()))) if pools else np.zeros(0, np.int64)
    rows, known = _positions(s2v.track_ids, ids)
    serving = np.ones(len(s2v), dtype=bool)
    serving[s2v._never] = False
    ids = ids[known & serving[rows]]
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
    _shared_features(self, features, column, generators, parts, ids, title, seed_ids, today_ordinal, title_terms)
    features[:, column["generators_hit"]] = hit
    _seed_features(features, column, generators, ids, seed_ids)
    return _Candidates(ids=ids, features=features)


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
        terms = title_terms if title_terms is not None else _terms_scores(generators.terms, title)
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
    return self._ranker().predict(found.features, num_threads=1)  # LightGBM itself



def signals(self, features: np.ndarray) -> list[str]:
    """The generator each row owes most to (module docstring)."""
    if self.ranker_text is None:
        parts = _weighted_relatives(features)
        return [GENERATORS[i] for i in np.argmax(parts, axis=1).tolist()]
    contributions = self._ranker().predict(features, pred_contrib=True, num_threads=1)[:, :-1]  # drop the bias
    per_signal = np.zeros((len(features), len(GENERATORS)))
    for i, name in enumerate(FEATURES):
        signal = FEATURE_SIGNAL.get(name)
        if signal is not None:
            per_signal[:, GENERATORS.index(signal)] += contributions[:, i]
    return [GENERATORS[i] for i in np.argmax(per_signal, axis=1).tolist()]


# ------------------------------------------------------------------------------------------------ helpers



def _song2vec_parts(s2v: Song2VecEngine, title: str | None, seed_ids: list[int]) -> dict[str, np.ndarray]:
    """Song2Vec's score terms for a request, each computed once (`Song2VecEngine._scores` adds them up).

    Reaches into Song2Vec's request helpers on purpose: the blend needs the terms apart, as features, and asking
    the engine six times for differently weighted sums would cost six passes over the catalog.
    """
    query = s2v._understand(title, seed_ids)
    parts: dict[str, np.ndarray] = {}
    if len(query.seeds):
        parts["seed_cooccurrence"] = s2v.playlists.seed_scores(query.seeds)
        placed = query.seeds[s2v.placement[query.seeds] != NOT_PLACED]
        parts["seed_vectors"] = s2v._cosines(s2v.vectors[placed].sum(axis=0))
    if query.understood:
        parts["title_cooccurrence"] = s2v._situation_cooccurrence(query)
        parts["title_vectors"] = s2v._cosines(s2v._situation_profile(query))
    return parts


def _combined(s2v: Song2VecEngine, parts: dict[str, np.ndarray], weights: Song2VecWeights) -> np.ndarray | None:
    """The parts weighted as Song2Vec weighs them (title terms damped when seeds are given), plus its prior."""
    if not parts:
        return None
    title_factor = weights.title_with_seeds if "seed_cooccurrence" in parts else 1.0
    scores = np.float32(weights.prior) * np.asarray(s2v.prior, dtype=np.float32)
    for part, values in parts.items():
        factor = title_factor if part.startswith("title") else 1.0
        scores = scores + np.float32(factor * getattr(weights, part)) * values
    return scores.astype(np.float32)


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
        scores = _terms_scores(generators.terms, title, seed_ids)
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


def _seed_features(features, column, generators: Generators, ids: np.ndarray, seed_ids: list[int]) -> None:
    """SEED_FEATURES: the candidates against each seed, as (candidates x seeds) matrices reduced per candidate.

    Co-occurrence counts come from one sparse product of the candidates' and the seeds' playlist incidence, so
    the cost is the playlists they are in, not the catalog. Without seeds the columns stay NaN (unknown).
    """
    s2v = generators.song2vec
    seed_rows = np.unique(rows_for_ids(s2v.track_ids, seed_ids))
    if not len(seed_rows) or not len(ids):
        return
    rows = rows_for_ids(s2v.track_ids, ids)
    index = s2v.playlists
    shared = _incidence(index, rows) @ _incidence(index, seed_rows).T  # (candidates x seeds) playlists in common
    shared = shared.toarray()
    counts = np.maximum(index.track_counts[rows], 1.0)[:, None] * np.maximum(index.track_counts[seed_rows], 1.0)
    features[:, column["seeds_sharing"]] = (shared > 0).sum(axis=1) / len(seed_rows)
    features[:, column["seed_cooccurrence_max"]] = (shared / np.sqrt(counts)).max(axis=1)
    vectors = np.asarray(s2v.vectors)
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
            factors = np.asarray(cf.item_factors)
            mine = _unit_rows(factors[found[in_cf]])
            values = np.full(len(ids), np.nan, dtype=np.float32)
            values[in_cf] = (mine @ _unit_rows(factors[cf_seeds]).T).max(axis=1)
            features[:, column["seed_cf_max"]] = values


def _terms_scores(terms, text, seed_ids=()):
    """TermEngine.scores as it was."""
    from recommendations.engines.terms import PRIOR

    columns, weights = terms.query(text, seed_ids)
    if len(columns) == 0:
        return None
    starts, ends = terms.by_term.indptr[columns], terms.by_term.indptr[columns + 1]
    entries = _ranges(starts, ends - starts)
    scores = np.bincount(
        np.asarray(terms.by_term.indices)[entries],
        weights=np.asarray(terms.by_term.data)[entries] * np.repeat(weights, ends - starts),
        minlength=len(terms),
    ).astype(np.float32)
    best = scores.max()
    if best > 0:
        scores /= best
    return scores + np.float32(PRIOR) * np.asarray(terms.prior)
