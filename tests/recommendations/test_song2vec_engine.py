"""Song2VecEngine on a tiny corpus of two obvious playlist groups, plus the situation text and co-occurrence parts.

Group A (tracks 1-20, folk, calm) fills playlists named for studying; group B (101-120, edm, upbeat, by "Neil
Diamond" here) fills workout and party playlists. Track 500 (folk, calm) and 600 (edm, upbeat) are in no
playlist; 700 has no content at all; 5 is hidden. Word2Vec runs with one worker and a fixed seed: deterministic.
No database.
"""
from __future__ import annotations

import numpy as np
import pytest

from recommendations.engines import MessageKind, Reason, ReasonKind
from recommendations.engines.features import CatalogSnapshot
from recommendations.engines.neighbours import PlaylistIndex
from recommendations.engines.situations import DEFAULT_VOCABULARY, TitleIndex, Vocabulary, terms, words
from recommendations.engines.song2vec.engine import Song2VecEngine, Song2VecWeights
from recommendations.engines.song2vec.placement import NOT_PLACED, PLACED_BY_CONTENT, PLACED_BY_PLAYLISTS
from recommendations.engines.song2vec.vectors import Word2VecParams

GROUP_A, GROUP_B = list(range(1, 21)), list(range(101, 121))
NEW_FOLK, NEW_EDM, NO_CONTENT, HIDDEN = 500, 600, 700, 5
CALM, UPBEAT = (0.30, 0.20, 0.30, 70.0, 0.90), (0.85, 0.90, 0.70, 170.0, 0.05)
NAN5 = (float("nan"),) * 5
A_NAMES = ("study", "focus", "late night study", "deep focus")
B_NAMES = ("workout", "gym", "party hard", "pregame")
TEST_PARAMS = Word2VecParams(workers=1, seed=1)


def tiny_playlists() -> list[tuple[str, list[int]]]:
    rng = np.random.default_rng(0)
    playlists = []
    for i in range(30):
        playlists.append((A_NAMES[i % 4], [int(t) for t in rng.choice(GROUP_A, 10, replace=False)]))
        playlists.append((B_NAMES[i % 4], [int(t) for t in rng.choice(GROUP_B, 10, replace=False)]))
    return playlists


def tiny_catalog() -> CatalogSnapshot:
    ids = [*GROUP_A, *GROUP_B, NEW_FOLK, NEW_EDM, NO_CONTENT]
    return CatalogSnapshot(
        track_ids=np.array(ids),
        features=np.array([CALM] * 20 + [UPBEAT] * 20 + [CALM, UPBEAT, NAN5]),
        genres=[["folk"]] * 20 + [["edm"]] * 20 + [["folk"], ["edm"], []],
        artist_names=["Joni"] * 20 + ["Neil Diamond"] * 20 + ["New Folk", "New EDM", ""],
        hidden=np.array([pk == HIDDEN for pk in ids]),
    )


@pytest.fixture(scope="module")
def engine() -> Song2VecEngine:
    return Song2VecEngine.fit(tiny_playlists(), tiny_catalog(), params=TEST_PARAMS)


def ids(answer) -> list[int]:
    return [r.track_id for r in answer.recommendations]


def full_ranking(engine: Song2VecEngine, **query) -> list[int]:
    return engine.ranked_track_ids(k=len(engine), **query).tolist()


# ------------------------------------------------------------------------------------------------ vectors


def test_a_seed_from_one_group_recommends_that_group(engine):
    answer = engine.recommend(seed_ids=[1, 2, 3], k=10)

    assert len(ids(answer)) == 10
    assert set(ids(answer)) <= set(GROUP_A) - {1, 2, 3, HIDDEN}
    assert answer.fallback is False and answer.message is None
    assert answer.recommendations[0].reason == (Reason(ReasonKind.WITH_YOUR_TRACKS),)


