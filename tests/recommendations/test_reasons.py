"""Every kind of reason has words in English and Korean (recommendations.reasons), with its values interpolated."""
from __future__ import annotations

import re

import pytest
from django.utils import translation

from recommendations.engines import MessageKind, Reason, ReasonKind, reason_parts_from_json, reason_parts_json
from recommendations.engines.clusters import ClusterProfile
from recommendations.engines.situations import DEFAULT_VOCABULARY
from recommendations.reasons import (
    RENDERINGS,
    cluster_name,
    cluster_profile_description,
    cluster_profile_name,
    reason_json,
    reason_text,
    situation_word,
    situation_words,
    stored_reason_text,
)

HYPE_BOY = {"title": "Hype Boy", "artist": "NewJeans"}
# One example per kind, with the data its words must show (names stay as they are).
SAMPLES: dict[str, tuple[dict, list[str]]] = {
    ReasonKind.SAME_GENRES: (
        {"favourite": HYPE_BOY, "genres": ["k-pop", "dance pop"]},
        ["Hype Boy", "NewJeans", "k-pop"],
    ),
    ReasonKind.CLOSE_GENRES: ({"favourite": HYPE_BOY, "genres": ["k-pop"]}, ["Hype Boy", "k-pop"]),
    ReasonKind.OTHER_GENRES: ({"favourite": {"title": "Ditto", "artist": ""}}, ["Ditto"]),
    ReasonKind.GENRES_UNKNOWN: ({}, []),
    ReasonKind.SIMILAR_FEATURES: ({"features": ["tempo", "energy"]}, []),
    ReasonKind.SOUNDS_LIKE: ({"favourite": HYPE_BOY, "features": ["valence"]}, ["Hype Boy"]),
    ReasonKind.FEATURES_UNKNOWN: ({}, []),
    ReasonKind.FITS_FILTERS: ({"choices": ["bright", "fast", "depressed"]}, []),
    ReasonKind.NEXT_BEST: ({}, []),
    ReasonKind.CLOSEST_TO_FILTERS: ({}, []),
    ReasonKind.POPULAR_IN_CATALOG: ({}, []),
    ReasonKind.RELEASED: ({"date": "2026-11-20"}, ["2026", "20"]),
    ReasonKind.RELEASE_UNKNOWN: ({}, []),
    ReasonKind.CLUSTER_SHARE: (
        {"cluster": 0, "traits": ["fast", "energetic", "danceable"], "genres": ["k-pop"], "share": 0.52,
         "of": "playlist"},  # fmt: skip
        ["52%", "k-pop"],
    ),
    ReasonKind.CLUSTER_FILLING: ({"cluster": 2, "traits": ["calm"], "genres": []}, []),
    ReasonKind.PLACED_BY_GENRE: ({}, []),
    ReasonKind.IN_PLAYLISTS: ({"playlists": ["Rainy Day", "비 오는 날"]}, ["“Rainy Day”", "“비 오는 날”"]),
    ReasonKind.LIKE_PLAYLISTS: ({"playlists": ["Study"]}, ["“Study”"]),
    ReasonKind.BY_ARTIST: ({"artist": "IU"}, ["IU"]),
    ReasonKind.GOES_WITH_ARTIST: ({"artist": "IU"}, ["IU"]),
    ReasonKind.WITH_YOUR_TRACKS: ({}, []),
    ReasonKind.CLOSE_TO_YOUR_TRACKS: ({}, []),
    ReasonKind.PLACED_BY_CONTENT: ({}, []),
    ReasonKind.POPULAR_IN_PLAYLISTS: ({}, []),
    ReasonKind.KEPT_WITH_YOURS: ({}, []),
    ReasonKind.KEPT_BY_MANY: ({}, []),
    ReasonKind.PLAYLISTS_CALLED: ({"terms": ["rain", "drive"]}, ["“rain”", "“drive”"]),
    ReasonKind.WORDS_LIKE_YOURS: ({}, []),
    ReasonKind.COMMON_IN_PLAYLISTS: ({}, []),
    ReasonKind.BLEND_SIGNAL: ({"signal": "cf"}, []),
    ReasonKind.FROM_PLAYLIST: ({"playlist": "Road Trip"}, ["“Road Trip”"]),
    ReasonKind.RESEMBLES_LIKED: ({"favourite": HYPE_BOY}, ["Hype Boy"]),
    MessageKind.SITUATION_NO_MATCH: ({"text": "xyzzy", "instead": "popular"}, ["“xyzzy”"]),
    MessageKind.SEEDS_UNKNOWN: ({}, []),
    MessageKind.CF_SEEDS_UNKNOWN: ({}, []),
    MessageKind.TERMS_NO_MATCH: ({"text": "zzqx"}, ["“zzqx”"]),
}
ALL_KINDS = [*ReasonKind, *MessageKind]


