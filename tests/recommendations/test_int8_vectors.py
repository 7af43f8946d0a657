"""int8 row vectors (engines.quantized) and the engines that keep them from a catalog size on.

The engines switch at INT8_VECTORS_FROM_ROWS rows; the tests lower it to 0 so that the small corpora of the
engine tests take the int8 path, and compare with the same model kept as float32.
"""
from __future__ import annotations

import numpy as np
import pytest

from recommendations.engines import quantized
from recommendations.engines.blend import BlendEngine, Generators
from recommendations.engines.cf import CollaborativeEngine
from recommendations.engines.quantized import Int8Vectors, stored_vectors
from recommendations.engines.song2vec.engine import Song2VecEngine
from recommendations.engines.song2vec.vectors import unit_rows
from recommendations.evaluation import TrackKeys
from recommendations.evaluation_generators import named_playlists
from tests.recommendations.test_artifacts import is_memory_mapped
from tests.recommendations.test_blend_engine import CF, SMALL_RANKER
from tests.recommendations.test_evaluation import FAST, corpus


def unit_vectors(n: int, d: int = 64, seed: int = 1) -> np.ndarray:
    return unit_rows(np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32))


@pytest.fixture(scope="module")
def keyed():
    keys = TrackKeys()
    return keys, named_playlists(corpus(20), keys)


@pytest.fixture
def int8_everywhere(monkeypatch):
    monkeypatch.setattr(quantized, "INT8_VECTORS_FROM_ROWS", 0)


def test_cosines_from_int8_codes_are_within_a_hundredth_of_float32s():
    vectors = unit_vectors(5_000)
    direction = vectors[:7].sum(axis=0)
    exact = vectors @ direction
    int8 = Int8Vectors.quantize(vectors)
    assert int8.codes.dtype == np.int8 and int8.nbytes < vectors.nbytes / 3.5
    assert np.abs(int8 @ direction - exact).max() < 0.01 * np.abs(direction).sum() / 8
    # the ranking barely moves: the exact top 50 are all in the int8 top 60
    assert set(np.argsort(-exact)[:50]) <= set(np.argsort(-(int8 @ direction))[:60])


def test_products_in_chunks_equal_the_whole_matrix_product(monkeypatch):
    monkeypatch.setattr(quantized, "CHUNK_ROWS", 300)  # several chunks and a short last one
    int8 = Int8Vectors.quantize(unit_vectors(1_001))
    whole = np.asarray(int8)
    two_directions = unit_vectors(2, seed=2).T
    np.testing.assert_allclose(int8 @ two_directions, whole @ two_directions, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(int8 @ two_directions[:, 0], whole @ two_directions[:, 0], rtol=1e-5, atol=1e-6)
    rows = np.array([0, 999, 5])
    np.testing.assert_array_equal(int8[rows], whole[rows])
    np.testing.assert_array_equal(int8[3], whole[3])


def test_zero_rows_stay_zero_and_small_catalogs_stay_float32():
    vectors = unit_vectors(10)
    vectors[4] = 0.0
    int8 = Int8Vectors.quantize(vectors)
    assert not np.asarray(int8)[4].any() and int8.scales[4] == 0
    assert stored_vectors(vectors) is vectors  # 10 rows: far below INT8_VECTORS_FROM_ROWS


def test_song2vec_keeps_int8_vectors_maps_them_and_recommends_as_float32_does(keyed, int8_everywhere, tmp_path):
    _, named = keyed
    engine = Song2VecEngine.fit(named, params=FAST)
    assert isinstance(engine.vectors, Int8Vectors)
    engine.save(tmp_path / "s2v")
    loaded = Song2VecEngine.load(tmp_path / "s2v")
    assert isinstance(loaded.vectors, Int8Vectors) and is_memory_mapped(loaded.vectors.codes)
    assert sorted(p.name for p in (tmp_path / "s2v").glob("vectors*")) == ["vectors_codes.npy", "vectors_scales.npy"]
    seeds = [int(t) for t in engine.track_ids[:3]]
    as_float32 = engine.with_weights(engine.weights)
    as_float32.vectors = np.asarray(engine.vectors)
    for kwargs in ({"seed_ids": seeds}, {"situation": "rainy day"}):
        int8_ids = [r.track_id for r in loaded.recommend(k=10, **kwargs).recommendations]
        float_ids = [r.track_id for r in as_float32.recommend(k=10, **kwargs).recommendations]
        assert len(set(int8_ids) & set(float_ids)) >= 9, kwargs


def test_cf_keeps_int8_factors_and_its_fold_in_uses_them(keyed, int8_everywhere, tmp_path):
    _, named = keyed
    engine = CollaborativeEngine.fit([ids for _, ids in named], params=CF)
    assert isinstance(engine.item_factors, Int8Vectors)
    served = np.asarray(engine.item_factors, dtype=np.float64)
    np.testing.assert_allclose(engine.gram, served.T @ served)  # YᵀY of what serves, not of the float32 factors
    engine.save(tmp_path / "cf")
    loaded = CollaborativeEngine.load(tmp_path / "cf")
    assert isinstance(loaded.item_factors, Int8Vectors)
    seeds = [int(t) for t in engine.track_ids[:4]]
    disliked = [int(engine.track_ids[10])]
    answer = loaded.recommend(seed_ids=seeds, negative_ids=disliked, k=len(loaded))
    returned = {r.track_id for r in answer.recommendations}
    assert returned and not returned & {*seeds, *disliked}
    assert [r.track_id for r in answer.recommendations] == [
        r.track_id for r in engine.recommend(seed_ids=seeds, negative_ids=disliked, k=len(loaded)).recommendations
    ]


def test_the_blend_serves_over_int8_generators(keyed, int8_everywhere):
    _, named = keyed

    def fit_generators(playlists):
        return Generators(
            song2vec=Song2VecEngine.fit(playlists, params=FAST),
            cf=CollaborativeEngine.fit([ids for _, ids in playlists], params=CF),
        )

    blend = BlendEngine.fit(named, fit_generators, params=SMALL_RANKER)
    generators = fit_generators(named)
    assert isinstance(generators.song2vec.vectors, Int8Vectors)
    seeds = [int(t) for t in generators.song2vec.track_ids[:5]]
    answer = blend.recommend(generators, title="rainy day", seed_ids=seeds, k=10)
    assert blend.learned and len(answer.picks) == 10
    assert not {pick.track_id for pick in answer.picks} & set(seeds)
