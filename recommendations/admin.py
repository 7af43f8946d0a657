"""Model versions in the admin: what was trained when, on which data, how it went; roll back or retrain.
The dataset's state (dirty since when, the last rebuild, the rebuild lock) is shown beside them.

Versions are made only by training (the command, the task); curators read them, activate a ready one
(a rollback) or queue a retrain. The list has no related rows: one query per page.
"""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from recommendations.models import DatasetState, ModelVersion, OfflineEvaluation, RebuildLease
from recommendations.services.rebuilds import REBUILD_LEASE, dataset_rebuild_queue, dataset_state
from recommendations.services.training import model_version_activate, recommender_train_queue

METRICS_IN_LIST = ("fit_seconds", "artifact_bytes", "cluster_sizes", "genre_vocabulary", "playlists")


def _pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def _metric_text(name: str, value: Any) -> str:
    if name == "artifact_bytes":
        return f"{value / 1e6:.1f} MB"
    if name == "fit_seconds":
        return f"fit {value:.1f} s"
    if isinstance(value, list):
        return f"{name.replace('_', ' ')} {'/'.join(map(str, value))}"
    return f"{name.replace('_', ' ')} {value}"


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "__str__", "engine", "version", "status", "is_active", "data_hash_short", "tracks", "created_at",
        "finished_at", "metrics_summary",
    )  # fmt: skip
    list_display_links = ("__str__",)
    list_filter = ("engine", "status", "is_active")
    ordering = ("engine", "-version")
    actions = ("activate_version", "train_now")
    fieldsets = (
        (None, {"fields": ("engine", "version", "status", "is_active", "error")}),
        ("Data", {"fields": ("data_hash", "catalog_read_at", "params_pretty")}),
        ("Build", {"fields": ("builder", "storage_path", "created_at", "finished_at", "metrics_pretty")}),
    )
    readonly_fields = (
        "engine", "version", "status", "is_active", "error", "data_hash", "catalog_read_at", "params_pretty",
        "builder", "storage_path", "created_at", "finished_at", "metrics_pretty",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        # A deleted row would orphan its files and its history; old versions are retired by training instead.
        return False

    def has_change_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        # The change form stays read-only; the actions (activate, train) are allowed to those who may change.
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description="data hash")
    def data_hash_short(self, version: ModelVersion) -> str:
        return version.short_hash

    @admin.display(description="tracks")
    def tracks(self, version: ModelVersion) -> str:
        count = version.track_count
        return f"{count:,}" if count is not None else ""

    @admin.display(description="metrics")
    def metrics_summary(self, version: ModelVersion) -> str:
        shown = (name for name in METRICS_IN_LIST if name in version.metrics)
        return ", ".join(_metric_text(name, version.metrics[name]) for name in shown)

    @admin.display(description="parameters")
    def params_pretty(self, version: ModelVersion) -> str:
        return _pretty_json(version.params)

    @admin.display(description="metrics")
    def metrics_pretty(self, version: ModelVersion) -> str:
        return _pretty_json(version.metrics)

    @admin.action(description="Activate this version (serve it everywhere)", permissions=["change"])
    def activate_version(self, request: HttpRequest, queryset: QuerySet) -> None:
        chosen = list(queryset)
        if len({version.engine for version in chosen}) != len(chosen):
            self.message_user(request, "Choose at most one version per engine to activate.", messages.ERROR)
            return
        for version in chosen:
            try:
                model_version_activate(version_id=version.pk)
            except ValueError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                delay = settings.RECOMMENDER_RELOAD_CHECK_SECONDS
                self.message_user(
                    request, f"Activated {version}; every process switches to it within {delay} s.", messages.SUCCESS
                )

    @admin.action(description="Train these engines now (skipped if the catalog is unchanged)", permissions=["change"])
    def train_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        engines = recommender_train_queue(engines={version.engine for version in queryset})
        self.message_user(
            request,
            _("Training queued for %(engines)s: it runs in the background, and new versions appear here when done "
              "(reload this page).") % {"engines": ", ".join(engines)},
            messages.INFO,
        )


# --- the dataset's state and the rebuild lease (read-only: the catalog counts changes, the rebuilds the rest) ---


@admin.register(DatasetState)
class DatasetStateAdmin(admin.ModelAdmin):
    """One row: is the catalog dirty, what changed last, how the last rebuild went, who holds the rebuild lock.

    "Rebuild now" queues a rebuild of the catalog engines at once, whatever the debounce says."""

    actions = ("rebuild_now",)

    def has_rebuild_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("recommendations.change_modelversion")

    @admin.action(description="Rebuild now (the recommenders learn the catalog's latest changes)",
                  permissions=["rebuild"])
    def rebuild_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        dataset_rebuild_queue()
        self.message_user(
            request,
            _("Rebuild queued: it runs in the background; this page shows its outcome when done (reload it)."),
            messages.INFO,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        dataset_state()  # the row exists, and a change not yet seen by a rebuild check is noted
        return super().changelist_view(request, extra_context)

    list_display = (
        "__str__", "dirty_since", "last_change_at", "last_change_reason", "last_rebuild_started_at",
        "last_rebuild_finished_at", "last_rebuild_summary", "rebuild_lock",
    )  # fmt: skip
    readonly_fields = (*list_display[1:], "change_count", "rebuilt_change_count", "last_rebuild_kind")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DatasetState | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DatasetState | None = None) -> bool:
        return False

    @admin.display(description="rebuild lock")
    def rebuild_lock(self, state: DatasetState) -> str:
        lease = RebuildLease.objects.filter(name=REBUILD_LEASE).first()
        if lease is None or not lease.is_held():
            return "free"
        return f"held by {lease.holder} until {timezone.localtime(lease.expires_at):%Y-%m-%d %H:%M:%S}"


@admin.register(OfflineEvaluation)
class OfflineEvaluationAdmin(admin.ModelAdmin):
    """`evaluate --record` runs, read-only: overall R-precision in the list, every category in the detail."""

    list_display = ("created_at", "playlists_path", "song2vec_r_precision", "popularity_r_precision", "held_out")
    readonly_fields = ("created_at", "playlists_path", "song2vec_r_precision", "popularity_r_precision", "scores")
    exclude = ("report",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by `manage.py evaluate --record`

    def has_change_permission(self, request: HttpRequest, obj: OfflineEvaluation | None = None) -> bool:
        return False

    @admin.display(description="held out")
    def held_out(self, evaluation: OfflineEvaluation) -> int:
        return evaluation.report.get("protocol", {}).get("test_playlists", 0)

    @admin.display(description="R-precision / NDCG / clicks per category")
    def scores(self, evaluation: OfflineEvaluation) -> str:
        methods = evaluation.report.get("methods", {})
        categories = list(next(iter(methods.values()), {}).get("categories", {}))
        names = format_html_join("", "<th>{}</th>", ((method,) for method in methods))
        header = format_html("<tr><th>category</th>{}</tr>", names)
        rows = format_html_join(
            "",
            "<tr><td>{}</td>{}</tr>",
            (
                (category, format_html_join("", "<td>{} / {} / {}</td>", (
                    (row["r_precision"], row["ndcg"], row["clicks"])
                    for row in (methods[m]["categories"][category] for m in methods)
                )))
                for category in categories
            ),
        )  # fmt: skip
        return format_html("<table>{}{}</table>", header, rows)
