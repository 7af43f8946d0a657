"""The blend's faster request path (issue-10s) gives the candidates, features and picks of the path before it.

The reference is the code as it was, kept verbatim in blend_before_10s.py. Catalog: bench/synthetic.py at 3,000
tracks with 300 playlists named after situations, so the titles match playlists, artists repeat and some tracks
have no release date.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bench.synthetic import SITUATION_QUERIES, synthetic_catalog, synthetic_playlists
from recommendations.engines.blend import FEATURES, BlendEngine, BlendParams, Generators
from recommendations.engines.cf import CFParams, CollaborativeEngine
from recommendations.engines.features import select_rows
from recommendations.engines.song2vec.engine import Song2VecEngine
from recommendations.engines.terms import TermEngine
from recommendations.engines.tree_tables import TreeTables
from tests.recommendations import blend_before_10s as before
from tests.recommendations.test_evaluation import FAST

CF = CFParams(factors=8, regularization=0.1, alpha=10.0, num_threads=1, random_state=1)
# The reference predates the artist generator (issue-10q), so the path compared here runs without it.
PARAMS = BlendParams(
    candidates=80, ranker_playlists=60, min_ranker_playlists=10, rounds=30, num_threads=1, artist_candidates=False
)


@pytest.fixture(scope="module")
def served():
    catalog = synthetic_catalog(3000, seed=3)
    playlists = synthetic_playlists(catalog, count=300, seed=4).pairs()

    def fit_generators(named):
        return Generators(
            song2vec=Song2VecEngine.fit(named, catalog.snapshot, params=FAST),
            cf=CollaborativeEngine.fit([ids for _, ids in named], catalog.snapshot, params=CF),
            terms=TermEngine.fit(named, catalog.snapshot),
        )

    blend = BlendEngine.fit(playlists, fit_generators, catalog=catalog.snapshot, params=PARAMS)
    assert blend.learned
    return blend, fit_generators(playlists)


def requests(generators: Generators, count: int = 40) -> list[dict]:
    """Titles alone, titles with 1 or 5 seeds, 10 seeds alone, with dislikes and excluded tracks (seeded draws)."""
    rng = np.random.default_rng(11)
    ids = generators.song2vec.track_ids
    shapes = ((0, True), (1, True), (5, True), (10, False), (3, False))
    made = []
    for index in range(count):
        seeds, titled = shapes[index % len(shapes)]
        made.append({
            "title": SITUATION_QUERIES[index % len(SITUATION_QUERIES)] if titled else None,
            "seed_ids": [int(i) for i in rng.choice(ids, seeds, replace=False)],
            "negative_ids": [int(i) for i in rng.choice(ids, 3, replace=False)],
            "exclude_ids": [int(i) for i in rng.choice(ids, 20, replace=False)],
            "today_ordinal": 739_590,
        })  # fmt: skip
    return made


def assert_same_candidates(blend: BlendEngine, generators: Generators, request: dict) -> None:
    new = blend.candidates(generators, **request)
    old = before.candidates(blend, generators, **request)
    np.testing.assert_array_equal(new.ids, old.ids)
    compared = [FEATURES.index(name) for name in before.REFERENCE_FEATURES]
    np.testing.assert_allclose(new.features[:, compared], old.features[:, compared], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("which", ["all", "no cf", "no terms"])
def test_candidates_and_features_are_those_of_the_path_before(served, which):
    blend, generators = served
    if which == "no cf":
        generators = replace(generators, cf=None)
    elif which == "no terms":
        generators = replace(generators, terms=None)
    for request in requests(generators):
        assert_same_candidates(blend, generators, request)


def test_picks_scores_and_signals_are_those_of_the_path_before(served):
    blend, generators = served
    for request in requests(generators):
        answer = blend.recommend(generators, k=25, **request)
        found = before.candidates(blend, generators, **request)
        scores = before.rank(blend, found)
        chosen = select_rows(scores, 25, None)
        assert [pick.track_id for pick in answer.picks] == found.ids[chosen].tolist()
        np.testing.assert_allclose([pick.score for pick in answer.picks], scores[chosen], rtol=1e-6, atol=1e-9)
        assert [pick.signal for pick in answer.picks] == before.signals(blend, found.features[chosen])


def test_fixed_blend_picks_are_those_of_the_path_before(served):
    blend, generators = served
    fixed = BlendEngine(ranker=None, params=blend.params, release_ids=blend.release_ids,
                        release_ordinal=blend.release_ordinal, reference_ordinal=blend.reference_ordinal)  # fmt: skip
    for request in requests(generators, 10):
        answer = fixed.recommend(generators, k=20, **request)
        found = before.candidates(fixed, generators, **request)
        chosen = select_rows(before.rank(fixed, found), 20, None)
        assert [pick.track_id for pick in answer.picks] == found.ids[chosen].tolist()
        assert [pick.signal for pick in answer.picks] == before.signals(fixed, found.features[chosen])


def test_tabled_contributions_are_lightgbms(served):
    blend, generators = served
    booster = blend._ranker()
    tables = TreeTables.from_booster(booster)
    assert tables is not None
    rows = np.concatenate([blend.candidates(generators, **request).features for request in requests(generators, 10)])
    rows[::7, 3] = np.nan  # missing values go each split's default way
    rows[::11, 5] = 0.0
    expected = booster.predict(rows, pred_contrib=True, num_threads=1)
    np.testing.assert_allclose(tables.contributions(rows), expected, rtol=1e-9, atol=1e-12)


def test_term_scores_are_bit_for_bit_those_before(served):
    _, generators = served
    for request in requests(generators):
        for seeds in (request["seed_ids"], []):
            new = generators.terms.scores(request["title"], seeds)
            old = before._terms_scores(generators.terms, request["title"], seeds)
            assert (new is None) == (old is None)
            if new is not None:
                np.testing.assert_array_equal(new, old)
