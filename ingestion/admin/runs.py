"""Import runs (with the upload page) and crawl runs in the curation admin: read-only records of what filled the
catalog; uploads and crawls are queued through the services."""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ingestion.admin.common import (
    INLINE_MAX_ROWS,
    ReadOnlyInline,
    counts_text,
)
from ingestion.forms import ImportUploadForm
from ingestion.models import (
    CrawlRun,
    ImportRejection,
    ImportRun,
    Playlist,
)
from ingestion.services.crawls.playlists import SpotifyNotConnected, crawl_playlists_queue
from ingestion.services.imports import import_run_queue

# --- imports ---


class ImportRejectionInline(ReadOnlyInline):
    model = ImportRejection
    fields = ("rejection",)
    readonly_fields = fields
    ordering = ("id",)
    verbose_name = _("rejected row")
    verbose_name_plural = format_lazy(_("rejected rows (at most the first {count})"), count=INLINE_MAX_ROWS)

    @admin.display(description=_("file:line: reason"))
    def rejection(self, rejection: ImportRejection) -> str:
        return str(rejection)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Read-only: runs are made by the upload page, the import commands and the crawlers, never by hand."""

    list_display = (
        "id", "kind", "format", "files", "status", "created", "updated", "unchanged", "rejected",
        "started_at", "finished_at", "requested_by",
    )
    list_display_links = ("id", "kind")
    list_filter = ("status", "kind")
    list_select_related = ("requested_by",)
    inlines = (ImportRejectionInline,)
    fieldsets = (
        (None, {"fields": ("kind", "format", "files", "uploaded_file", "requested_by")}),
        (_("Progress"), {"fields": ("status", "started_at", "finished_at", "error")}),
        (_("Summary"), {"fields": (("created", "updated", "unchanged", "rejected"), "summary")}),
    )
    readonly_fields = (
        "kind", "format", "files", "uploaded_file", "requested_by", "status", "started_at", "finished_at",
        "error", "created", "updated", "unchanged", "rejected", "summary",
    )
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ingestion.add_importrun")

    @admin.display(description=_("files"))
    def files(self, run: ImportRun) -> str:
        return ", ".join(run.paths) or run.uploaded_file.name

    @admin.display(description=_("counts per kind of row"))
    def summary(self, run: ImportRun) -> str:
        if not run.details:
            return ""
        items = ((kind, counts_text(counts)) for kind, counts in run.details.items())
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", items))

    def get_urls(self) -> list[URLPattern]:
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="ingestion_importrun_upload")
        return [upload, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "has_upload_permission": self.has_upload_permission(request)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_upload_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
        if form.is_valid():
            run = self._queue_upload(request, form)
            self.message_user(request, *_run_message(run))
            return redirect("admin:ingestion_importrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Upload a file to import"),
            "form": form,
        }
        return TemplateResponse(request, "admin/ingestion/importrun/upload.html", context)

    def _queue_upload(self, request: HttpRequest, form: ImportUploadForm) -> ImportRun:
        return import_run_queue(
            kind=form.cleaned_data["kind"],
            format_name=form.cleaned_data["format"] or None,
            uploaded_file=form.cleaned_data["file"],
            user=request.user,
        )


def _run_message(run: ImportRun) -> tuple[str, int]:
    """What the curator reads after an upload, and how loudly."""
    values = {"run": run.pk, "status": run.get_status_display()}
    if run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
        return gettext("Import #%(run)s is %(status)s; reload this page to see its summary.") % values, messages.INFO
    if run.status == ImportRun.Status.FAILED:
        reason = run.error or gettext("see the run below")
        return gettext("Import #%(run)s failed: %(reason)s") % {**values, "reason": reason}, messages.ERROR
    level = messages.WARNING if run.rejected else messages.SUCCESS
    counts = {"created": run.created, "updated": run.updated, "unchanged": run.unchanged, "rejected": run.rejected}
    text = ngettext(
        "Import #%(run)s %(status)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
        "%(rejected)s row rejected.",
        "Import #%(run)s %(status)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
        "%(rejected)s rows rejected.",
        run.rejected,
    )
    return text % {**values, **counts}, level


# --- Spotify crawls ---


def crawl_playlists_action(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    """Queue a crawl of the selected Spotify playlists (others have no Spotify id to crawl)."""
    playlist_ids = list(
        queryset.filter(source=Playlist.Source.SPOTIFY).order_by("pk").values_list("external_id", flat=True)
    )
    skipped = queryset.exclude(source=Playlist.Source.SPOTIFY).count()
    if skipped:
        text = ngettext(
            "%(count)s playlist not from Spotify skipped: only Spotify playlists can be crawled.",
            "%(count)s playlists not from Spotify skipped: only Spotify playlists can be crawled.",
            skipped,
        )
        model_admin.message_user(request, text % {"count": skipped}, messages.WARNING)
    if not playlist_ids:
        return
    try:
        crawl_playlists_queue(playlist_ids=playlist_ids)
    except SpotifyNotConnected:
        model_admin.message_user(
            request,
            gettext("Spotify is not connected: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET, then try again."),
            messages.ERROR,
        )
        return
    text = ngettext(
        "Crawl of %(count)s playlist queued; see Crawl runs for its outcome.",
        "Crawl of %(count)s playlists queued; see Crawl runs for its outcome.",
        len(playlist_ids),
    )
    model_admin.message_user(request, text % {"count": len(playlist_ids)}, messages.SUCCESS)


@admin.register(CrawlRun)
class CrawlRunAdmin(admin.ModelAdmin):
    """Read-only: runs are made by the crawl commands, the admin action and the scheduled tasks."""

    list_display = ("id", "kind", "status", "started", "finished", "tracks_summary", "request_count", "error_count",
                    "deferred_until")
    list_display_links = ("id", "kind")
    list_filter = ("status", "kind")
    date_hierarchy = "started"
    show_full_result_count = False
    fields = ("kind", "status", "parameters", "started", "finished", "deferred_until", "resume_at", "resumed_by",
              "counts_text", "gaps_text", "errors_text")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("tracks"))
    def tracks_summary(self, run: CrawlRun) -> str:
        tracks = run.counts.get("tracks", {})
        return gettext("%(created)s new, %(updated)s updated") % {
            "created": tracks.get("created", 0), "updated": tracks.get("updated", 0)}

    @admin.display(description=_("requests"))
    def request_count(self, run: CrawlRun) -> str:
        return gettext("%(requests)s (%(retries)s retries)") % {
            "requests": run.counts.get("requests", 0), "retries": run.counts.get("retries", 0)}

    @admin.display(description=_("errors"))
    def error_count(self, run: CrawlRun) -> int:
        return run.counts.get("errors", len(run.errors))

    @admin.display(description=_("counts"))
    def counts_text(self, run: CrawlRun) -> str:
        return format_html_join(mark_safe("<br>"), "{}: {}", ((k, counts_text(v)) for k, v in run.counts.items()))

    @admin.display(description=_("left for the next run"))
    def gaps_text(self, run: CrawlRun) -> str:
        return format_html_join(mark_safe("<br>"), "{}: {}", ((k, ", ".join(v)) for k, v in run.gaps.items())) or "–"

    @admin.display(description=_("errors"))
    def errors_text(self, run: CrawlRun) -> str:
        return format_html_join(mark_safe("<br>"), "{}", ((e,) for e in run.errors)) or "–"
