"""manage.py train_recommenders: what an operator reads, the JSON a script reads, and the exit code."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ingestion.models import Track
from recommendations.artifacts import ENGINES, EngineSpec
from recommendations.engines.clusters import ClusterEngine
from recommendations.models import ModelVersion
from tests.factories import PlaylistFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]

MISSING_SONG2VEC = EngineSpec("song2vec", "recommendations.engines.not_there", "Song2VecEngine", uses_playlists=True)


def train(*args: str) -> str:
    out = StringIO()
    call_command("train_recommenders", *args, stdout=out)
    return out.getvalue()


def test_trains_every_installed_engine_and_says_so(catalog):
    output = train("--engine", "content", "--engine", "clusters")

    assert "8 tracks" in output
    assert "content: trained v1" in output and "clusters: trained v1" in output and "active" in output
    assert set(ModelVersion.objects.values_list("engine", "version", "is_active")) == {
        ("content", 1, True), ("clusters", 1, True),
    }  # fmt: skip


def test_default_is_every_installed_engine(catalog):
    PlaylistFactory(tracks=catalog)

    train()

    assert set(ModelVersion.objects.values_list("engine", flat=True)) == {
        "content", "clusters", "song2vec", "cf", "terms", "blend",
    }  # fmt: skip


def test_second_run_on_an_unchanged_catalog_skips(catalog):
    train("--engine", "content")

    output = train("--engine", "content")

    assert "content: unchanged since v1" in output and "skipped" in output
    assert ModelVersion.objects.count() == 1


def test_force_builds_a_new_version_anyway(catalog):
    train("--engine", "content")

    output = train("--engine", "content", "--force")

    assert "content: trained v2" in output


def test_json_summary_for_scripts(catalog):
    train("--engine", "content")
    Track.objects.filter(pk=catalog[0].pk).update(energy=0.99)

    summary = json.loads(train("--engine", "content", "--engine", "clusters", "--json"))

    content, clusters = summary["engines"]["content"], summary["engines"]["clusters"]
    assert (content["outcome"], content["version"], content["active"]) == ("trained", 2, True)
    assert content["metrics"]["tracks"] == 8 and clusters["outcome"] == "trained"
    assert summary["catalog_seconds"] >= 0


def test_skipped_engine_in_json(catalog):
    train("--engine", "content")

    summary = json.loads(train("--engine", "content", "--json"))

    assert summary["engines"]["content"]["outcome"] == "skipped"
    assert summary["engines"]["content"]["version"] == 1


def test_a_failed_engine_exits_non_zero_after_training_the_others(catalog, monkeypatch):
    def too_few(*args, **kwargs):
        raise ValueError("5 clusters need at least 5 tracks with audio features")

    monkeypatch.setattr(ClusterEngine, "fit", too_few)
    out = StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("train_recommenders", "--engine", "clusters", "--engine", "content", stdout=out)

    assert exit_info.value.code == 1
    assert "clusters: FAILED (v1): 5 clusters need at least 5 tracks" in out.getvalue()
    assert "content: trained v1" in out.getvalue()
    assert ModelVersion.objects.get(engine="clusters").status == "failed"


def test_unknown_engine_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'magic'"):
        train("--engine", "magic")


def test_engine_not_installed_is_refused_clearly(monkeypatch):
    monkeypatch.setitem(ENGINES, "song2vec", MISSING_SONG2VEC)

    with pytest.raises(CommandError, match="not installed: song2vec"):
        train("--engine", "song2vec")


def test_default_leaves_out_an_engine_that_is_not_installed(catalog, monkeypatch):
    monkeypatch.setitem(ENGINES, "song2vec", MISSING_SONG2VEC)

    output = train()

    assert "song2vec" not in output and "content: trained v1" in output


def test_song2vec_learns_from_the_playlists(catalog):
    PlaylistFactory(name="gym", tracks=catalog[:4])
    PlaylistFactory(name="sleep", tracks=catalog[4:])

    output = train("--engine", "song2vec")

    assert "8 tracks, 2 playlists" in output and "song2vec: trained v1" in output


def test_song2vec_without_playlists_is_not_trained_and_not_an_error(catalog):
    output = train()

    assert "song2vec: not trained: song2vec learns from playlists and there are none" in output
    assert not ModelVersion.objects.filter(engine="song2vec").exists()
    assert ModelVersion.objects.filter(is_active=True).count() == 2


def test_cf_terms_and_blend_learn_from_the_playlists_and_the_blend_says_it_fell_back(catalog):
    PlaylistFactory(name="gym", tracks=catalog[:4])
    PlaylistFactory(name="sleep", tracks=catalog[4:])

    output = train("--engine", "song2vec", "--engine", "cf", "--engine", "terms", "--engine", "blend")

    assert all(f"{engine}: trained v1" in output for engine in ("cf", "terms", "blend"))
    assert "fixed blend: The ranker needs at least 40 playlists" in output
    versions = {version.engine: version for version in ModelVersion.objects.filter(is_active=True)}
    assert versions["cf"].metrics["playlists"] == 2 and versions["cf"].metrics["entries"] == 8
    assert versions["terms"].metrics["terms"] > 0
    assert versions["blend"].metrics["ranker"] == "fixed" and versions["blend"].metrics["ranker_playlists"] == 0


def test_the_fixed_blend_is_shown_in_the_admin_list(catalog, admin_client):
    PlaylistFactory(name="gym", tracks=catalog)
    train("--engine", "blend")

    page = admin_client.get("/admin/recommendations/modelversion/").content.decode()

    assert "ranker fixed" in page
