"""Model versions in the admin: listed with their metrics, read-only, activated (rollback) or retrained."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ingestion.models import Track
from recommendations.models import ModelVersion
from recommendations.services.training import recommender_train

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]

LIST_URL = reverse("admin:recommendations_modelversion_changelist")


def make_versions(count: int, *, start: int = 0) -> None:
    ModelVersion.objects.bulk_create(
        ModelVersion(
            engine="clusters", version=i + 1, data_hash=f"{i:064x}", status="ready",
            metrics={"tracks": 1000 + i, "fit_seconds": 1.25, "artifact_bytes": 2_500_000, "cluster_sizes": [600, 400]},
        )
        for i in range(start, start + count)
    )  # fmt: skip


def list_queries(admin_client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(LIST_URL).status_code == 200
    return len(queries)


def test_list_shows_versions_with_their_metrics(admin_client, catalog):
    version = recommender_train(engine="content")

    content = admin_client.get(LIST_URL).content.decode()

    assert "content v1" in content and version.data_hash[:8] in content
    assert "ready" in content and ">8<" in content  # the track count
    assert "fit " in content and " MB" in content


def test_list_query_count_does_not_grow_with_versions(admin_client):
    make_versions(2)
    few = list_queries(admin_client)
    make_versions(20, start=2)

    assert list_queries(admin_client) == few


def test_detail_is_read_only_with_params_and_metrics_pretty_printed(admin_client, catalog):
    version = recommender_train(engine="clusters")

    response = admin_client.get(reverse("admin:recommendations_modelversion_change", args=[version.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<pre>{\n  &quot;n_clusters&quot;: 5\n}</pre>" in content
    assert "&quot;cluster_sizes&quot;: [" in content and version.storage_path in content
    assert 'name="_save"' not in content


def test_versions_cannot_be_added_or_deleted_by_hand(admin_client):
    make_versions(1)
    version = ModelVersion.objects.get()

    assert admin_client.get(reverse("admin:recommendations_modelversion_add")).status_code == 403
    assert admin_client.get(reverse("admin:recommendations_modelversion_delete", args=[version.pk])).status_code == 403
    assert "delete_selected" not in admin_client.get(LIST_URL).content.decode()


def test_activate_action_rolls_back_to_a_ready_version(admin_client, catalog):
    first = recommender_train(engine="content")
    recommender_train(engine="content", force=True)

    response = admin_client.post(LIST_URL, {"action": "activate_version", "_selected_action": [first.pk]}, follow=True)

    assert ModelVersion.objects.get(is_active=True).pk == first.pk
    assert "Activated content v1" in response.content.decode()


def test_activate_action_refuses_a_failed_version(admin_client):
    failed = ModelVersion.objects.create(engine="content", version=1, data_hash="x", status="failed")

    response = admin_client.post(LIST_URL, {"action": "activate_version", "_selected_action": [failed.pk]}, follow=True)

    assert "only a ready version can be activated" in response.content.decode()
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_activate_action_refuses_two_versions_of_one_engine(admin_client):
    make_versions(2)

    both = list(ModelVersion.objects.values_list("pk", flat=True))

    response = admin_client.post(LIST_URL, {"action": "activate_version", "_selected_action": both}, follow=True)

    assert "at most one version per engine" in response.content.decode()


def test_train_now_builds_a_new_version_after_the_commit(admin_client, catalog, django_capture_on_commit_callbacks):
    first = recommender_train(engine="content")
    Track.objects.filter(pk=catalog[0].pk).update(energy=0.95)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(LIST_URL, {"action": "train_now", "_selected_action": [first.pk]}, follow=True)

    assert "Training queued for content" in response.content.decode()
    assert ModelVersion.objects.get(is_active=True).version == 2


def test_train_now_on_an_unchanged_catalog_changes_nothing(admin_client, catalog, django_capture_on_commit_callbacks):
    first = recommender_train(engine="content")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(LIST_URL, {"action": "train_now", "_selected_action": [first.pk]})

    assert ModelVersion.objects.count() == 1


# --- starting work from the admin returns at once; the admin says when changes reach listeners ---


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_train_now_answers_before_the_training_runs(admin_client, catalog, settings, monkeypatch):
    # No outer test transaction: on_commit fires as in production, and the training runs on a thread.
    import recommendations.tasks as tasks
    from recommendations.services.queueing import tasks_in_background_wait

    settings.TASKS_IN_BACKGROUND_WITHOUT_BROKER = True
    first = recommender_train(engine="content")
    Track.objects.filter(pk=catalog[0].pk).update(energy=0.95)
    may_train = threading.Event()
    real_train = tasks.recommender_train

    def train_when_allowed(**kwargs):
        assert may_train.wait(30), "the request never returned"
        return real_train(**kwargs)

    monkeypatch.setattr(tasks, "recommender_train", train_when_allowed)

    response = admin_client.post(LIST_URL, {"action": "train_now", "_selected_action": [first.pk]}, follow=True)

    assert "Training queued for content: it runs in the background" in response.content.decode()
    assert ModelVersion.objects.count() == 1  # the page came back while the training waited
    may_train.set()
    assert tasks_in_background_wait(timeout=30)
    assert ModelVersion.objects.get(is_active=True).version == 2


def test_rebuild_now_rebuilds_the_catalog_engines_whatever_the_debounce(
    admin_client, catalog, settings, django_capture_on_commit_callbacks
):
    from recommendations.models import DatasetState

    settings.REBUILD_MIN_INTERVAL_SECONDS = 3600
    state_url = reverse("admin:recommendations_datasetstate_changelist")
    admin_client.get(state_url)  # the row exists

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            state_url, {"action": "rebuild_now", "_selected_action": [DatasetState.SINGLETON_PK]}, follow=True
        )

    assert "Rebuild queued: it runs in the background" in response.content.decode()
    state = DatasetState.objects.get()
    assert state.last_rebuild_kind == "curator"
    assert set(ModelVersion.objects.filter(is_active=True).values_list("engine", flat=True)) >= {"content", "clusters"}


def test_after_an_edit_the_admin_says_by_when_the_next_rebuild_starts(admin_client, catalog, settings):
    from recommendations.models import DatasetState

    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker: beat runs the rebuild checks
    settings.REBUILD_MIN_INTERVAL_SECONDS, settings.REBUILD_CHECK_SECONDS = 600, 60
    started = timezone.now()
    DatasetState.objects.create(pk=DatasetState.SINGLETON_PK, last_rebuild_started_at=started)

    response = admin_client.post(
        reverse("admin:ingestion_track_changelist"),
        {"action": "hide_from_recommendations", "_selected_action": [catalog[0].pk]},
        follow=True,
    )

    due = timezone.localtime(started + timedelta(seconds=660))
    page = " ".join(response.content.decode().split())
    assert "1 track hidden from recommendations." in page
    assert f"Listeners see it after the next rebuild of the recommenders, which starts by {due:%H:%M}." in page
    assert "admin: 1 track hidden" in page  # what changed


def test_without_a_broker_the_admin_says_no_rebuild_is_scheduled_and_how_to_start_one(admin_client, catalog):
    response = admin_client.post(
        reverse("admin:ingestion_track_changelist"),
        {"action": "hide_from_recommendations", "_selected_action": [catalog[0].pk]},
        follow=True,
    )

    page = " ".join(response.content.decode().split())
    assert "Without a task broker no rebuild is scheduled on this server" in page
    assert reverse("admin:recommendations_datasetstate_changelist") in page


def test_a_clean_catalog_shows_no_rebuild_notice(admin_client, catalog, django_capture_on_commit_callbacks):
    from recommendations.services.rebuilds import dataset_rebuild_if_dirty

    dataset_rebuild_if_dirty()

    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "next-rebuild" not in page
