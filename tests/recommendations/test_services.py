"""Training and asking the recommenders through the services, on a small factory catalog.

Model files go to a temporary MEDIA_ROOT; each test starts with no engine loaded in this process.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import socket
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone, translation

from ingestion.models import Track
from recommendations import artifacts
from recommendations.artifacts import ModelNotTrained, active_model, forget_loaded_engines
from recommendations.engines import MessageKind, Reason, ReasonKind
from recommendations.engines.content import ContentEngine
from recommendations.models import ModelVersion
from recommendations.reasons import reason_text
from recommendations.selectors import catalog_snapshot, training_playlists
from recommendations.services import training
from recommendations.services.recommending import recommend_clusters, recommend_content, recommend_situation
from recommendations.services.training import (
    NothingToTrainOn,
    TrainingData,
    TrainingFailed,
    model_version_activate,
    model_versions_fail_abandoned,
    model_versions_retire,
    recommender_train,
    training_data_hash,
)
from tests.factories import PlaylistFactory
from tests.recommendations.catalogs import BRIGHT_POP, add_situation_playlists, build_small_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]

@pytest.fixture
def catalog() -> dict[str, Track]:
    return build_small_catalog()


def recommended_names(answer) -> list[str]:
    return [item.track.name for item in answer.tracks]


# --- the snapshot ---


def test_snapshot_holds_every_track_with_genres_features_and_flags(catalog, django_assert_num_queries):
    with django_assert_num_queries(3):
        snapshot = catalog_snapshot()

    row = {pk: i for i, pk in enumerate(snapshot.track_ids.tolist())}
    assert list(snapshot.track_ids) == sorted(track.pk for track in catalog.values())
    hype, collab = row[catalog["hype_boy"].pk], row[catalog["collab"].pk]
    assert snapshot.genres[hype] == ("dance pop", "k-pop")
    assert snapshot.genres[collab] == ("classic rock", "girl group", "k-pop", "rock")  # both artists' genres
    assert snapshot.genres[row[catalog["no_genres"].pk]] == ()
    assert snapshot.features[hype].tolist() == pytest.approx(list(BRIGHT_POP))
    assert snapshot.release_ordinal[hype] == dt.date(2023, 7, 21).toordinal()
    assert snapshot.names[hype] == "Hype Boy" and snapshot.artist_names[collab] == "IVE"  # the main artist


def test_snapshot_marks_hidden_featureless_and_undated_tracks(catalog):
    snapshot = catalog_snapshot()

    row = {pk: i for i, pk in enumerate(snapshot.track_ids.tolist())}
    no_features = row[catalog["no_features"].pk]
    assert snapshot.hidden.tolist().count(True) == 1 and snapshot.hidden[row[catalog["hidden"].pk]]
    assert not snapshot.has_features[no_features] and np.isnan(snapshot.features[no_features]).all()
    assert snapshot.release_ordinal[no_features] == 0  # no album: release date unknown
    assert math.isnan(snapshot.popularity[row[catalog["ditto"].pk]])  # unknown, not zero


def test_snapshot_of_an_empty_catalog_is_empty():
    snapshot = catalog_snapshot()

    assert len(snapshot) == 0 and snapshot.features.shape == (0, 5)


def test_training_playlists_are_names_with_tracks_in_order(catalog):
    PlaylistFactory(name="drive", tracks=[catalog["rock_2"], catalog["rock_1"]])
    PlaylistFactory(name="empty")

    assert training_playlists() == [("drive", [catalog["rock_2"].pk, catalog["rock_1"].pk])]


# --- train, then recommend ---


def test_trained_content_model_recommends_the_favourites_genre_mates_first(catalog):
    version = recommender_train(engine="content")

    answer = recommend_content(favourite_track_ids=[catalog["hype_boy"].pk], k=20)

    assert (version.version, version.status, version.is_active) == (1, "ready", True)
    names = recommended_names(answer)
    assert names[:2] == ["Ditto", "Eleven"]  # same genres and sound; Ditto shares the exact genres
    assert "Hidden Twin" not in names and "Hype Boy" not in names
    assert (answer.engine, answer.version) == ("content", 1)
    assert answer.tracks[0].artist_names == ["NewJeans"] and answer.tracks[0].rank == 1
    favourite = {"title": "Hype Boy", "artist": "NewJeans"}
    assert answer.tracks[0].reason[0] == Reason(
        ReasonKind.SAME_GENRES, {"favourite": favourite, "genres": ["dance pop", "k-pop"]}
    )


def test_content_filters_without_favourite_use_mood_and_speed(catalog):
    recommender_train(engine="content")

    answer = recommend_content(mood="dark", speed="slow", k=2)

    assert set(recommended_names(answer)) == {"Blue", "Smoke"}


def test_unknown_mood_is_a_clear_error(catalog):
    recommender_train(engine="content")

    with pytest.raises(ValueError, match="mood must be one of bright, dark"):
        recommend_content(mood="sunny")


def test_trained_cluster_model_never_returns_the_playlists_own_tracks(catalog):
    recommender_train(engine="clusters")
    playlist = [catalog["rock_1"].pk, catalog["jazz_1"].pk]

    answer = recommend_clusters(playlist_track_ids=playlist, k=20)

    names = recommended_names(answer)
    assert names and "Riff" not in names and "Blue" not in names and "Hidden Twin" not in names
    assert sum(answer.shares) == pytest.approx(1.0) and len(answer.profiles) == 5


def test_trained_song2vec_answers_a_situation_from_matching_playlists(catalog):
    add_situation_playlists(catalog)
    version = recommender_train(engine="song2vec")

    answer = recommend_situation(text="music for a rainy drive", k=3)

    assert set(recommended_names(answer)) == {"Blue", "Smoke", "Debut"}
    # The song is in the matched playlist "rainy day": its reason names that playlist.
    assert answer.tracks[0].reason == (Reason(ReasonKind.FROM_PLAYLIST, {"playlist": "rainy day"}),)
    assert "rain" in answer.situations
    assert (answer.engine, answer.version, answer.fallback) == ("song2vec", 1, False)
    assert version.metrics["playlists"] == 3 and version.metrics["placed_by_playlists"] == 10


def test_song2vec_never_recommends_hidden_tracks(catalog):
    add_situation_playlists(catalog)
    recommender_train(engine="song2vec")

    answer = recommend_situation(text="party", k=20)

    assert "Hidden Twin" not in recommended_names(answer) and "Hype Boy" in recommended_names(answer)


def test_situation_matching_no_playlist_falls_back_with_a_message(catalog):
    add_situation_playlists(catalog)
    recommender_train(engine="song2vec")

    answer = recommend_situation(text="zzzz qqqq", k=2)

    assert answer.fallback and len(answer.tracks) == 2
    assert answer.message == Reason(MessageKind.SITUATION_NO_MATCH, {"text": "zzzz qqqq", "instead": "popular"})
    with translation.override("en"):
        assert "No playlist name matches “zzzz qqqq”" in reason_text(answer.message)


def test_song2vec_without_playlists_records_nothing(catalog):
    with pytest.raises(NothingToTrainOn, match="run import_playlists first"):
        recommender_train(engine="song2vec")

    assert not ModelVersion.objects.exists()


def test_an_empty_catalog_records_nothing():
    with pytest.raises(NothingToTrainOn, match="the catalog is empty"):
        recommender_train(engine="content")

    assert not ModelVersion.objects.exists()


def test_a_listeners_disliked_tracks_are_never_recommended_to_them_by_any_engine(catalog):
    from django.contrib.auth.models import User

    from recommendations.models import TrackReaction

    add_situation_playlists(catalog)
    for engine in ("content", "clusters", "song2vec"):
        recommender_train(engine=engine)
    minji, hanni = User.objects.create_user("minji"), User.objects.create_user("hanni")
    TrackReaction.objects.create(user=minji, track=catalog["ditto"], kind=TrackReaction.Kind.DISLIKE)

    answers = [
        recommend_content(favourite_track_ids=[catalog["hype_boy"].pk], k=20, user=minji),
        recommend_clusters(playlist_track_ids=[catalog["hype_boy"].pk], k=20, user=minji),
        recommend_situation(text="party", k=20, user=minji),
    ]
    others = recommend_content(favourite_track_ids=[catalog["hype_boy"].pk], k=20, user=hanni)

    assert all("Ditto" not in recommended_names(answer) for answer in answers)
    assert "Ditto" in recommended_names(others)


def test_track_hidden_after_training_is_never_recommended(catalog):
    recommender_train(engine="content")
    Track.objects.filter(pk=catalog["ditto"].pk).update(is_hidden=True, updated_at=timezone.now())

    answer = recommend_content(favourite_track_ids=[catalog["hype_boy"].pk], k=3)

    assert "Ditto" not in recommended_names(answer) and len(answer.tracks) == 3


def test_recommending_before_any_training_says_what_to_run(catalog):
    with pytest.raises(ModelNotTrained, match="run `manage.py train_recommenders --engine content`"):
        recommend_content(k=3)


# --- versions: skip, replace, fail ---


def test_training_again_on_an_unchanged_catalog_is_skipped(catalog):
    first = recommender_train(engine="content")

    again = recommender_train(engine="content")

    assert again is None
    assert list(ModelVersion.objects.values_list("version", "is_active")) == [(first.version, True)]


def test_changed_features_make_a_new_active_version(catalog):
    first = recommender_train(engine="content")
    Track.objects.filter(pk=catalog["ditto"].pk).update(energy=0.1)

    second = recommender_train(engine="content")

    first.refresh_from_db()
    assert (second.version, second.is_active) == (2, True)
    assert (first.status, first.is_active) == ("ready", False)
    assert second.data_hash != first.data_hash
    assert second.storage_path == f"models/content/v2-{second.data_hash[:8]}"


def test_force_trains_an_unchanged_catalog(catalog):
    recommender_train(engine="content")

    forced = recommender_train(engine="content", force=True)

    assert forced.version == 2 and forced.is_active


def test_metrics_record_the_build(catalog):
    content = recommender_train(engine="content")
    clusters = recommender_train(engine="clusters")

    assert content.metrics["tracks"] == 11 and content.metrics["tracks_with_features"] == 10
    assert content.metrics["hidden_tracks"] == 1 and content.metrics["artifact_bytes"] > 0
    assert content.metrics["genre_vocabulary"] > 0 and content.metrics["fit_seconds"] >= 0
    assert sum(clusters.metrics["cluster_sizes"]) == 11 and clusters.metrics["mean_squared_distance"] >= 0
    assert clusters.params == {"n_clusters": 5}


def test_changing_the_number_of_clusters_retrains_with_it(catalog, settings):
    first = recommender_train(engine="clusters")
    settings.RECOMMENDER_CLUSTERS = 3

    second = recommender_train(engine="clusters")

    assert second is not None and second.version == first.version + 1 and second.is_active
    assert second.params == {"n_clusters": 3} and len(second.metrics["cluster_sizes"]) == 3


def test_failure_while_saving_keeps_the_previous_version_serving(catalog, monkeypatch, settings):
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 0
    recommender_train(engine="content")
    Track.objects.filter(pk=catalog["ditto"].pk).update(energy=0.1)

    def save_one_file_then_fail(engine: ContentEngine, directory: Path) -> None:
        Path(directory).mkdir(parents=True)
        np.save(Path(directory) / "track_ids.npy", engine.track_ids)
        raise OSError("No space left on device")

    monkeypatch.setattr(ContentEngine, "save", save_one_file_then_fail)
    with pytest.raises(TrainingFailed, match="No space left on device"):
        recommender_train(engine="content")

    failed = ModelVersion.objects.get(version=2)
    assert (failed.status, failed.is_active) == ("failed", False) and "No space left" in failed.error
    assert ModelVersion.objects.get(is_active=True).version == 1
    assert recommend_content(favourite_track_ids=[catalog["hype_boy"].pk], k=2).version == 1


def test_failed_upload_leaves_no_files_behind(catalog, monkeypatch):
    real_save = FileSystemStorage.save
    saved: list[str] = []

    def save_two_then_fail(storage, name, content, max_length=None):
        if len(saved) == 2:
            raise OSError("connection reset")
        saved.append(real_save(storage, name, content, max_length))
        return saved[-1]

    monkeypatch.setattr(FileSystemStorage, "save", save_two_then_fail)
    with pytest.raises(TrainingFailed):
        recommender_train(engine="content")

    assert all(not default_storage.exists(name) for name in saved)
    assert ModelVersion.objects.get().status == "failed"


class Killed(BaseException):
    """Stands in for SIGKILL: nothing in the service may catch it."""


def kill_during_upload(monkeypatch, after_files: int) -> None:
    real_save = FileSystemStorage.save
    count = {"files": 0}

    def save_then_die(storage, name, content, max_length=None):
        if count["files"] == after_files:
            raise Killed
        count["files"] += 1
        return real_save(storage, name, content, max_length)

    monkeypatch.setattr(FileSystemStorage, "save", save_then_die)


def test_kill_mid_write_leaves_the_previous_version_serving(catalog, monkeypatch, settings):
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 0
    recommender_train(engine="content")
    recommend_content(k=1)  # this process now serves v1
    Track.objects.filter(pk=catalog["ditto"].pk).update(energy=0.1)
    kill_during_upload(monkeypatch, after_files=3)

    with pytest.raises(Killed):
        recommender_train(engine="content")

    half_written = ModelVersion.objects.get(version=2)
    assert (half_written.status, half_written.is_active) == ("building", False)
    assert not default_storage.exists(f"{half_written.storage_path}/manifest.json")
    assert recommend_content(k=1).version == 1
    forget_loaded_engines()  # a process started after the kill
    assert recommend_content(k=1).version == 1


def test_next_training_marks_a_killed_build_failed_and_replaces_it(catalog, monkeypatch):
    recommender_train(engine="content")
    Track.objects.filter(pk=catalog["ditto"].pk).update(energy=0.1)
    kill_during_upload(monkeypatch, after_files=3)
    with pytest.raises(Killed):
        recommender_train(engine="content")
    monkeypatch.undo()

    third = recommender_train(engine="content")

    killed = ModelVersion.objects.get(version=2)
    assert killed.status == "failed" and killed.error.startswith("abandoned")
    assert not default_storage.exists(killed.storage_path)  # its partial files are gone
    assert (third.version, third.is_active) == (3, True)


def test_ctrl_c_marks_the_build_failed(catalog, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ContentEngine, "fit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        recommender_train(engine="content")

    assert ModelVersion.objects.get().status == "failed" and ModelVersion.objects.get().error == "interrupted"


def test_only_builds_whose_process_is_gone_count_as_abandoned():
    here = socket.gethostname()
    old = timezone.now() - timedelta(hours=7)
    rows = {
        "dead_here": ModelVersion.objects.create(engine="content", version=1, data_hash="a", builder=f"{here}:0"),
        "alive_here": ModelVersion.objects.create(
            engine="content", version=2, data_hash="b", builder=f"{here}:{os.getppid()}"
        ),
        "recent_elsewhere": ModelVersion.objects.create(engine="content", version=3, data_hash="c", builder="x:1"),
        "old_elsewhere": ModelVersion.objects.create(
            engine="content", version=4, data_hash="d", builder="x:1", created_at=old
        ),
    }
    # pid 0 is never a build process: os.kill(0, 0) would signal our own group, so use a pid that cannot exist.
    ModelVersion.objects.filter(pk=rows["dead_here"].pk).update(builder=f"{here}:{2**22 + 1}")

    assert model_versions_fail_abandoned(engine="content") == 2

    status = dict(ModelVersion.objects.values_list("version", "status"))
    assert status == {1: "failed", 2: "building", 3: "building", 4: "failed"}


def test_the_same_data_being_built_elsewhere_is_not_built_twice(catalog):
    data = TrainingData.read(with_playlists=False)
    data_hash = training_data_hash(spec=artifacts.engine_spec("content"), params={}, data=data)
    elsewhere = ModelVersion.objects.create(engine="content", version=1, data_hash=data_hash, builder="worker-2:77")

    assert recommender_train(engine="content", data=data) == elsewhere
    assert ModelVersion.objects.count() == 1


def test_a_build_taken_for_abandoned_meanwhile_is_never_activated(catalog, monkeypatch):
    real_upload = training.artifact_upload

    def upload_while_another_run_gives_up_on_us(*args, **kwargs) -> int:
        uploaded = real_upload(*args, **kwargs)
        ModelVersion.objects.filter(status="building").update(status="failed", error="abandoned")
        return uploaded

    monkeypatch.setattr(training, "artifact_upload", upload_while_another_run_gives_up_on_us)

    with pytest.raises(TrainingFailed, match="marked failed by another run"):
        recommender_train(engine="content")
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_old_versions_are_retired_and_their_files_removed(catalog):
    versions = [recommender_train(engine="content", force=True) for _ in range(5)]

    status = dict(ModelVersion.objects.values_list("version", "status"))
    assert status == {1: "retired", 2: "retired", 3: "ready", 4: "ready", 5: "ready"}
    assert [default_storage.exists(version.storage_path) for version in versions] == [False, False, True, True, True]


def test_the_active_version_is_never_retired(catalog):
    first = recommender_train(engine="content")
    recommender_train(engine="content", force=True)
    recommender_train(engine="content", force=True)
    model_version_activate(version_id=first.pk)  # a rollback

    assert model_versions_retire(engine="content", keep=1) == 2

    status = dict(ModelVersion.objects.values_list("version", "status"))
    assert status == {1: "ready", 2: "retired", 3: "retired"}
    assert recommend_content(k=1).version == 1


def test_activating_an_older_ready_version_rolls_back(catalog):
    first = recommender_train(engine="content")
    recommender_train(engine="content", force=True)

    model_version_activate(version_id=first.pk)

    assert ModelVersion.objects.get(is_active=True).pk == first.pk
    assert active_model("content").version == 1


def test_a_failed_version_cannot_be_activated(catalog):
    failed = ModelVersion.objects.create(engine="content", version=1, data_hash="x", status="failed")

    with pytest.raises(ValueError, match="only a ready version can be activated"):
        model_version_activate(version_id=failed.pk)


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine 'magic' is unknown; available: content, clusters"):
        recommender_train(engine="magic")


def test_engines_are_imported_only_when_used():
    assert artifacts.ENGINES["content"].engine_class() is ContentEngine
    assert artifacts.engine_spec("clusters").params() == {"n_clusters": 5}