def test_vectors_separate_the_groups(engine):
    rows_a, rows_b = np.searchsorted(engine.track_ids, GROUP_A), np.searchsorted(engine.track_ids, GROUP_B)
    centre_a = engine.vectors[rows_a].mean(axis=0)
    assert (engine.vectors[rows_a] @ centre_a).min() > (engine.vectors[rows_b] @ centre_a).max()


def test_hidden_and_seed_tracks_are_never_recommended(engine):
    ranking = full_ranking(engine, seed_ids=[1, 2])

    assert HIDDEN not in ranking and 1 not in ranking and 2 not in ranking
    assert HIDDEN not in ids(engine.recommend(situation="study", k=40))


def test_a_track_in_no_playlist_is_placed_by_content_near_its_look_alikes(engine):
    placement = dict(zip(engine.track_ids.tolist(), engine.placement.tolist(), strict=True))
    assert placement[1] == placement[101] == PLACED_BY_PLAYLISTS
    assert placement[NEW_FOLK] == placement[NEW_EDM] == PLACED_BY_CONTENT
    assert placement[NO_CONTENT] == NOT_PLACED

    ranking = full_ranking(engine, seed_ids=[1, 2, 3])
    # After the folk tracks that share playlists with the seeds, before every edm track.
    assert ranking.index(NEW_FOLK) < min(ranking.index(track) for track in GROUP_B)
    assert ranking.index(NEW_EDM) > ranking.index(NEW_FOLK)
    assert NO_CONTENT not in ranking
    new_folk = next(r for r in engine.recommend(seed_ids=[1, 2, 3], k=30).recommendations if r.track_id == NEW_FOLK)
    assert new_folk.reason == (Reason(ReasonKind.CLOSE_TO_YOUR_TRACKS), Reason(ReasonKind.PLACED_BY_CONTENT))


def test_refitting_to_the_same_catalog_changes_no_answer(engine):
    again = engine.with_catalog(tiny_catalog())

    assert again.track_ids.tolist() == engine.track_ids.tolist()
    assert np.allclose(again.vectors, engine.vectors) and again.placement.tolist() == engine.placement.tolist()
    for query in ({"seed_ids": [1, 2, 3]}, {"situation": "study"}, {"situation": "코딩할 때"}):
        assert full_ranking(again, **query) == full_ranking(engine, **query)


def test_new_releases_join_without_retraining_and_keep_the_old_rows_working(engine):
    """Ids below and above the model's own (row numbers shift) with content, and a newly hidden track."""
    catalog = tiny_catalog()
    newer = CatalogSnapshot(
        track_ids=np.concatenate([[0], catalog.track_ids, [900]]),
        features=np.vstack([[UPBEAT], catalog.features, [CALM]]),
        genres=[["edm"], *catalog.genres, ["folk"]],
        artist_names=["Early EDM", *catalog.artist_names, "Late Folk"],
        hidden=np.concatenate([[False], [pk in (HIDDEN, 7) for pk in catalog.track_ids.tolist()], [False]]),
    )

    refitted = engine.with_catalog(newer)

    placement = dict(zip(refitted.track_ids.tolist(), refitted.placement.tolist(), strict=True))
    assert placement[0] == placement[900] == PLACED_BY_CONTENT and placement[1] == PLACED_BY_PLAYLISTS
    ranking = full_ranking(refitted, seed_ids=[1, 2, 3])
    assert ranking.index(900) < min(ranking.index(track) for track in GROUP_B) < ranking.index(0)
    assert 7 not in ranking and HIDDEN not in ranking
    assert set(ids(refitted.recommend(seed_ids=[101, 102], k=10))) <= set(GROUP_B) | {0, NEW_EDM}
    by_artist = refitted.recommend(situation="songs by Late Folk", k=5)
    assert by_artist.artists == ["late folk"] and 900 in ids(by_artist)  # the artist index knows new names


