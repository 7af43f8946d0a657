"""Audio in the curation admin: the upload page, each upload's progress and report, and "look up previews".

The pages parse and render; the services do the work (`audio_upload_queue`, `previews_look_up` through its task).
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ingestion.audio.reasons import matched_by_text, reason_text
from ingestion.forms import AudioUploadForm
from ingestion.models import AudioUpload
from ingestion.services.audio_uploads import audio_upload_queue
from ingestion.services.previews import PreviewLookupOff, preview_sources

PROGRESS_REFRESH_SECONDS = 2
PREVIEW_ACTION_MAX_TRACKS = 200  # one action's lookups; more is the look_up_previews command's work

OUTCOME_LABELS = {
    "matched": _("matched"),
    "created": _("created"),
    "unchanged": _("unchanged"),
    "rejected": _("rejected"),
}


@admin.register(AudioUpload)
class AudioUploadAdmin(admin.ModelAdmin):
    """Read-only: uploads are made by the upload page; each one's page shows its progress, then its report."""

    list_display = ("id", "status", "progress", "matched", "created", "unchanged", "rejected", "queued_at",
                    "requested_by")
    list_display_links = ("id", "status")
    list_filter = ("status",)
    list_select_related = ("requested_by",)
    show_full_result_count = False
    fields = ("status", "progress", "create_missing", "requested_by", "queued_at", "started_at", "finished_at",
              "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ingestion.add_audioupload") and request.user.has_perm("ingestion.change_track")

    @admin.display(description=_("progress"))
    def progress(self, upload: AudioUpload) -> str:
        return gettext("%(done)s of %(total)s files") % {"done": upload.files_done, "total": upload.files_total}

    def get_urls(self) -> list[URLPattern]:
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="ingestion_audioupload_upload")
        return [upload, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "has_upload_permission": self.has_upload_permission(request)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        upload = self.get_object(request, object_id)
        extra_context = {**(extra_context or {})}
        if upload is not None:
            extra_context |= {
                "report_rows": [_report_row(entry) for entry in upload.report],
                "refresh_seconds": None if upload.is_finished else PROGRESS_REFRESH_SECONDS,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_upload_permission(request):
            raise PermissionDenied
        form = AudioUploadForm(request.POST, request.FILES) if request.method == "POST" else AudioUploadForm()
        if form.is_valid():
            upload = audio_upload_queue(
                files=form.cleaned_data["files"], create_missing=form.cleaned_data["create_missing"],
                user=request.user,
            )
            self.message_user(request, *_upload_message(upload))
            return redirect("admin:ingestion_audioupload_change", upload.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Upload audio files"),
            "form": form,
        }
        return TemplateResponse(request, "admin/ingestion/audioupload/upload.html", context)


def _report_row(entry: dict) -> dict:
    """One file of the report as the page shows it, in the curator's language."""
    outcome = entry.get("outcome", "")
    if outcome == "rejected":
        detail = reason_text(entry.get("reason", ""), entry.get("params"))
    elif outcome == "created":
        detail = gettext("new track, without features until its audio is analysed")
    else:
        detail = matched_by_text(entry.get("how", ""))
    tracks = [
        format_html('<a href="{}">{}</a>', reverse("admin:ingestion_track_change", args=[pk]), pk)
        for pk in entry.get("tracks", [])
    ]
    return {"file": entry.get("file", ""), "outcome": outcome, "outcome_label": OUTCOME_LABELS.get(outcome, outcome),
            "tracks": tracks, "detail": detail}


def _upload_message(upload: AudioUpload) -> tuple[str, int]:
    if not upload.is_finished:
        return gettext("Audio upload #%(id)s is %(status)s; this page shows its progress.") % {
            "id": upload.pk, "status": upload.get_status_display()}, messages.INFO
    if upload.status == AudioUpload.Status.FAILED:
        return gettext("Audio upload #%(id)s failed: %(error)s") % {"id": upload.pk, "error": upload.error}, \
            messages.ERROR
    text = gettext(
        "Audio upload #%(id)s: %(matched)s matched, %(created)s created, %(unchanged)s unchanged, "
        "%(rejected)s rejected."
    ) % {"id": upload.pk, "matched": upload.matched, "created": upload.created, "unchanged": upload.unchanged,
         "rejected": upload.rejected}
    return text, messages.WARNING if upload.rejected else messages.SUCCESS


# --- previews ---


def look_up_previews_action(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    """Look up public previews for the selected tracks (at most PREVIEW_ACTION_MAX_TRACKS), as a task."""
    from ingestion.tasks import look_up_previews_task  # the task runs the service; eager without a broker

    if not preview_sources().sources:
        model_admin.message_user(request, str(PreviewLookupOff()), messages.ERROR)
        return
    track_ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: PREVIEW_ACTION_MAX_TRACKS + 1])
    if len(track_ids) > PREVIEW_ACTION_MAX_TRACKS:
        model_admin.message_user(
            request,
            gettext("Select at most %(count)s tracks, or run manage.py look_up_previews for more.")
            % {"count": PREVIEW_ACTION_MAX_TRACKS},
            messages.ERROR,
        )
        return
    result = look_up_previews_task.delay(track_ids)
    if result.ready():  # no broker: it ran already
        counts = result.get()
        text = gettext(
            "Previews: %(found)s found for %(tracks)s tracks (%(kept_files)s files kept), %(not_found)s not found, "
            "%(mismatched)s only other songs, %(undecodable)s undecodable, %(unavailable)s source failures."
        ) % counts
        if counts["deferred_until"]:
            text += " " + gettext("The sources are rate-limited until %(until)s: %(left)s tracks were left.") % {
                "until": counts["deferred_until"], "left": counts["left"]}
        model_admin.message_user(request, text, messages.SUCCESS if counts["found"] else messages.WARNING)
    else:
        model_admin.message_user(
            request,
            ngettext("Preview lookup of %(count)s track queued.", "Preview lookup of %(count)s tracks queued.",
                     len(track_ids)) % {"count": len(track_ids)},
            messages.SUCCESS,
        )
