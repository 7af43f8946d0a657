"""Offline evaluation (recommendations.evaluation and `manage.py evaluate`): metrics, the split, and whole runs.

The synthetic corpus has four groups of 60 tracks; each playlist takes 40 tracks of one group and is named after
it ("rainy day", "workout", …), with two tracks of a small shared "hits" set that make popularity a real baseline.
A method that uses the title or the seeds finds the group; popularity cannot.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recommendations.engines.song2vec.vectors import Word2VecParams
from recommendations.evaluation import (
    CATEGORIES,
    MIN_TRACKS,
    NO_HIT_CLICKS,
    EvalPlaylist,
    assert_no_leakage,
    default_test_size,
    evaluate,
    format_table,
    ndcg,
    popularity_recommender,
    r_precision,
    recommended_songs_clicks,
    split_playlists,
)

GROUPS = {"rainy day": 0, "workout": 1, "coding focus": 2, "sleep": 3}
HITS = [f"spotify:track:hit{n:02d}" for n in range(6)]
FAST = Word2VecParams(epochs=5, workers=1, seed=1)


def corpus(playlists_per_group: int = 25) -> list[EvalPlaylist]:
    rng = np.random.default_rng(7)
    playlists = []
    for name, group in GROUPS.items():
        tracks = [f"spotify:track:g{group}t{n:02d}" for n in range(60)]
        for n in range(playlists_per_group):
            chosen = [tracks[i] for i in rng.choice(60, MIN_TRACKS + 5, replace=False)]
            chosen[3:3] = [HITS[i] for i in rng.choice(len(HITS), 2, replace=False)]
            playlists.append(EvalPlaylist(f"{group}-{n}", name, tuple(chosen), ("artist",) * len(chosen)))
    return playlists


def write_mpd(path: Path, playlists: list[EvalPlaylist]) -> Path:
    slices = {
        "playlists": [
            {"pid": i, "name": p.name, "tracks": [
                {"pos": pos, "artist_name": "artist", "track_name": uri[-6:],
                 "track_uri": "spotify:track:" + uri.rsplit(":", 1)[1].ljust(22, "0")}
                for pos, uri in enumerate(p.tracks)
            ]}
            for i, p in enumerate(playlists)
        ]
    }  # fmt: skip
    path.write_text(json.dumps(slices), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------- metrics


def test_r_precision_counts_hits_within_the_first_len_hidden():
    assert r_precision(["a", "x", "b", "c"], {"a", "b", "c"}) == pytest.approx(2 / 3)
    assert r_precision(["x", "y", "z", "a"], {"a", "b", "c"}) == 0.0


def test_ndcg_is_one_for_a_perfect_list_and_discounts_later_hits():
    assert ndcg(["a", "b", "x"], {"a", "b"}) == pytest.approx(1.0)
    # hit at rank 2 only: 1/log2(2) = 1 over an ideal of 1 + 1/log2(2) = 2
    assert ndcg(["x", "a", "y"], {"a", "b"}) == pytest.approx(0.5)


def test_clicks_count_refreshes_of_ten_before_the_first_hit():
    assert recommended_songs_clicks(["a"] + ["x"] * 20, {"a"}) == 0
    assert recommended_songs_clicks([f"x{i}" for i in range(10)] + ["a"], {"a"}) == 1
    assert recommended_songs_clicks(["x", "y"], {"a"}) == NO_HIT_CLICKS


def test_metrics_refuse_a_case_without_hidden_tracks():
    with pytest.raises(ValueError):
        r_precision(["a"], set())


# ------------------------------------------------------------------------------------------------ protocol


def test_split_is_deterministic_and_deals_categories_evenly():
    playlists = corpus()
    training, cases = split_playlists(playlists, test_size=10, seed=3)
    again_training, again_cases = split_playlists(list(reversed(playlists)), test_size=10, seed=3)
    assert sorted(c.playlist.pid for c in cases) == sorted(c.playlist.pid for c in again_cases)
    assert len(training) == len(again_training) == len(playlists) - 10
    assert [c.category.name for c in cases] == [CATEGORIES[i % len(CATEGORIES)].name for i in range(10)]
    other_seed = {c.playlist.pid for c in split_playlists(playlists, test_size=10, seed=4)[1]}
    assert other_seed != {c.playlist.pid for c in cases}


def test_cases_show_seeds_and_title_as_their_category_says_and_hide_the_rest():
    _, cases = split_playlists(corpus(), test_size=len(CATEGORIES))
    for case in cases:
        tracks = case.playlist.tracks
        assert case.seeds == tracks[: case.category.seeds]
        assert case.title == (case.playlist.name if case.category.title else "")
        assert case.hidden == frozenset(tracks[case.category.seeds :]) - set(case.seeds)


def test_test_playlists_never_enter_training():
    training, cases = split_playlists(corpus(), test_size=10)
    assert_no_leakage(training, cases)
    with pytest.raises(AssertionError):
        assert_no_leakage([*training, cases[0].playlist], cases)


def test_split_refuses_a_test_size_the_files_cannot_give():
    with pytest.raises(ValueError, match="only 100 playlists"):
        split_playlists(corpus(), test_size=101)
    with pytest.raises(ValueError, match="at least"):
        split_playlists(corpus(), test_size=2)


def test_small_file_sets_hold_out_a_third_by_default():
    playlists = corpus()

    training, cases = split_playlists(playlists)

    assert default_test_size(playlists) == 30 and len(cases) == 30 and len(training) == 70


def test_popularity_recommends_the_hits_first_and_never_a_seed():
    training, cases = split_playlists(corpus(), test_size=10)
    recommend = popularity_recommender(training)
    for case in cases:
        recommended = recommend(case)
        assert set(recommended[: len(HITS)]) | set(case.seeds) >= set(HITS) - set(case.seeds)
        assert not set(recommended) & set(case.seeds)


# --------------------------------------------------------------------------------------------- whole runs


def test_song2vec_beats_popularity_in_every_category_on_a_grouped_corpus():
    report = evaluate(corpus(), ["popularity", "neighbours", "song2vec"], test_size=20, params=FAST)
    popularity = report.methods["popularity"].summary()
    song2vec = report.methods["song2vec"].summary()
    assert report.test_playlists == 20 and report.training_playlists == 80
    for category in CATEGORIES:
        assert song2vec[category.name]["r_precision"] > popularity[category.name]["r_precision"] + 0.3
        assert song2vec[category.name]["clicks"] <= popularity[category.name]["clicks"]
    assert "| all | song2vec |" in format_table(report)


def test_evaluate_command_prints_the_table(tmp_path, capsys):
    path = write_mpd(tmp_path / "mpd.slice.0-99.json", corpus())
    call_command("evaluate", "--playlists", str(path), "--test-size", "10", "--epochs", "3", "--workers", "1")
    out = capsys.readouterr().out
    assert "100 playlists: 90 for training, 10 held out" in out
    for category in CATEGORIES:
        assert f"| {category.name} | popularity |" in out
        assert f"| {category.name} | song2vec |" in out


def test_evaluate_command_json_reports_every_method_and_category(tmp_path, capsys):
    write_mpd(tmp_path / "mpd.slice.0-99.json", corpus())
    call_command(
        "evaluate", "--playlists", str(tmp_path), "--engines", "popularity", "word2vec",
        "--test-size", "10", "--epochs", "3", "--workers", "1", "--json",
    )  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert list(report["methods"]) == ["popularity", "word2vec"]
    assert report["protocol"]["test_playlists"] == 10
    summary = report["methods"]["word2vec"]["categories"]
    assert set(summary) == {c.name for c in CATEGORIES} | {"all"}
    assert summary["all"]["playlists"] == 10


def test_evaluate_command_rejects_files_that_are_not_mpd(tmp_path):
    catalog = tmp_path / "tracks.json"
    catalog.write_text('[{"id": "x"}]', encoding="utf-8")
    with pytest.raises(CommandError, match="not an MPD slice"):
        call_command("evaluate", "--playlists", str(catalog))
    with pytest.raises(CommandError, match="no such file"):
        call_command("evaluate", "--playlists", str(tmp_path / "missing.json"))


def test_evaluate_command_explains_a_test_size_too_large(tmp_path):
    path = write_mpd(tmp_path / "mpd.slice.0-99.json", corpus())
    with pytest.raises(CommandError, match="at most that many"):
        call_command("evaluate", "--playlists", str(path), "--test-size", "500")


def test_song2vec_beats_popularity_on_real_playlists(shared_data):
    """A quick version of the README's table: 40 mpd-dev files, 100 held out, 10 epochs."""
    from ingestion.importers.formats import expand_paths, read_records
    from recommendations.evaluation import eval_playlists_from_records

    files = expand_paths([shared_data / "mpd-dev"])[:40]
    playlists = eval_playlists_from_records(record for path in files for record in read_records(path, "mpd"))
    report = evaluate(playlists, ["popularity", "song2vec"], test_size=100, params=Word2VecParams(epochs=10))
    popularity, song2vec = (report.methods[name].summary() for name in ("popularity", "song2vec"))
    for category in CATEGORIES:
        assert song2vec[category.name]["r_precision"] > popularity[category.name]["r_precision"]


