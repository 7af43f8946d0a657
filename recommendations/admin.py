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
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from recommendations.models import DatasetState, ModelVersion, OfflineEvaluation, RebuildLease, TrackAudioAnalysis
from recommendations.services.rebuilds import REBUILD_LEASE, dataset_rebuild_queue, dataset_state
from recommendations.services.training import model_version_activate, recommender_train_queue

METRICS_IN_LIST = ("fit_seconds", "artifact_bytes", "cluster_sizes", "genre_vocabulary", "playlists", "listeners",
                   "ranker")  # fmt: skip


def _pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


# The metrics' names as the list shows them (the metrics themselves stay as the engines wrote them).
METRIC_LABELS = {
    "cluster_sizes": pgettext_lazy("metric", "cluster sizes"),
    "genre_vocabulary": pgettext_lazy("metric", "genre vocabulary"),
    "playlists": pgettext_lazy("metric", "playlists"),
    "listeners": pgettext_lazy("metric", "listeners"),
    "ranker": pgettext_lazy("metric", "ranker"),
}


def _metric_text(name: str, value: Any) -> str:
    if name == "artifact_bytes":
        return f"{value / 1e6:.1f} MB"
    if name == "fit_seconds":
        return gettext("fit %(seconds)s s") % {"seconds": f"{value:.1f}"}
    label = METRIC_LABELS.get(name) or name.replace("_", " ")
    if isinstance(value, list):
        return f"{label} {'/'.join(map(str, value))}"
    return f"{label} {value}"


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
        (_("Data"), {"fields": ("data_hash", "catalog_read_at", "params_pretty")}),
        (_("Build"), {"fields": ("builder", "storage_path", "created_at", "finished_at", "metrics_pretty")}),
    )
    readonly_fields = (
        "engine", "version", "status", "is_active", "error", "data_hash", "catalog_read_at", "params_pretty",
        "builder", "storage_path", "created_at", "finished_at", "metrics_pretty", "audio_errors",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        # A deleted row would orphan its files and its history; old versions are retired by training instead.
        return False

    def has_change_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        # The change form stays read-only; the actions (activate, train) are allowed to those who may change.
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description=_("data hash"))
    def data_hash_short(self, version: ModelVersion) -> str:
        return version.short_hash

    @admin.display(description=_("tracks"))
    def tracks(self, version: ModelVersion) -> str:
        count = version.track_count
        return f"{count:,}" if count is not None else ""

    @admin.display(description=_("metrics"))
    def metrics_summary(self, version: ModelVersion) -> str:
        shown = (name for name in METRICS_IN_LIST if name in version.metrics)
        summary = ", ".join(_metric_text(name, version.metrics[name]) for name in shown)
        if version.engine == ModelVersion.Engine.AUDIO and "learned" in version.metrics:
            summary = f"{_audio_summary(version.metrics)}, {summary}"
        return summary

    def get_fieldsets(self, request: HttpRequest, obj: ModelVersion | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.engine == ModelVersion.Engine.AUDIO:
            learned = (_("What the audio model learned"), {"fields": ("audio_errors",)})
            return (*fieldsets[:1], learned, *fieldsets[1:])
        return fieldsets

    @admin.display(description=_("cross-validated error per feature"))
    def audio_errors(self, version: ModelVersion) -> str:
        return audio_metrics_table(version.metrics)

    @admin.display(description=_("parameters"))
    def params_pretty(self, version: ModelVersion) -> str:
        return _pretty_json(version.params)

    @admin.display(description=_("metrics"))
    def metrics_pretty(self, version: ModelVersion) -> str:
        return _pretty_json(version.metrics)

    @admin.action(description=_("Activate this version (serve it everywhere)"), permissions=["change"])
    def activate_version(self, request: HttpRequest, queryset: QuerySet) -> None:
        chosen = list(queryset)
        if len({version.engine for version in chosen}) != len(chosen):
            self.message_user(request, gettext("Choose at most one version per engine to activate."), messages.ERROR)
            return
        for version in chosen:
            try:
                model_version_activate(version_id=version.pk)
            except ValueError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                delay = settings.RECOMMENDER_RELOAD_CHECK_SECONDS
                text = gettext("Activated %(version)s; every process switches to it within %(delay)s s.") % {
                    "version": version, "delay": delay}
                self.message_user(request, text, messages.SUCCESS)

    @admin.action(
        description=_("Train these engines now (skipped if the catalog is unchanged)"), permissions=["change"]
    )
    def train_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        engines = recommender_train_queue(engines={version.engine for version in queryset})
        self.message_user(
            request,
            gettext("Training queued for %(engines)s: it runs in the background, and new versions appear here when "
                    "done (reload this page).") % {"engines": ", ".join(engines)},
            messages.INFO,
        )


def _audio_summary(metrics: dict[str, Any]) -> str:
    if metrics["learned"]:
        return gettext("learned from %(tracks)s tracks") % {"tracks": f"{metrics['training_tracks']:,}"}
    return gettext("too few tracks (%(tracks)s of %(minimum)s): measured features only") % {
        "tracks": metrics["training_tracks"], "minimum": metrics["min_training_tracks"],
    }


def audio_metrics_table(metrics: dict[str, Any]) -> str:
    """The audio model's metrics as two tables: each learned feature's cross-validated error (mean absolute error
    on the 0..1 scale) against predicting the mean, and how the measured features agree with the real ones."""
    if "learned" not in metrics:
        return "–"
    intro = format_html("<p>{}.</p>", _audio_summary(metrics).capitalize())
    learned = metrics.get("learned_features", {})
    rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
        (name, fit["model"].replace("_", " "), f"{fit['cv_mae']:.3f}", f"{fit['mean_mae']:.3f}",
         f"{100 * (1 - fit['cv_mae'] / fit['mean_mae']):.0f} %" if fit["mean_mae"] else "–", fit["tracks"])
        for name, fit in learned.items()
    ))  # fmt: skip
    header = format_html(
        "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        gettext("feature"), gettext("model (chosen by CV error)"), gettext("CV error (MAE)"),
        gettext("error of the mean"), gettext("better than the mean"), gettext("tracks"),
    )
    learned_table = format_html("<table>{}{}</table>", header, rows) if learned else ""
    agreement = metrics.get("measured_agreement", {})
    measured_rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", (
        (name, _agreement_text(name, row), row["tracks"]) for name, row in agreement.items()
    ))  # fmt: skip
    measured_table = format_html(
        "<p>{}</p><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
        gettext("Measured directly, against the tracks' real values:"), gettext("feature"), gettext("agreement"),
        gettext("tracks"),
        measured_rows,
    ) if agreement else ""  # fmt: skip
    return format_html("{}{}{}", intro, learned_table, measured_table)


