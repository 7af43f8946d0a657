"""Change-triggered rebuilds: catalog changes mark the dataset dirty, a debounced rebuild makes new versions and
cleans it, one rebuild at a time under a lease that outlives a crashed holder, schedules from the environment."""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from celery.schedules import crontab, schedule
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from ingestion.models import CatalogState, Track
from ingestion.services.changes import catalog_changed
from ingestion.services.imports import import_paths
from recommendations.models import DatasetState, ModelVersion, RebuildLease
from recommendations.services import rebuilds
from recommendations.services.rebuilds import (
    REBUILD_LEASE,
    dataset_rebuild,
    dataset_rebuild_if_dirty,
    dataset_state,
    lease_claim,
    lease_release,
    lease_renew,
)
from recommendations.services.today import today_precompute_all
from recommendations.services.training import recommender_train
from recommendations.tasks import precompute_today_task, rebuild_if_dirty_task, rebuild_nightly_task
from recommender_site.env import env_schedule, env_timezone
from tests.factories import TrackFactory
from tests.ingestion.test_admin import track_form_data

pytestmark = pytest.mark.django_db

CATALOG_ENGINES = {"content", "clusters"}


def active_versions() -> dict[str, int]:
    return dict(ModelVersion.objects.filter(is_active=True).values_list("engine", "version"))


def clean_state() -> DatasetState:
    """A dataset whose every change has been rebuilt: the starting point of most tests here."""
    state = dataset_state()
    DatasetState.objects.filter(pk=state.pk).update(rebuilt_change_count=state.change_count, dirty_noted_at=None)
    return dataset_state()


@pytest.fixture
def rebuilt_catalog(model_storage, catalog, settings) -> list[Track]:
    """The eight-track catalog, rebuilt once (content v1, clusters v1) and clean, with a 10-minute debounce."""
    settings.REBUILD_MIN_INTERVAL_SECONDS = 600
    catalog_changed(reason="test catalog")
    assert dataset_rebuild_if_dirty().status == "rebuilt"
    return catalog


# --- the dirty marker ---


def test_marking_dirty_keeps_the_first_change_time_and_counts_every_change():
    catalog_changed(reason="import run 1")
    first = dataset_state()
    catalog_changed(reason="admin: 2 tracks hidden")

    state = dataset_state()
    assert state.is_dirty and state.dirty_since == first.dirty_since
    assert state.change_count == first.change_count + 1
    assert state.last_change_reason == "admin: 2 tracks hidden"


def test_marking_dirty_works_before_the_state_row_exists():
    CatalogState.objects.all().delete()

    catalog_changed(reason="crawl")

    assert CatalogState.objects.get().change_count == 1


def test_a_rolled_back_change_leaves_no_mark():
    from django.db import transaction

    clean_state()
    with pytest.raises(RuntimeError), transaction.atomic():
        catalog_changed(reason="import that fails")
        raise RuntimeError

    assert not dataset_state().is_dirty


def test_import_that_changes_rows_marks_the_dataset_dirty_and_a_reimport_does_not(tmp_path):
    clean_state()
    path = tmp_path / "tracks.json"
    path.write_text(json.dumps([{
        "artist_name": "IU", "track_name": "Love wins all", "artist_genre": ["k-pop"], "danceability": 0.4,
        "energy": 0.3, "valence": 0.2, "id": "0" * 21 + "1",
    }]))

    import_paths(kind="catalog", paths=[str(path)])
    after_import = dataset_state()
    clean_state()
    import_paths(kind="catalog", paths=[str(path)])

    assert after_import.is_dirty and after_import.last_change_reason.startswith("import run")
    assert not dataset_state().is_dirty


def test_hiding_tracks_in_the_admin_marks_the_dataset_dirty(admin_client):
    track = TrackFactory()
    clean_state()

    admin_client.post(
        reverse("admin:ingestion_track_changelist"),
        {"action": "hide_from_recommendations", "_selected_action": [track.pk]},
    )

    assert dataset_state().is_dirty and dataset_state().last_change_reason == "admin: 1 track hidden"