@pytest.mark.django_db
def test_recorded_evaluations_show_in_the_admin(tmp_path, capsys, admin_client):
    from recommendations.models import OfflineEvaluation

    path = write_mpd(tmp_path / "mpd.slice.0-99.json", corpus())
    call_command(
        "evaluate", "--playlists", str(path), "--engines", "popularity", "song2vec",
        "--test-size", "10", "--epochs", "3", "--workers", "1", "--record",
    )  # fmt: skip

    recorded = OfflineEvaluation.objects.get()
    assert "Recorded as offline evaluation" in capsys.readouterr().out
    assert recorded.song2vec_r_precision > recorded.popularity_r_precision
    assert recorded.report["protocol"]["test_playlists"] == 10
    page = admin_client.get(f"/admin/recommendations/offlineevaluation/{recorded.pk}/change/").content.decode()
    assert "title + first 5" in page and "song2vec" in page
    assert admin_client.get("/admin/recommendations/offlineevaluation/").status_code == 200


def test_evaluating_without_record_writes_nothing_to_the_database(tmp_path):
    """No django_db mark: any query would fail the test."""
    path = write_mpd(tmp_path / "mpd.slice.0-99.json", corpus())

    call_command("evaluate", "--playlists", str(path), "--engines", "popularity", "--test-size", "10", "--json")
