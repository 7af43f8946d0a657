"""The demo catalog generator (ingestion.demo): deterministic, realistic per genre, coherent per situation."""
import dataclasses
import datetime as dt
import hashlib
import itertools
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.demo import GENRES, THEME_BY_KEY, THEMES, DemoCatalog, demo_catalog_generate
from ingestion.models import FEATURE_FIELDS, FEATURE_RANGES

TODAY = dt.date(2026, 11, 1)
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalog() -> DemoCatalog:
    return demo_catalog_generate(scale=1.0, today=TODAY)


def _mean(catalog: DemoCatalog, genre: str, feature: str) -> float:
    return statistics.fmean(t.features[feature] for t in catalog.tracks if t.genre == genre and t.features)


def _theme_mean(catalog: DemoCatalog, theme: str, feature: str) -> float:
    entries = (catalog.tracks[i] for p in catalog.playlists if p.theme == theme for i in p.tracks)
    return statistics.fmean(t.features[feature] for t in entries if t.features)


def test_same_arguments_give_an_equal_catalog(catalog):
    assert demo_catalog_generate(scale=1.0, today=TODAY) == catalog


def test_catalog_does_not_depend_on_the_hash_seed_nor_on_django():
    code = (
        "import datetime, hashlib, sys; from ingestion.demo import demo_catalog_generate; "
        "c = demo_catalog_generate(scale=0.1, today=datetime.date(2026, 11, 1)); "
        "assert 'django' not in sys.modules; print(hashlib.sha256(repr(c).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code], cwd=PROJECT, env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True, text=True, check=True,
        ).stdout
        for seed in ("1", "2")
    }
    here = hashlib.sha256(repr(demo_catalog_generate(scale=0.1, today=TODAY)).encode()).hexdigest()
    assert digests == {here + "\n"}


def test_only_release_dates_follow_today():
    later = demo_catalog_generate(scale=0.1, today=TODAY + dt.timedelta(days=100))
    earlier = demo_catalog_generate(scale=0.1, today=TODAY)
    assert later.tracks == earlier.tracks and later.playlists == earlier.playlists
    assert later.artists == earlier.artists
    pairs = zip(earlier.albums, later.albums, strict=True)
    day_precision = [(a, b) for a, b in pairs if a.release_date_precision == "day"]
    assert all(b.release_date - a.release_date == dt.timedelta(days=100) for a, b in day_precision)
    assert [dataclasses.replace(a, release_date=TODAY) for a in earlier.albums] == [
        dataclasses.replace(b, release_date=TODAY) for b in later.albums
    ]


def test_full_scale_has_the_promised_size(catalog):
    assert (len(catalog.tracks), len(catalog.artists), len(catalog.genres), len(catalog.playlists)) == (
        3000, 300, 25, 1000,
    )
    assert {"k-pop", "ballad", "hip hop", "indie", "edm", "jazz", "classical"} <= set(catalog.genres)


def test_small_scale_keeps_the_shape():
    small = demo_catalog_generate(scale=0.1, today=TODAY)
    assert (len(small.tracks), len(small.artists), len(small.playlists)) == (300, 30, 100)
    assert {a.genres[0] for a in small.artists} == {g.name for g in GENRES}
    assert {p.theme for p in small.playlists} == {t.key for t in THEMES}


@pytest.mark.parametrize("scale", [0, -1, 10.5])
def test_scale_out_of_range_is_refused(scale):
    with pytest.raises(ValueError, match="scale"):
        demo_catalog_generate(scale=scale, today=TODAY)


def test_genres_differ_the_way_real_ones_do(catalog):
    assert _mean(catalog, "classical", "acousticness") > 0.85 > 0.1 > _mean(catalog, "edm", "acousticness")
    assert _mean(catalog, "classical", "instrumentalness") > 0.7
    assert _mean(catalog, "edm", "energy") > 0.8 > 0.4 > _mean(catalog, "ballad", "energy")
    assert 124 < _mean(catalog, "edm", "tempo") < 131
    assert _mean(catalog, "ballad", "tempo") < 90 < _mean(catalog, "k-pop", "tempo")
    assert _mean(catalog, "k-pop", "valence") > 0.55 > 0.35 > _mean(catalog, "ballad", "valence")
    speechiest = max(catalog.genres, key=lambda g: _mean(catalog, g, "speechiness"))
    quietest = min(catalog.genres, key=lambda g: _mean(catalog, g, "loudness"))
    assert (speechiest, quietest) == ("hip hop", "ambient")
    assert _mean(catalog, "classical", "loudness") < -18


def test_features_are_complete_and_within_the_models_ranges(catalog):
    with_features = [t.features for t in catalog.tracks if t.features]
    assert all(set(f) == set(FEATURE_FIELDS) for f in with_features)
    for name, (low, high) in FEATURE_RANGES.items():
        assert all(low <= f[name] <= high for f in with_features), name
    assert all(isinstance(f[name], int) for f in with_features for name in ("key", "mode", "time_signature"))