def test_fixing_a_tracks_features_in_the_admin_marks_the_dataset_dirty(admin_client):
    track = TrackFactory(valence=0.5)
    clean_state()

    response = admin_client.post(
        reverse("admin:ingestion_track_change", args=[track.pk]), track_form_data(track, valence=0.8)
    )

    assert response.status_code == 302 and Track.objects.get(pk=track.pk).valence == 0.8
    assert dataset_state().last_change_reason == f"admin: track {track.pk} edited"


def test_saving_an_unchanged_track_in_the_admin_changes_nothing(admin_client):
    track = TrackFactory()
    clean_state()

    admin_client.post(reverse("admin:ingestion_track_change", args=[track.pk]), track_form_data(track))

    assert not dataset_state().is_dirty


def test_hiding_already_hidden_tracks_changes_nothing(admin_client):
    track = TrackFactory(is_hidden=True)
    clean_state()

    admin_client.post(
        reverse("admin:ingestion_track_changelist"),
        {"action": "hide_from_recommendations", "_selected_action": [track.pk]},
    )

    assert not dataset_state().is_dirty


# --- the debounced rebuild ---


def test_clean_dataset_is_not_rebuilt(model_storage, catalog):
    clean_state()

    outcome = dataset_rebuild_if_dirty()

    assert outcome.status == "clean"
    assert not ModelVersion.objects.exists()


def test_dirty_dataset_is_rebuilt_and_becomes_clean(model_storage, catalog):
    catalog_changed(reason="import")

    outcome = dataset_rebuild_if_dirty()

    assert outcome.status == "rebuilt"
    assert active_versions() == {"content": 1, "clusters": 1}
    state = dataset_state()
    assert not state.is_dirty and state.rebuilt_change_count == state.change_count
    assert state.last_rebuild_kind == "changes" and "content v1 ready" in state.last_rebuild_summary


def test_second_change_within_the_interval_waits_for_the_interval(rebuilt_catalog):
    Track.objects.filter(pk=rebuilt_catalog[0].pk).update(is_hidden=True)
    catalog_changed(reason="admin: 1 track hidden")

    soon = dataset_rebuild_if_dirty()
    later = dataset_rebuild_if_dirty(now=timezone.now() + dt.timedelta(seconds=601))

    assert soon.status == "debounced"
    assert later.status == "rebuilt"
    assert active_versions() == {"content": 2, "clusters": 2}
    assert not dataset_state().is_dirty


def test_many_changes_cost_one_rebuild(model_storage, catalog, settings):
    settings.REBUILD_MIN_INTERVAL_SECONDS = 0
    for number in range(5):
        Track.objects.filter(pk=catalog[number].pk).update(popularity=number + 50)
        catalog_changed(reason=f"crawl {number}")

    first, second = dataset_rebuild_if_dirty(), dataset_rebuild_if_dirty()

    assert (first.status, second.status) == ("rebuilt", "clean")
    assert ModelVersion.objects.count() == 2


def test_change_arriving_during_a_rebuild_keeps_the_dataset_dirty(model_storage, catalog, monkeypatch):
    read_catalog = rebuilds.training_data_read

    def read_then_change(**kwargs):
        data = read_catalog(**kwargs)
        TrackFactory(name="arrived during the rebuild")
        catalog_changed(reason="crawl during rebuild")
        return data

    monkeypatch.setattr(rebuilds, "training_data_read", read_then_change)
    catalog_changed(reason="import")

    outcome = dataset_rebuild_if_dirty()

    assert outcome.status == "rebuilt"
    state = dataset_state()
    assert state.is_dirty and state.change_count == state.rebuilt_change_count + 1


def test_failed_rebuild_keeps_the_dataset_dirty_and_the_previous_version_active(rebuilt_catalog, monkeypatch):
    from recommendations.engines.content import ContentEngine

    def fail(*args, **kwargs):
        raise ValueError("out of memory")

    monkeypatch.setattr(ContentEngine, "fit", fail)
    Track.objects.filter(pk=rebuilt_catalog[0].pk).update(popularity=99)
    catalog_changed(reason="crawl")

    outcome = dataset_rebuild_if_dirty(now=timezone.now() + dt.timedelta(hours=1))

    assert outcome.status == "failed" and "out of memory" in str(outcome)
    assert active_versions()["content"] == 1
    assert dataset_state().is_dirty


