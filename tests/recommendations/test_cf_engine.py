"""Collaborative filtering (engines.cf): fold-in of unseen playlists, dislikes, hidden tracks, artifacts.

The corpus: two groups of 12 tracks (ids 100-111 and 200-211); every playlist holds 8 tracks of one group, so a
playlist's company is its own group. Fixed seeds, one thread: the same factors every run.
"""
from __future__ import annotations

import numpy as np
import pytest

from recommendations.engines import MessageKind, Reason, ReasonKind
from recommendations.engines.cf import CFParams, CollaborativeEngine, ListenerRow
from recommendations.engines.features import AUDIO_FEATURES, CatalogSnapshot

GROUP_A = list(range(100, 112))
GROUP_B = list(range(200, 212))
PARAMS = CFParams(factors=2, regularization=0.1, alpha=10.0, iterations=15, num_threads=1, random_state=3)


def playlists(per_group: int = 30) -> list[list[int]]:
    rng = np.random.default_rng(5)
    rows = []
    for group in (GROUP_A, GROUP_B):
        for _ in range(per_group):
            rows.append([group[i] for i in rng.choice(len(group), 8, replace=False)])
    return rows


@pytest.fixture(scope="module")
def engine() -> CollaborativeEngine:
    return CollaborativeEngine.fit(playlists(), params=PARAMS)


def test_an_unseen_playlist_is_folded_in_from_its_tracks(engine):
    unseen = [100, 103, 105]  # a playlist the model never saw, of group A
    answer = engine.recommend(seed_ids=unseen, k=9)
    assert sorted(r.track_id for r in answer.recommendations) == sorted(set(GROUP_A) - set(unseen))
    assert not answer.fallback
    assert all(seed in unseen for seed in answer.because)
    assert answer.recommendations[0].reason == (Reason(ReasonKind.KEPT_WITH_YOURS),)


def test_fold_in_matches_the_other_group_for_its_tracks(engine):
    answer = engine.recommend(seed_ids=[201, 202], k=5)
    assert {r.track_id for r in answer.recommendations} <= set(GROUP_B)


def test_disliked_tracks_are_never_returned_and_push_their_neighbours_down(engine):
    everything = engine.recommend(seed_ids=[100, 101], k=len(engine))
    disliked = [everything.recommendations[0].track_id, everything.recommendations[1].track_id]
    answer = engine.recommend(seed_ids=[100, 101], negative_ids=disliked, k=len(engine))
    returned = [r.track_id for r in answer.recommendations]
    assert not set(disliked) & set(returned)
    assert len(returned) == len(engine) - 4  # every track but the two seeds and the two dislikes
    before = {r.track_id: r.score for r in everything.recommendations}
    after = {r.track_id: r.score for r in answer.recommendations}
    assert np.mean([after[t] for t in after if t in GROUP_A]) < np.mean([before[t] for t in after if t in GROUP_A])


def test_listener_rows_with_dislikes_train_and_their_dislikes_are_negatives():
    listener = ListenerRow(positive_ids=[100, 101, 102], negative_ids=[210, 211])
    engine = CollaborativeEngine.fit(playlists(), listeners=[listener], params=PARAMS)
    assert engine.stats["listeners"] == 1
    assert engine.stats["entries"] == 60 * 8 + 5
    answer = engine.recommend(seed_ids=listener.positive_ids, negative_ids=listener.negative_ids, k=len(engine))
    assert not {210, 211} & {r.track_id for r in answer.recommendations}


def test_hidden_tracks_and_tracks_in_no_row_are_never_recommended():
    catalog = CatalogSnapshot(
        track_ids=[*GROUP_A, *GROUP_B, 999],
        features=np.full((25, len(AUDIO_FEATURES)), np.nan),
        genres=[()] * 25,
        hidden=[track == 104 for track in [*GROUP_A, *GROUP_B, 999]],
    )
    engine = CollaborativeEngine.fit(playlists(), catalog, params=PARAMS)
    returned = {r.track_id for r in engine.recommend(seed_ids=[100], k=len(engine)).recommendations}
    assert 104 not in returned and 999 not in returned
    assert len(returned) == 22


def test_seeds_the_model_does_not_know_fall_back_to_the_most_kept_tracks(engine):
    answer = engine.recommend(seed_ids=[12345], k=3)
    assert answer.fallback and answer.message == Reason(MessageKind.CF_SEEDS_UNKNOWN)
    assert [r.reason for r in answer.recommendations] == [(Reason(ReasonKind.KEPT_BY_MANY),)] * 3


def test_saved_factors_load_memory_mapped_and_answer_the_same(engine, tmp_path):
    engine.save(tmp_path)
    loaded = CollaborativeEngine.load(tmp_path, mmap=True)
    assert isinstance(loaded.item_factors, np.memmap)
    same = engine.recommend(seed_ids=[100, 103], k=6).recommendations
    assert loaded.recommend(seed_ids=[100, 103], k=6).recommendations == same


def test_fitting_does_not_warn_about_blas_threads(recwarn):
    CollaborativeEngine.fit(playlists(5), params=PARAMS)
    assert not [w for w in recwarn if "BLAS" in str(w.message) or "OpenBLAS" in str(w.message)]


def test_no_rows_with_tracks_is_refused():
    with pytest.raises(ValueError, match="at least one playlist or listener"):
        CollaborativeEngine.fit([[]], params=PARAMS)


def test_tracks_in_no_row_take_no_factor_row():
    catalog = CatalogSnapshot(
        track_ids=[*GROUP_A, *GROUP_B, 999, 1000],
        features=np.full((26, len(AUDIO_FEATURES)), np.nan),
        genres=[()] * 26,
        hidden=[track == 104 for track in [*GROUP_A, *GROUP_B, 999, 1000]],
    )
    engine = CollaborativeEngine.fit(playlists(), catalog, params=PARAMS)
    assert engine.track_ids.tolist() == sorted([*GROUP_A, *GROUP_B])  # 999 and 1000 are in no playlist
    assert engine.item_factors.shape == (24, PARAMS.factors)
    assert engine.track_ids[engine.hidden_rows].tolist() == [104]
