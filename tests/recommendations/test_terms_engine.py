"""The term model (engines.terms): per-track term weights from playlist names and genres, texts scored against them."""
from __future__ import annotations

import numpy as np
import pytest

from recommendations.engines import MessageKind, Reason, ReasonKind
from recommendations.engines.features import AUDIO_FEATURES, CatalogSnapshot
from recommendations.engines.terms import TermEngine

STUDY = [1, 2, 3, 4]
RAIN = [11, 12, 13, 14]
WORKOUT = [21, 22, 23, 24]
PLAYLISTS = [
    ("Study time", STUDY),
    ("STUDYING!!", STUDY[:3]),
    ("focus 📚", STUDY[1:]),
    ("rainy day", RAIN),
    ("rain rain", RAIN[:2]),
    ("workout", WORKOUT),
    ("gym pump up", WORKOUT[1:]),
]


@pytest.fixture(scope="module")
def engine() -> TermEngine:
    return TermEngine.fit(PLAYLISTS)


def test_a_korean_situation_reaches_the_tracks_of_english_study_playlists(engine):
    answer = engine.recommend(text="코딩할 때 듣기 좋은 음악", k=4)
    assert {r.track_id for r in answer.recommendations} == set(STUDY)
    assert "@focus" in answer.terms
    assert answer.recommendations[0].reason == (Reason(ReasonKind.PLAYLISTS_CALLED, {"terms": ["focus"]}),)


def test_words_shared_with_playlist_names_rank_their_tracks(engine):
    answer = engine.recommend(text="music for a rainy drive", k=2)
    assert {r.track_id for r in answer.recommendations} <= set(RAIN)
    assert not answer.fallback


def test_a_track_has_its_top_terms_with_weights(engine):
    terms = dict(engine.top_terms(2, 10))
    assert {"study", "@focus", "focus"} <= set(terms)
    assert terms["@focus"] == max(terms.values())
    assert sum(terms.values()) == pytest.approx(1.0)


def test_seeds_without_a_title_find_tracks_with_the_same_terms(engine):
    answer = engine.recommend(seed_ids=[21, 22], k=2)
    assert {r.track_id for r in answer.recommendations} == {23, 24}


def test_artist_genres_are_terms_too():
    catalog = CatalogSnapshot(
        track_ids=[*STUDY, *RAIN, *WORKOUT, 31],
        features=np.full((13, len(AUDIO_FEATURES)), np.nan),
        genres=[()] * 12 + [("korean worship",)],
    )
    engine = TermEngine.fit(PLAYLISTS, catalog)
    answer = engine.recommend(text="찬양", k=1)  # Korean for worship: reaches the genre's situation
    assert [r.track_id for r in answer.recommendations] == [31]


def test_a_text_with_no_known_term_says_so_and_gives_common_songs(engine):
    answer = engine.recommend(text="zzqx", k=3)
    assert answer.fallback and answer.message == Reason(MessageKind.TERMS_NO_MATCH, {"text": "zzqx"})
    assert len(answer.recommendations) == 3


def test_saved_model_loads_memory_mapped_and_answers_the_same(engine, tmp_path):
    engine.save(tmp_path)
    loaded = TermEngine.load(tmp_path, mmap=True)
    assert isinstance(loaded.by_term.data, np.memmap)
    text = "rainy day workout"
    assert loaded.recommend(text=text, k=5).recommendations == engine.recommend(text=text, k=5).recommendations