def _agreement_text(name: str, row: dict[str, Any]) -> str:
    if name in ("key", "mode"):
        return gettext("%(percent)s %% right") % {"percent": f"{100 * row['right_share']:.0f}"}
    unit = " BPM" if name == "tempo" else " dB"
    text = gettext("mean error %(error)s") % {"error": f"{row['mae']:.2f}{unit}"}
    if "within_2_bpm_share" in row:
        text += ", " + gettext("%(percent)s %% within 2 BPM") % {"percent": f"{100 * row['within_2_bpm_share']:.0f}"}
    return text


@admin.register(TrackAudioAnalysis)
class TrackAudioAnalysisAdmin(admin.ModelAdmin):
    """What the audio model measured of each track's audio (read-only: made by the analysis and by training)."""

    list_display = ("track", "outcome", "audio_kind", "audio_name", "model_version", "analysed_at", "error")
    list_filter = ("outcome", "audio_kind")
    list_select_related = ("track", "model_version")
    search_fields = ("track__name", "audio_name")
    readonly_fields = ("track", "audio_kind", "audio_name", "analysis_version", "outcome", "error", "model_version",
                       "analysed_at", "measured_pretty")  # fmt: skip
    exclude = ("measured", "descriptors")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TrackAudioAnalysis | None = None) -> bool:
        return False

    @admin.display(description=_("measured"))
    def measured_pretty(self, analysis: TrackAudioAnalysis) -> str:
        return _pretty_json(analysis.measured)


# --- the dataset's state and the rebuild lease (read-only: the catalog counts changes, the rebuilds the rest) ---


@admin.register(DatasetState)
class DatasetStateAdmin(admin.ModelAdmin):
    """One row: is the catalog dirty, what changed last, how the last rebuild went, who holds the rebuild lock.

    "Rebuild now" queues a rebuild of the catalog engines at once, whatever the debounce says."""

    actions = ("rebuild_now",)

    def has_rebuild_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("recommendations.change_modelversion")

    @admin.action(description=_("Rebuild now (the recommenders learn the catalog's latest changes)"),
                  permissions=["rebuild"])
    def rebuild_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        dataset_rebuild_queue()
        self.message_user(
            request,
            gettext("Rebuild queued: it runs in the background; this page shows its outcome when done (reload it)."),
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

    # The catalog's side of the state (read through DatasetState's properties), labelled like model fields.
    @admin.display(description=_("dirty since"))
    def dirty_since(self, state: DatasetState) -> Any:
        return state.dirty_since

    @admin.display(description=_("last change at"))
    def last_change_at(self, state: DatasetState) -> Any:
        return state.last_change_at

    @admin.display(description=_("last change reason"))
    def last_change_reason(self, state: DatasetState) -> str:
        return state.last_change_reason

    @admin.display(description=_("change count"))
    def change_count(self, state: DatasetState) -> int:
        return state.change_count

    @admin.display(description=_("rebuild lock"))
    def rebuild_lock(self, state: DatasetState) -> str:
        lease = RebuildLease.objects.filter(name=REBUILD_LEASE).first()
        if lease is None or not lease.is_held():
            return gettext("free")
        return gettext("held by %(holder)s until %(until)s") % {
            "holder": lease.holder, "until": f"{timezone.localtime(lease.expires_at):%Y-%m-%d %H:%M:%S}"}


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

    @admin.display(description=_("held out"))
    def held_out(self, evaluation: OfflineEvaluation) -> int:
        return evaluation.report.get("protocol", {}).get("test_playlists", 0)

    @admin.display(description=_("R-precision / NDCG / clicks per category"))
    def scores(self, evaluation: OfflineEvaluation) -> str:
        methods = evaluation.report.get("methods", {})
        categories = list(next(iter(methods.values()), {}).get("categories", {}))
        names = format_html_join("", "<th>{}</th>", ((method,) for method in methods))
        header = format_html("<tr><th>{}</th>{}</tr>", gettext("category"), names)
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