def test_unknown_seeds_fall_back_to_popular_tracks(engine):
    answer = engine.recommend(seed_ids=[999_999], k=3)

    assert answer.fallback is True
    assert answer.message == Reason(MessageKind.SEEDS_UNKNOWN)
    assert [r.reason for r in answer.recommendations] == [(Reason(ReasonKind.POPULAR_IN_PLAYLISTS),)] * 3


# ---------------------------------------------------------------------------------------------- situations


def test_korean_situation_reaches_study_playlists_through_the_vocabulary(engine):
    answer = engine.recommend(situation="코딩할 때 듣기 좋은 음악", k=10)

    assert answer.situations == ["focus"]
    assert set(answer.playlists) <= set(A_NAMES) and answer.playlists
    assert set(ids(answer)) <= set(GROUP_A)
    assert answer.fallback is False
    assert answer.recommendations[0].reason == (Reason(ReasonKind.IN_PLAYLISTS, {"playlists": answer.playlists}),)


def test_english_synonym_reaches_the_same_playlists(engine):
    assert set(ids(engine.recommend(situation="music for coding", k=10))) <= set(GROUP_A)
    assert set(ids(engine.recommend(situation="헬스장에서 운동할 때", k=10))) <= set(GROUP_B)


def test_unknown_situation_says_so_and_falls_back_to_popular_tracks(engine):
    answer = engine.recommend(situation="xyzzy", k=5)

    assert answer.fallback is True
    assert answer.message == Reason(MessageKind.SITUATION_NO_MATCH, {"text": "xyzzy", "instead": "popular"})
    in_playlists = dict(zip(engine.track_ids.tolist(), engine.prior.tolist(), strict=True))  # ln(1 + playlists)
    fifth_best = sorted((v for t, v in in_playlists.items() if t != HIDDEN), reverse=True)[4]
    assert all(in_playlists[track] >= fifth_best for track in ids(answer))
    assert answer.playlists == [] and answer.situations == []


def test_unknown_situation_with_seeds_uses_the_seeds(engine):
    answer = engine.recommend(situation="xyzzy", seed_ids=[101], k=5)

    assert answer.fallback is True
    assert answer.message == Reason(MessageKind.SITUATION_NO_MATCH, {"text": "xyzzy", "instead": "seeds"})
    assert set(ids(answer)) <= set(GROUP_B)


def test_a_situation_naming_an_artist_recommends_their_songs(engine):
    answer = engine.recommend(situation="Neil Diamond", k=5)

    assert answer.artists == ["neil diamond"]
    assert set(ids(answer)) <= set(GROUP_B)
    assert answer.recommendations[0].reason == (Reason(ReasonKind.BY_ARTIST, {"artist": "neil diamond"}),)


def test_situation_and_seeds_together(engine):
    answer = engine.recommend(situation="study", seed_ids=[1], k=5, exclude_ids=[12])

    assert set(ids(answer)) <= set(GROUP_A) - {1, 12}
    assert answer.recommendations[0].reason[0] == Reason(ReasonKind.IN_PLAYLISTS, {"playlists": answer.playlists})


def test_reroll_gives_another_list_from_the_best_candidates(engine):
    first = engine.recommend(situation="study", k=5, reroll_seed=1)
    again = engine.recommend(situation="study", k=5, reroll_seed=1)

    assert ids(first) == ids(again)
    assert set(ids(first)) <= set(GROUP_A)


# -------------------------------------------------------------------------------------------- persistence


def test_save_then_load_memory_mapped_gives_the_same_answers(engine, tmp_path):
    engine.save(tmp_path / "song2vec")
    loaded = Song2VecEngine.load(tmp_path / "song2vec", mmap=True)

    assert isinstance(loaded.vectors, np.ndarray)
    for query in ({"seed_ids": [1, 2]}, {"situation": "코딩할 때"}, {"situation": "neil diamond"}, {"situation": "x"}):
        assert engine.recommend(k=15, **query) == loaded.recommend(k=15, **query)
    assert loaded.weights == engine.weights and loaded.params == engine.params