def test_some_values_are_unknown_as_in_real_data(catalog):
    missing = sum(t.features is None for t in catalog.tracks) / len(catalog.tracks)
    assert 0.02 < missing < 0.04
    assert 0 < sum(a.popularity is None and a.followers is None for a in catalog.artists) < 60
    assert any(t.popularity is None for t in catalog.tracks)


def test_artists_have_unique_names_and_one_to_three_genres(catalog):
    assert len({a.name for a in catalog.artists}) == len(catalog.artists)
    assert {len(a.genres) for a in catalog.artists} == {1, 2, 3}
    assert all(len(set(a.genres)) == len(a.genres) for a in catalog.artists)
    hangul = [a for a in catalog.artists if any("가" <= ch <= "힣" for ch in a.name)]
    assert 30 < len(hangul) < 270


def test_tracks_credit_the_album_artist_first_and_sometimes_a_guest(catalog):
    assert all(t.artists[0] == catalog.albums[t.album].artist for t in catalog.tracks)
    featuring = [t for t in catalog.tracks if len(t.artists) == 2]
    assert 0.05 < len(featuring) / len(catalog.tracks) < 0.2
    assert all(len(set(t.artists)) == len(t.artists) for t in catalog.tracks)


def test_albums_have_unique_names_per_artist(catalog):
    keys = [(a.artist, a.name) for a in catalog.albums]
    assert len(set(keys)) == len(keys)


def test_release_dates_include_new_releases_and_mixed_precisions(catalog):
    ages = [(TODAY - a.release_date).days for a in catalog.albums]
    assert min(ages) >= 0
    assert max(age for age, a in zip(ages, catalog.albums, strict=True) if a.release_date_precision == "day") <= 5 * 365
    assert min(a.release_date.year for a in catalog.albums) >= TODAY.year - 5
    assert 0.05 < sum(age <= 30 for age in ages) / len(ages) < 0.2
    precisions = [a.release_date_precision for a in catalog.albums]
    assert precisions.count("day") > 0.75 * len(precisions)
    assert precisions.count("year") > 0
    assert all(a.release_date.timetuple()[1:3] == (1, 1) for a in catalog.albums if a.release_date_precision == "year")


def test_playlists_are_well_formed(catalog):
    assert [p.external_id for p in catalog.playlists] == [f"demo-{n:04d}" for n in range(1, 1001)]
    assert all(15 <= len(p.tracks) <= 60 and len(set(p.tracks)) == len(p.tracks) for p in catalog.playlists)
    assert all("Demo data" in p.description for p in catalog.playlists)
    assert any(p.name == "코딩할 때" for p in catalog.playlists)
    assert any("coding focus" in p.name for p in catalog.playlists)


def test_every_theme_is_named_in_english_and_korean():
    for theme in THEMES:
        assert any(name.isascii() for name in theme.names), theme.key
        assert any(any("가" <= ch <= "힣" for ch in name) for name in theme.names), theme.key


def test_sleep_playlists_are_calmer_than_workout_ones(catalog):
    assert _theme_mean(catalog, "sleep", "energy") < 0.25 < 0.75 < _theme_mean(catalog, "workout", "energy")
    assert _theme_mean(catalog, "sleep", "tempo") < _theme_mean(catalog, "workout", "tempo") - 30
    assert _theme_mean(catalog, "rainy day", "valence") < _theme_mean(catalog, "good mood", "valence") - 0.3
    assert _theme_mean(catalog, "coding focus", "instrumentalness") > 0.5 > _theme_mean(catalog, "party", "speechiness")


def test_playlists_mostly_hold_their_themes_genres(catalog):
    for playlist in catalog.playlists:
        genres = [catalog.tracks[i].genre for i in playlist.tracks]
        in_mix = sum(g in THEME_BY_KEY[playlist.theme].genres for g in genres) / len(genres)
        assert in_mix > 0.6, playlist


def test_playlists_of_a_theme_share_more_tracks_than_playlists_of_different_themes(catalog):
    def overlap(a, b) -> float:
        return len(set(a.tracks) & set(b.tracks)) / len(set(a.tracks) | set(b.tracks))

    sample = catalog.playlists[:300]
    pairs = list(itertools.combinations(sample, 2))
    same = statistics.fmean(overlap(a, b) for a, b in pairs if a.theme == b.theme)
    different = statistics.fmean(overlap(a, b) for a, b in pairs if a.theme != b.theme)
    assert same > 5 * different


def test_popular_tracks_appear_across_themes(catalog):
    themes_per_track: dict[int, set[str]] = {}
    for playlist in catalog.playlists:
        for index in playlist.tracks:
            themes_per_track.setdefault(index, set()).add(playlist.theme)
    assert max(len(themes) for themes in themes_per_track.values()) >= 5