def english_words(text: str, data: list[str]) -> list[str]:
    """Latin words of two letters or more left in a text once its data (names, genres, dates) is taken out."""
    for value in ["NewJeans", "Hype Boy", "Ditto", "k-pop", "dance pop", "Rainy Day", "Study", "IU", "rain", "drive",
                  "Road Trip", "xyzzy", "zzqx", "study", "rainy day", "workout", *data]:  # fmt: skip
        text = text.replace(value, "")
    return re.findall(r"[A-Za-z]{2,}", text)


def test_every_kind_has_words_and_an_example():
    assert set(RENDERINGS) == set(ALL_KINDS)
    assert set(SAMPLES) == set(ALL_KINDS)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=str)
def test_each_kind_reads_in_english_and_korean_with_its_values(kind):
    values, shown = SAMPLES[kind]
    with translation.override("en"):
        english = reason_text([Reason(kind, values)])
    with translation.override("ko"):
        korean = reason_text([Reason(kind, values)])

    assert english and korean and english != korean
    assert all(value in english and value in korean for value in shown)
    assert english_words(korean, shown) == [], korean
    assert re.search("[가-힣]", korean)


def test_a_reason_of_several_parts_reads_as_one_line_in_the_active_language():
    parts = (
        Reason(ReasonKind.SAME_GENRES, {"favourite": HYPE_BOY, "genres": ["k-pop"]}),
        Reason(ReasonKind.SIMILAR_FEATURES, {"features": ["tempo", "acousticness"]}),
    )
    with translation.override("en"):
        assert reason_text(parts) == "same genres as “Hype Boy” by NewJeans: k-pop; similar tempo and acousticness"
    with translation.override("ko"):
        assert reason_text(parts) == "NewJeans의 “Hype Boy”처럼 k-pop 장르; 비슷한 템포, 어쿠스틱 정도"


def test_a_stored_reason_reads_in_the_language_of_the_reader_and_old_rows_keep_their_text():
    stored = reason_parts_json([Reason(ReasonKind.POPULAR_IN_CATALOG)])
    assert reason_parts_from_json(stored) == (Reason(ReasonKind.POPULAR_IN_CATALOG),)
    with translation.override("en"):
        assert stored_reason_text(stored) == "popular in the catalog"
    with translation.override("ko"):
        assert stored_reason_text(stored) == "카탈로그에서 인기 있는 곡"
        assert stored_reason_text([], "same genres as Song 1") == "same genres as Song 1"
        assert stored_reason_text([{"kind": "no_longer_a_kind", "values": {}}], "old") == "old"


def test_api_form_has_kind_values_and_text():
    with translation.override("ko"):
        (part,) = reason_json([Reason(ReasonKind.BY_ARTIST, {"artist": "IU"})])
    assert part == {"kind": "by_artist", "values": {"artist": "IU"}, "text": "IU의 곡"}


def test_unknown_kinds_are_refused_by_the_engines_contract():
    with pytest.raises(ValueError, match="unknown reason kind"):
        Reason("same genres as Song 1")


@pytest.mark.parametrize(
    ("traits", "genres", "english", "korean"),
    [
        (["fast", "energetic", "danceable"], ["k-pop"], "fast, upbeat dance · k-pop", "빠르고 신나는 댄스 · k-pop"),
        (["acoustic", "dark", "calm"], [], "acoustic, dark, calm songs", "어쿠스틱하고 어둡고 차분한 곡"),
        (["danceable"], ["edm"], "dance · edm", "댄스 · edm"),
        ([], ["jazz"], "average-sounding songs · jazz", "무난한 느낌의 곡 · jazz"),
    ],
)
def test_clusters_are_named_by_their_profile_in_both_languages(traits, genres, english, korean):
    with translation.override("en"):
        assert cluster_name(traits, genres) == english
    with translation.override("ko"):
        assert cluster_name(traits, genres) == korean


def test_a_cluster_profile_has_a_name_and_its_genres_in_words():
    profile = ClusterProfile(
        index=0, size=3, mean_features={}, top_genres=["k-pop", "dance pop"], traits=["slow", "bright"],
        description="slow, bright; mostly k-pop, dance pop",
    )  # fmt: skip
    with translation.override("ko"):
        assert cluster_profile_name(profile) == "느리고 밝은 곡 · k-pop"
        assert cluster_profile_description(profile) == "주로 k-pop, dance pop"


def test_every_situation_the_engine_understands_has_korean_words():
    with translation.override("ko"):
        korean = {key: situation_word(key) for key in DEFAULT_VOCABULARY}
    with translation.override("en"):
        assert situation_words(["focus", "rain"]) == "focus, rain"

    assert [key for key, word in korean.items() if not re.search("[가-힣]", word)] == []
    assert korean["rain"] == "비"