def test_song2vec_is_left_to_the_weekly_run_until_it_is_trained(model_storage, catalog):
    catalog_changed(reason="import")

    outcome = dataset_rebuild_if_dirty()

    assert set(outcome.engines) == CATALOG_ENGINES


def test_change_triggered_rebuild_places_new_tracks_in_song2vec_without_retraining(model_storage, catalog, settings):
    from recommendations.artifacts import active_model
    from recommendations.engines.song2vec.placement import PLACED_BY_CONTENT
    from tests.factories import ArtistFactory, PlaylistFactory, TrackFactory

    pop = ArtistFactory(genres=["k-pop"])
    more = [TrackFactory(artists=[pop], energy=0.5 + i / 10, valence=0.5) for i in range(4)]
    PlaylistFactory(name="party", tracks=[*catalog[1::2], *more])  # 12 placed tracks: enough to place by content
    PlaylistFactory(name="rock night", tracks=catalog[0::2])
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 0
    trained = recommender_train(engine="song2vec")
    trained_playlist_vectors = np.array(active_model("song2vec").engine.playlist_vectors)
    new_release = TrackFactory(artists=[ArtistFactory(genres=["k-pop"])], energy=0.9, valence=0.2)
    catalog_changed(reason="crawl")

    outcome = dataset_rebuild_if_dirty()
    again = rebuilds.dataset_rebuild(kind="nightly", engines=rebuilds.CATALOG_REBUILD)

    refit = ModelVersion.objects.get(engine="song2vec", is_active=True)
    assert outcome.engines["song2vec-refit"] == "v2 ready" and again.engines["song2vec-refit"] == "unchanged"
    assert refit.params["refit_of"] == trained.data_hash
    engine = active_model("song2vec").engine
    row = int(np.searchsorted(engine.track_ids, new_release.pk))
    assert engine.track_ids[row] == new_release.pk and engine.placement[row] == PLACED_BY_CONTENT
    assert np.allclose(engine.playlist_vectors, trained_playlist_vectors)  # Word2Vec was not retrained


def test_nightly_rebuild_runs_on_a_clean_dataset_and_skips_unchanged_engines(rebuilt_catalog):
    unchanged = dataset_rebuild(kind="nightly", engines=("content", "clusters"))
    forced = dataset_rebuild(kind="nightly", engines=("content", "clusters"), force=True)

    assert unchanged.engines == {"content": "unchanged", "clusters": "unchanged"}
    assert forced.status == "rebuilt" and active_versions() == {"content": 2, "clusters": 2}


def test_rebuild_of_an_empty_catalog_records_nothing_and_cleans_the_dataset(model_storage):
    catalog_changed(reason="everything deleted")

    outcome = dataset_rebuild_if_dirty()

    assert "nothing to train on" in outcome.engines["content"]
    assert not ModelVersion.objects.exists() and not dataset_state().is_dirty


# --- one rebuild at a time ---


def test_rebuild_is_skipped_while_another_worker_holds_the_lease(model_storage, catalog):
    catalog_changed(reason="import")
    lease_claim(name=REBUILD_LEASE, holder="worker-2:41 nightly", seconds=300)

    outcome = dataset_rebuild_if_dirty()

    assert outcome.status == "locked" and "worker-2:41 nightly" in str(outcome)
    assert not ModelVersion.objects.exists() and dataset_state().is_dirty


def test_lease_of_a_crashed_worker_is_taken_once_it_expires(model_storage, catalog):
    catalog_changed(reason="import")
    RebuildLease.objects.create(
        name=REBUILD_LEASE, holder="crashed:7 changes", token="x" * 32,
        acquired_at=timezone.now() - dt.timedelta(hours=1), expires_at=timezone.now() - dt.timedelta(seconds=1),
    )

    outcome = dataset_rebuild_if_dirty()

    assert outcome.status == "rebuilt"
    assert not RebuildLease.objects.get(name=REBUILD_LEASE).is_held()


