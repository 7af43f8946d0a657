"""The learned blend (engines.blend) and its place in the offline evaluation.

Corpus: the evaluation tests' grouped playlists (four situations, 60 tracks each, two shared hits per playlist).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from recommendations.engines import Reason, ReasonKind
from recommendations.engines.blend import (
    FEATURES,
    GENERATORS,
    SEED_FEATURES,
    BlendEngine,
    BlendParams,
    Generators,
    ranker_playlists,
)
from recommendations.engines.cf import CFParams, CollaborativeEngine
from recommendations.engines.features import rows_for_ids
from recommendations.engines.song2vec.engine import Song2VecEngine
from recommendations.engines.terms import TermEngine
from recommendations.evaluation import TrackKeys, assert_ranker_not_on_test, evaluate, split_playlists
from recommendations.evaluation_generators import fit_hybrid, named_playlists
from tests.recommendations.test_evaluation import FAST, GROUPS, corpus

CF = CFParams(factors=4, regularization=0.1, alpha=10.0, num_threads=1, random_state=1)
SMALL_RANKER = BlendParams(candidates=60, min_ranker_playlists=10, rounds=20, num_threads=1)


def fit_generators(named):
    return Generators(
        song2vec=Song2VecEngine.fit(named, params=FAST),
        cf=CollaborativeEngine.fit([ids for _, ids in named], params=CF),
        terms=TermEngine.fit(named),
    )


@pytest.fixture(scope="module")
def keyed():
    keys = TrackKeys()
    return keys, named_playlists(corpus(20), keys)


def test_too_few_playlists_fall_back_to_the_fixed_blend_and_say_so(keyed):
    keys, named = keyed
    few = named[:8]
    blend = BlendEngine.fit(few, fit_generators, params=SMALL_RANKER)
    assert not blend.learned
    assert "fixed weights" in blend.message and "these 8 playlists give 2" in blend.message
    answer = blend.recommend(fit_generators(few), title="rainy day", k=5)
    assert not answer.learned and answer.message == blend.message
    assert len(answer.picks) == 5 and all(pick.signal in GENERATORS for pick in answer.picks)
    assert all(pick.reason == (Reason(ReasonKind.BLEND_SIGNAL, {"signal": pick.signal}),) for pick in answer.picks)


def test_the_ranker_learns_and_serves_without_seeds_or_dislikes(keyed, tmp_path):
    keys, named = keyed
    blend = BlendEngine.fit(named, fit_generators, params=SMALL_RANKER)
    assert blend.learned and blend.message == ""
    assert blend.stats["requests"] >= SMALL_RANKER.min_ranker_playlists
    blend.save(tmp_path)
    loaded = BlendEngine.load(tmp_path)
    generators = fit_generators(named)
    seeds = [keys.ids["spotify:track:g0t00"], keys.ids["spotify:track:g0t01"]]
    disliked = [keys.ids["spotify:track:g0t02"]]
    answer = loaded.recommend(generators, title="rainy day", seed_ids=seeds, negative_ids=disliked, k=20)
    picked = {pick.track_id for pick in answer.picks}
    assert answer.learned and len(picked) == 20
    assert not picked & {*seeds, *disliked}
    rainy = {keys.ids[f"spotify:track:g0t{n:02d}"] for n in range(60)} | {keys.ids[h] for h in keys.keys if "hit" in h}
    assert picked <= rainy  # the group of the seeds and the title (or the shared hits), nothing else
    assert {pick.signal for pick in answer.picks} <= set(GENERATORS)


def test_ranker_playlists_are_long_enough_and_deterministic(keyed):
    _, named = keyed
    first = ranker_playlists(named, SMALL_RANKER)
    assert first.tolist() == ranker_playlists(named, SMALL_RANKER).tolist()
    assert len(first) == int(len(named) * SMALL_RANKER.ranker_share)
    assert all(len(set(named[i][1])) >= SMALL_RANKER.min_tracks for i in first.tolist())


def test_the_ranker_never_trains_on_the_evaluations_held_out_playlists():
    playlists = corpus(20)
    training, cases = split_playlists(playlists, seed=3)
    keys = TrackKeys()
    generators = fit_generators(named_playlists(training, keys))
    from recommendations.evaluation import fit_song2vec

    blend = fit_hybrid(training, keys, generators, fit_song2vec, FAST, {}, SMALL_RANKER)
    learnt_from = set(blend.stats["ranker_playlists"])
    assert learnt_from and learnt_from <= {p.pid for p in training}
    assert not learnt_from & {case.playlist.pid for case in cases}
    with pytest.raises(AssertionError, match="test playlists"):
        assert_ranker_not_on_test([cases[0].playlist.pid], cases)


def test_evaluate_scores_every_new_method_and_notes_the_ranker():
    report = evaluate(corpus(70), ["popularity", "cf", "terms", "hybrid"], params=FAST, seed=1)
    summary = {method: scores.summary() for method, scores in report.methods.items()}
    for method in ("cf", "terms", "hybrid"):
        assert summary[method]["all"]["r_precision"] > summary["popularity"]["all"]["r_precision"]
    assert "ranker learnt from" in report.notes["hybrid"]
    assert set(report.as_dict()["methods"]) == {"popularity", "cf", "terms", "hybrid"}


def test_evaluate_on_a_tiny_file_set_reports_the_fixed_blend():
    report = evaluate(corpus(6), ["hybrid"], params=replace(FAST, epochs=2), seed=1)
    assert "fixed weights" in report.notes["hybrid"]
    assert len(GROUPS) * 6 == report.playlists


def test_seed_features_compare_each_candidate_with_each_seed(keyed):
    keys, named = keyed
    generators = fit_generators(named)
    blend = BlendEngine.fit(named[:8], fit_generators, params=SMALL_RANKER)  # the fixed blend: features only
    seeds = [keys.ids["spotify:track:g1t00"], keys.ids["spotify:track:g1t05"], keys.ids["spotify:track:g2t00"]]
    found = blend.candidates(generators, seed_ids=seeds)
    column = {name: i for i, name in enumerate(FEATURES)}
    holding = {}  # track id -> the playlists (positions) holding it
    for position, (_, ids) in enumerate(named):
        for track in set(ids):
            holding.setdefault(track, set()).add(position)
    vectors, rows = generators.song2vec.vectors, lambda ids: rows_for_ids(generators.song2vec.track_ids, ids)
    for track, values in zip(found.ids.tolist(), found.features, strict=True):
        shared = [len(holding[track] & holding[seed]) for seed in seeds]
        assert values[column["seeds_sharing"]] == pytest.approx(sum(n > 0 for n in shared) / len(seeds))
        best = max(n / np.sqrt(len(holding[track]) * len(holding[seed])) for n, seed in zip(shared, seeds, strict=True))
        assert values[column["seed_cooccurrence_max"]] == pytest.approx(best, rel=1e-5)
        cosines = vectors[rows([track])[0]] @ vectors[rows(seeds)].T
        assert values[column["seed_vectors_max"]] == pytest.approx(cosines.max(), abs=1e-5)
        assert values[column["last_seed_vectors"]] == pytest.approx(cosines[-1], abs=1e-5)
        assert -1.0 <= values[column["seed_cf_max"]] <= 1.0
    assert found.features[:, column["seeds_sharing"]].max() > 0
    without = blend.candidates(generators, title="rainy day")
    assert np.isnan(without.features[:, [column[name] for name in SEED_FEATURES]]).all()


def test_each_generators_rank_is_its_order_among_its_candidates(keyed):
    keys, named = keyed
    generators = fit_generators(named)
    blend = BlendEngine.fit(named[:8], fit_generators, params=SMALL_RANKER)
    found = blend.candidates(generators, title="rainy day", seed_ids=[keys.ids["spotify:track:g0t00"]])
    column = {name: i for i, name in enumerate(FEATURES)}
    for name in ("cooccurrence", "song2vec", "cf", "terms"):
        ranks, scores = found.features[:, column[f"{name}_rank"]], found.features[:, column[f"{name}_score"]]
        listed = ranks < SMALL_RANKER.candidates
        assert sorted(ranks[listed].tolist()) == list(range(int(listed.sum())))  # no gaps: every pool member is here
        order = np.argsort(ranks[listed], kind="stable")
        assert np.all(np.diff(scores[listed][order]) <= 1e-6)  # rank 0 is the generator's best score


def test_training_keeps_every_hit_and_a_repeatable_draw_of_misses():
    from recommendations.engines.blend import _kept_for_training

    hits = np.asarray([0, 0, 1, 0, 0, 1, 0, 0], dtype=np.float32)
    kept = _kept_for_training(hits, 3, seed=5)
    assert len(kept) == 5 and {2, 5} <= set(kept.tolist()) and kept.tolist() == sorted(kept.tolist())
    assert kept.tolist() == _kept_for_training(hits, 3, seed=5).tolist()
    assert _kept_for_training(hits, 0, seed=5).tolist() == list(range(8))
    assert _kept_for_training(hits, 10, seed=5).tolist() == list(range(8))


def _artist_catalog():
    """Two artists over disjoint playlists: artist A's tracks 1-6 and 50 share playlists with each other; artist B's
    tracks 20-29 never meet A's. Tracks 40 and 41 are A's too but in no playlist with A's seeds (only with B's
    tracks); 41 is hidden by a curator."""
    from recommendations.engines.features import AUDIO_FEATURES, CatalogSnapshot

    named = [(f"a{n}", [1, 2, 3, 4, 5, 6, 50]) for n in range(6)] + [(f"b{n}", [20 + i for i in range(10)] + [40, 41])
                                                                   for n in range(6)]  # fmt: skip
    ids = np.asarray(sorted({i for _, tracks in named for i in tracks}), dtype=np.int64)
    artist = {i: "Artist A" if i < 10 or i in (40, 41) else "Artist B" if i < 30 else "Someone Else"
              for i in ids.tolist()}  # fmt: skip
    catalog = CatalogSnapshot(
        track_ids=ids,
        features=np.full((len(ids), len(AUDIO_FEATURES)), np.nan),
        genres=[()] * len(ids),
        artist_names=[artist[i] for i in ids.tolist()],
        hidden=ids == 41,
    )
    song2vec = Song2VecEngine.fit(named, catalog, params=FAST)
    return named, Generators(song2vec=song2vec, cf=CollaborativeEngine.fit([t for _, t in named], params=CF))


def test_the_seeds_artists_other_tracks_are_candidates_even_without_a_shared_playlist():
    named, generators = _artist_catalog()
    blend = BlendEngine.fit(named, lambda base: generators, params=SMALL_RANKER)  # too few: fixed blend, features
    column = {name: i for i, name in enumerate(FEATURES)}
    found = blend.candidates(generators, seed_ids=[1, 2])
    by_id = dict(zip(found.ids.tolist(), found.features, strict=True))
    assert 40 in by_id  # by the seeds' artist, though no playlist holds it with them
    assert by_id[40][column["artist_score"]] > 0 and by_id[40][column["artist_rank"]] < SMALL_RANKER.candidates
    assert np.isnan(by_id[20][column["artist_score"]])  # artist B: not the seeds' artist
    assert 1 not in by_id and 2 not in by_id and 41 not in by_id  # never a seed or a hidden track
    disliked = blend.candidates(generators, seed_ids=[1, 2], negative_ids=[40], exclude_ids=[3])
    assert 40 not in disliked.ids.tolist() and 3 not in disliked.ids.tolist()
    picks = blend.recommend(generators, seed_ids=[1, 2], negative_ids=[40], k=30).picks
    assert 40 not in {pick.track_id for pick in picks}
    off = replace(SMALL_RANKER, artist_candidates=False)
    without = BlendEngine(ranker=None, params=off, release_ids=blend.release_ids,
                          release_ordinal=blend.release_ordinal, reference_ordinal=0)  # fmt: skip
    assert np.isnan(without.candidates(generators, seed_ids=[1, 2]).features[:, column["artist_score"]]).all()
    assert np.isnan(blend.candidates(generators, title="a0").features[:, column["artist_score"]]).all()  # no seeds


def test_ranker_folds_are_disjoint_and_each_fold_learns_from_generators_fitted_without_it(keyed):
    from recommendations.engines.blend import ranker_folds

    _, named = keyed
    params = replace(SMALL_RANKER, folds=3)
    folds = ranker_folds(named, params)
    assert len(folds) == 3 and folds[0].tolist() == ranker_playlists(named, params).tolist()
    assert sum(len(f) for f in folds) == len(set().union(*(f.tolist() for f in folds)))  # disjoint
    bases = []

    def fit_recording(base):
        bases.append({id(playlist) for playlist in base})
        return fit_generators(base)

    blend = BlendEngine.fit(named, fit_recording, params=params)
    assert blend.learned and blend.stats["folds"] == 3 and len(bases) == 3
    for fold, base in zip(folds, bases, strict=True):
        assert not {id(named[i]) for i in fold.tolist()} & base  # a fold's playlists never fed its generators
    assert sorted(blend.stats["ranker_playlists"]) == sorted(str(i) for f in folds for i in f.tolist())
