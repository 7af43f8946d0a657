"""Model versions in the admin: listed with their metrics, read-only, activated (rollback) or retrained."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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
