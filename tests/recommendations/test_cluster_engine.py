"""ClusterEngine on a tiny catalog of three obvious sound groups (k=3), plus edge cases. No database."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from recommendations.engines import Reason, ReasonKind
from recommendations.engines.clusters import ClusterEngine, largest_remainder
from recommendations.engines.content import ContentEngine
from recommendations.engines.features import CatalogSnapshot

NAN = float("nan")
UPBEAT, CALM, MIDDLE = (0.85, 0.90, 0.70, 170.0, 0.05), (0.30, 0.20, 0.30, 70.0, 0.90), (0.50, 0.55, 0.50, 115.0, 0.40)
KPOP, FOLK, INDIE = ["k-pop", "dance pop"], ["folk"], ["indie rock"]


def track(pk: int, sound: tuple[float, ...], genres: list[str], released: date | None, **extra) -> dict:
    wobble = 1 + 0.01 * (pk % 5)  # near-identical tracks, still distinct
    features = tuple(value * wobble for value in sound)
    return {"pk": pk, "features": features, "genres": genres, "released": released, **extra}


TRACKS = [
    *(track(pk, UPBEAT, KPOP, date(2024, 1, 1) + timedelta(days=pk)) for pk in range(1, 9)),  # 8: 2024-01-09
    track(9, (NAN,) * 5, KPOP, date(2024, 2, 1)),  # no features: placed by genre, the newest upbeat track
    track(10, UPBEAT, KPOP, date(2024, 3, 1), hidden=True),
    track(11, (NAN,) * 5, [], date(2024, 3, 1)),  # neither features nor genres: in no cluster
    track(12, UPBEAT, KPOP, None),  # release date unknown: last in its cluster
    track(13, UPBEAT, KPOP, date(2030, 1, 1)),  # a typo'd future date
    *(track(pk, CALM, FOLK, date(2023, 6, 1) + timedelta(days=pk)) for pk in range(21, 27)),
    *(track(pk, MIDDLE, INDIE, date(2022, 1, 1) + timedelta(days=pk)) for pk in range(41, 45)),
]
TODAY = date(2025, 1, 1)


def tiny_catalog() -> CatalogSnapshot:
    return CatalogSnapshot(
        track_ids=np.array([t["pk"] for t in TRACKS]),
        features=np.array([t["features"] for t in TRACKS]),
        genres=[t["genres"] for t in TRACKS],
        release_ordinal=np.array([t["released"].toordinal() if t["released"] else 0 for t in TRACKS]),
        popularity=np.full(len(TRACKS), NAN),
        hidden=np.array([t.get("hidden", False) for t in TRACKS]),
    )


@pytest.fixture(scope="module")
def engine() -> ClusterEngine:
    return ClusterEngine.fit(tiny_catalog(), n_clusters=3)


def ids(answer) -> list[int]:
    return [r.track_id for r in answer.recommendations]


def test_clusters_are_numbered_largest_first(engine):
    # Upbeat: 1-8, 12, 13, hidden 10 (it still shapes the clusters) and featureless 9 (placed by genre).
    assert [profile.size for profile in engine.profiles] == [12, 6, 4]


def test_shares_three_to_one_split_newest_first_without_the_playlist(engine):
    answer = engine.recommend([1, 2, 3, 21], k=4, released_by=TODAY)

    assert answer.shares == [0.75, 0.25, 0.0]
    assert ids(answer) == [9, 8, 7, 26]  # 3 newest upbeat, 1 newest calm; hidden 10 and future 13 skipped
    upbeat, calm = engine.profiles[0], engine.profiles[1]
    assert upbeat.traits == ["danceable", "fast", "energetic"] and calm.traits == ["acoustic", "dark", "calm"]
    assert answer.recommendations[0].reason == (
        Reason(ReasonKind.RELEASED, {"date": "2024-02-01"}),
        Reason(
            ReasonKind.CLUSTER_SHARE,
            {"cluster": 0, "traits": upbeat.traits, "genres": upbeat.top_genres[:1], "share": 0.75, "of": "playlist"},
        ),
        Reason(ReasonKind.PLACED_BY_GENRE),
    )
    assert answer.recommendations[3].reason == (
        Reason(ReasonKind.RELEASED, {"date": "2023-06-27"}),
        Reason(
            ReasonKind.CLUSTER_SHARE,
            {"cluster": 1, "traits": calm.traits, "genres": calm.top_genres[:1], "share": 0.25, "of": "playlist"},
        ),
    )


def test_future_releases_are_kept_unless_a_release_day_is_given(engine):
    assert ids(engine.recommend([1], k=2)) == [13, 9]


def test_excluded_tracks_are_skipped(engine):
    assert ids(engine.recommend([1, 2, 3, 21], k=4, exclude_ids=[9, 8, 26], released_by=TODAY)) == [7, 6, 5, 25]


def test_track_with_neither_features_nor_genres_belongs_to_no_cluster(engine):
    answer = engine.recommend([11], k=6, released_by=TODAY)

    assert answer.shares == [0.0, 0.0, 0.0]
    # Unknown taste: the catalog's own proportions (11 : 6 : 4 visible tracks -> 3 : 2 : 1 seats), newest first.
    assert ids(answer) == [9, 8, 7, 26, 25, 44]
    share, placed = answer.recommendations[0].reason[1:]
    assert (share.kind, share.values["share"], share.values["of"]) == (ReasonKind.CLUSTER_SHARE, 0.5238, "catalog")
    assert placed == Reason(ReasonKind.PLACED_BY_GENRE)
    assert 11 not in ids(engine.recommend([1], k=100))


def test_seats_of_an_exhausted_cluster_go_to_the_others(engine):
    answer = engine.recommend([41, 42, 43, 44], k=3, released_by=TODAY)

    assert answer.shares == [0.0, 0.0, 1.0]
    assert ids(answer) == [9, 8, 7]
    assert answer.recommendations[1].reason[1].kind == ReasonKind.CLUSTER_FILLING


def test_profiles_describe_clusters_in_words(engine):
    upbeat, calm, middle = engine.profiles

    assert upbeat.description == "danceable, fast, energetic; mostly dance pop, k-pop"
    assert calm.description == "acoustic, dark, calm; mostly folk"
    assert middle.description == "hard to dance to; mostly indie rock"  # next to the upbeat majority
    assert calm.mean_features["tempo"] == pytest.approx(70 * 1.02, abs=1)
    assert upbeat.top_genres == ["dance pop", "k-pop"]


@pytest.mark.parametrize(
    ("weights", "k", "seats"),
    [
        ([0.75, 0.25, 0.0], 4, [3, 1, 0]),
        ([1 / 3, 1 / 3, 1 / 3], 4, [2, 1, 1]),
        ([0.5, 0.5], 3, [2, 1]),
        ([0.1, 0.2, 0.3, 0.4], 10, [1, 2, 3, 4]),
        ([0.0, 0.0], 5, [0, 0]),
    ],
)
def test_largest_remainder_allocation(weights, k, seats):
    assert largest_remainder(np.array(weights), k).tolist() == seats


def test_save_then_memory_mapped_load_gives_identical_answers(engine, tmp_path):
    engine.save(tmp_path / "clusters")
    loaded = ClusterEngine.load(tmp_path / "clusters", mmap=True)

    assert not loaded.cluster_rows.flags.writeable
    for playlist in ([1, 2, 3, 21], [41], [11]):
        assert loaded.recommend(playlist, k=5, released_by=TODAY) == engine.recommend(playlist, k=5, released_by=TODAY)


def test_load_refuses_another_engines_artifact(engine, tmp_path):
    engine.save(tmp_path / "clusters")

    with pytest.raises(ValueError, match="'clusters' artifact"):
        ContentEngine.load(tmp_path / "clusters")
    with pytest.raises(FileNotFoundError):
        ClusterEngine.load(tmp_path / "missing")


def test_fit_needs_enough_tracks_with_features():
    with pytest.raises(ValueError, match="at least 50 tracks"):
        ClusterEngine.fit(tiny_catalog(), n_clusters=50)


def test_large_catalog_five_clusters_by_default():
    n = 20_000
    rng = np.random.default_rng(0)
    catalog = CatalogSnapshot(
        track_ids=np.arange(1, n + 1),
        features=rng.random((n, 5)) * [1, 1, 1, 150, 1] + [0, 0, 0, 60, 0],
        genres=[[f"genre {g}"] for g in rng.integers(40, size=n)],
        release_ordinal=rng.integers(730_000, 740_000, size=n),
    )
    engine = ClusterEngine.fit(catalog)

    answer = engine.recommend(np.arange(1, 300), k=10)

    assert engine.n_clusters == len(answer.shares) == 5
    assert sum(answer.shares) == pytest.approx(1.0)
    assert len(answer.recommendations) == 10
    assert sum(profile.size for profile in engine.profiles) == n
    assert engine.memory_bytes() < 40 * n