def test_one_worker_training_is_deterministic(engine):
    again = Song2VecEngine.fit(tiny_playlists(), tiny_catalog(), params=TEST_PARAMS)

    np.testing.assert_array_equal(again.vectors, engine.vectors)


def test_fit_without_a_catalog_uses_the_playlists_tracks():
    engine = Song2VecEngine.fit(tiny_playlists(), params=Word2VecParams(workers=1, epochs=5))

    assert engine.track_ids.tolist() == [*GROUP_A, *GROUP_B]
    assert set(ids(engine.recommend(seed_ids=[101], k=5))) <= set(GROUP_B)


def test_fit_needs_a_playlist_with_tracks():
    with pytest.raises(ValueError, match="at least one playlist"):
        Song2VecEngine.fit([("empty", [])])


def test_weights_pick_the_halves_of_the_score(engine):
    neighbours = engine.with_weights(Song2VecWeights.neighbours_only())
    vectors_only = engine.with_weights(Song2VecWeights.word2vec_only())

    assert set(ids(neighbours.recommend(seed_ids=[1], k=5))) <= set(GROUP_A)
    assert set(ids(vectors_only.recommend(seed_ids=[1], k=5))) <= {*GROUP_A, NEW_FOLK}
    assert engine.weights == Song2VecWeights()  # the original is untouched


# ------------------------------------------------------------------------------------ text and co-occurrence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chilllll vibes 🔥🔥", ["chill", "vibe", "🔥", "@chill", "@party"]),
        ("STUDYING!!", ["studying", "@focus"]),
        ("코딩할 때 듣기 좋은 음악", ["코딩", "@focus"]),
        ("비 오는 날 드라이브", ["비", "오", "날", "드라이브", "@rain", "@drive"]),
        ("summer2016", ["summer", "2016", "@summer"]),
        ("Rock en Español", ["rock", "en", "espanol"]),
        ("xyzzy", ["xyzzy"]),
    ],
)
def test_titles_and_situations_become_terms(text, expected):
    assert terms(text, Vocabulary(DEFAULT_VOCABULARY)) == expected


def test_stop_words_and_plurals():
    assert words("The Best Songs of throwbacks") == ["throwback"]
    assert words("xmas jamz") == ["xmas", "jam"]


def test_title_index_weights_rare_shared_terms_and_fuzzy_words():
    names = ["study", "study", "chill study", "christmas", "workout", "gym"]
    index = TitleIndex.build(names, Vocabulary(DEFAULT_VOCABULARY))

    coding = index.match("coding", limit=10)
    assert sorted(coding.playlists.tolist()) == [0, 1, 2]  # through @focus only
    assert coding.situations == ["focus"]
    typo = index.match("chrismas", limit=10)
    assert typo.playlists.tolist() == [3] and typo.unknown_words == []
    assert index.match("xyzzy", limit=10).unknown_words == ["xyzzy"]
    exact = index.match("gym", limit=10)
    assert exact.playlists.tolist() == [5, 4]  # the word and @workout, then @workout alone


def test_playlist_neighbour_scores_by_hand():
    # Playlists: 0 = [0, 1, 2], 1 = [0, 3], 2 = [4]; tracks 0..4.
    index = PlaylistIndex.build([[0, 1, 2, 1], [0, 3], [4]], n_tracks=5)

    assert index.tracks_of(0).tolist() == [0, 1, 2]  # a repeat counts once
    # Seed 0 is in 2 playlists: weight 1/sqrt(2) each, divided by sqrt(length) 3 and 2.
    w0, w1 = 2**-0.5 / 3**0.5, 2**-0.5 / 2**0.5
    expected = np.array([w0 + w1, w0, w0, w1, 0.0]) / (w0 + w1)
    np.testing.assert_allclose(index.seed_scores(np.array([0])), expected, rtol=1e-6)
    assert not index.seed_scores(np.array([4]))[:4].any()