def test_a_rebuild_killed_mid_build_is_finished_by_the_next_check_and_nothing_half_built_is_served(
    rebuilt_catalog, settings
):
    """What bench/fault_bench.py (a) does with a real SIGKILL, on the rows a killed worker leaves behind."""
    from recommendations.artifacts import forget_loaded_engines
    from recommendations.services.recommending import recommend_content

    settings.REBUILD_MIN_INTERVAL_SECONDS = 0
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 0
    TrackFactory(energy=0.9)
    catalog_changed(reason="a change the killed worker was building")
    dead = f"{socket.gethostname()}:{2**22 + 1}"  # a pid that cannot exist: the process is gone
    half_built = ModelVersion.objects.create(engine="content", version=2, data_hash="half", builder=dead)
    RebuildLease.objects.update_or_create(name=REBUILD_LEASE, defaults={
        "holder": f"{dead} changes", "token": "y" * 32, "acquired_at": timezone.now(),
        "expires_at": timezone.now() + dt.timedelta(seconds=60),
    })  # fmt: skip
    forget_loaded_engines()

    while_locked = dataset_rebuild_if_dirty()
    served_meanwhile = recommend_content(mood="bright", k=3).version
    RebuildLease.objects.filter(name=REBUILD_LEASE).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    after_expiry = dataset_rebuild_if_dirty()
    served_after = recommend_content(mood="bright", k=3).version

    half_built.refresh_from_db()
    assert while_locked.status == "locked" and served_meanwhile == 1  # the previous version keeps serving
    assert after_expiry.status == "rebuilt" and not dataset_state().is_dirty
    assert half_built.status == "failed" and half_built.error.startswith("abandoned")
    assert active_versions() == {"content": 3, "clusters": 2} and served_after == 3
    assert not ModelVersion.objects.filter(status="building").exists()


def test_lease_is_held_by_one_claimant_at_a_time():
    first = lease_claim(name="test", holder="a", seconds=60)
    second = lease_claim(name="test", holder="b", seconds=60)
    lease_release(first)
    third = lease_claim(name="test", holder="c", seconds=60)

    assert first is not None and second is None and third is not None
    assert RebuildLease.objects.get(name="test").holder == "c"


def test_a_holder_whose_lease_was_taken_over_cannot_renew_or_release_it():
    stale = lease_claim(name="test", holder="slow", seconds=60)
    RebuildLease.objects.filter(name="test").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    current = lease_claim(name="test", holder="new", seconds=60)

    renewed = lease_renew(stale, seconds=60)
    lease_release(stale)

    assert not renewed and current is not None
    assert RebuildLease.objects.get(name="test").holder == "new"


# --- tasks and today's songs ---


def test_rebuild_task_is_safe_to_run_twice(model_storage, catalog):
    catalog_changed(reason="import")

    first = rebuild_if_dirty_task.delay().get()
    second = rebuild_if_dirty_task.delay().get()

    assert first.startswith("changes rebuild: rebuilt") and second == "changes rebuild: clean"
    assert active_versions() == {"content": 1, "clusters": 1}


def test_nightly_task_reports_each_engine(rebuilt_catalog):
    assert rebuild_nightly_task.delay().get() == "nightly rebuild: rebuilt; content unchanged; clusters unchanged"


def test_today_is_precomputed_for_active_listeners_only(rebuilt_catalog):
    from filters.models import TasteProfile
    from recommendations.models import TodayList

    users = get_user_model().objects
    recent, long_ago = timezone.now(), timezone.now() - dt.timedelta(days=60)
    minji = users.create_user("minji", last_login=recent)
    hanni = users.create_user("hanni", last_login=recent)
    away = users.create_user("away", last_login=long_ago)
    undecided = users.create_user("undecided", last_login=recent)
    for user in (minji, hanni, away):
        TasteProfile.objects.create(user=user, mood="bright", completed_at=recent)
    TasteProfile.objects.create(user=undecided, mood="dark")

    assert today_precompute_all() == 2
    assert precompute_today_task.delay().get() == "today's songs precomputed for 0 listeners"  # already made
    ready = TodayList.objects.filter(status=TodayList.Status.READY)
    assert set(ready.values_list("user__username", flat=True)) == {"minji", "hanni"}


def test_admin_shows_the_dataset_state_and_the_lock_holder(admin_client):
    catalog_changed(reason="import run 7 (catalog)")
    lease_claim(name=REBUILD_LEASE, holder="worker-1:99 nightly", seconds=300)

    content = admin_client.get(reverse("admin:recommendations_datasetstate_changelist")).content.decode()

    assert "import run 7 (catalog)" in content and "held by worker-1:99 nightly" in content


# --- schedules ---


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03:30", crontab(minute=30, hour=3)),
        ("sun 04:00", crontab(minute=0, hour=4, day_of_week="sun")),
        ("Friday 00:05", crontab(minute=5, hour=0, day_of_week="fri")),
        ("every 90s", schedule(run_every=90)),
        ("every 6h", schedule(run_every=6 * 3600)),
        ("off", None),
    ],
)
def test_schedule_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_SCHEDULE", raw)
    assert env_schedule("SOME_SCHEDULE", "03:00") == expected


@pytest.mark.parametrize("raw", ["3:30am", "25:00", "04:7", "someday 04:00", "every 0s", "every 5d", "daily"])
def test_bad_schedule_names_the_variable_and_the_spellings(monkeypatch, raw):
    monkeypatch.setenv("NIGHTLY_REBUILD_AT", raw)
    with pytest.raises(ImproperlyConfigured, match=r"NIGHTLY_REBUILD_AT=.* is not a schedule: use HH:MM"):
        env_schedule("NIGHTLY_REBUILD_AT", "03:30")


def test_bad_time_zone_is_refused(monkeypatch):
    monkeypatch.setenv("CELERY_TIMEZONE", "Seoul")
    with pytest.raises(ImproperlyConfigured, match="CELERY_TIMEZONE='Seoul' is not a time zone"):
        env_timezone("CELERY_TIMEZONE", "UTC")


def beat_schedule_in_fresh_process(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "import json; schedule = settings.CELERY_BEAT_SCHEDULE; "
        "print(json.dumps({name: [entry['task'], str(entry['schedule'])] for name, entry in schedule.items()})); "
        "print(settings.CELERY_TIMEZONE)"
    )
    names = ("REBUILD_", "NIGHTLY_", "WEEKLY_", "TODAY_", "NEW_RELEASES_", "CELERY_", "DJANGO_", "DATABASE_URL")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(names)}
    environment |= {"DJANGO_SETTINGS_MODULE": "recommender_site.settings", "APP_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=environment,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_beat_schedule_follows_the_environment(tmp_path):
    result = beat_schedule_in_fresh_process(
        tmp_path, REBUILD_CHECK_SECONDS="5", NIGHTLY_REBUILD_AT="02:15", WEEKLY_RETRAIN_AT="off",
        NEW_RELEASES_CRAWL_AT="every 30m", DJANGO_TIME_ZONE="Europe/Berlin",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    entries, time_zone = result.stdout.strip().splitlines()
    entries = json.loads(entries)
    assert entries["rebuild-if-dirty"] == ["recommendations.tasks.rebuild_if_dirty_task", "5"]
    assert entries["rebuild-nightly"][1] == str(crontab(minute=15, hour=2))
    assert entries["crawl-new-releases"] == ["ingestion.tasks.crawl_new_releases_task", str(schedule(1800))]
    assert "retrain-weekly" not in entries and "precompute-today" in entries
    assert time_zone == "Europe/Berlin"


def test_bad_schedule_stops_the_process_with_its_name(tmp_path):
    result = beat_schedule_in_fresh_process(tmp_path, WEEKLY_RETRAIN_AT="sundays at four")

    assert result.returncode != 0
    assert "WEEKLY_RETRAIN_AT='sundays at four' is not a schedule" in result.stderr
