"""What the curation admin's pages share: small display helpers, curated timestamps, capped read-only inlines."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db.models import Model, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from ingestion.models import Track
from ingestion.services.changes import catalog_changed

INLINE_MAX_ROWS = 500  # rows an inline shows before it stops (a Spotify playlist can hold 10,000 tracks)


def plural(count: int, singular: str, many: str | None = None) -> str:
    """English counts for records that stay English (catalog change reasons); pages use ngettext."""
    return f"{count} {singular if count == 1 else many or singular + 's'}"


def demo_marker(is_demo: bool) -> str:
    return format_html('<strong class="demo-marker">{}</strong>', gettext("DEMO")) if is_demo else ""


def artist_names(track: Track) -> str:
    return ", ".join(credit.artist.name for credit in track.credits.all())


def track_label(track: Track) -> str:
    """How a curator tells tracks apart when picking one: "title — artists — album (year)"; four tracks called
    "Moonlight Pt. 2" differ by artist and album. Needs the credits prefetched and the album selected."""
    parts = [track.name, artist_names(track)]
    if track.album:
        year = track.album.release_date.year if track.album.release_date else None
        parts.append(f"{track.album.name} ({year})" if year else track.album.name)
    return " — ".join(part for part in parts if part)


class TrackChoiceField(ModelChoiceField):
    """A track picker (the autocomplete's chosen value) labelled with artists and album, in one or two queries."""

    def __init__(self, queryset: QuerySet, **kwargs) -> None:
        super().__init__(queryset.select_related("album").with_credits(), **kwargs)

    def label_from_instance(self, obj: Track) -> str:
        return track_label(obj)


class TrackMultipleChoiceField(ModelMultipleChoiceField):
    def __init__(self, queryset: QuerySet, **kwargs) -> None:
        super().__init__(queryset.select_related("album").with_credits(), **kwargs)

    def label_from_instance(self, obj: Track) -> str:
        return track_label(obj)


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete, labelling each result with its ModelAdmin's `autocomplete_label(obj)` when it
    has one (tracks: title — artists — album (year)) instead of `str(obj)`. Served at the admin's own
    autocomplete URL (recommender_site.urls), so every autocomplete field uses it."""

    def serialize_result(self, obj: Model, to_field_name: str) -> dict[str, str]:
        label = getattr(self.model_admin, "autocomplete_label", None)
        result = super().serialize_result(obj, to_field_name)
        return {**result, "text": label(obj)} if label else result



def counts_text(counts) -> str:
    if isinstance(counts, dict):
        return ", ".join(f"{name} {value}" for name, value in counts.items())
    return str(counts)


# --- shared pieces ---


class CuratedTimestampsMixin:
    """first_seen on add; updated_at moves only when a curator changes something (imports keep it stable)."""

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        now = timezone.now()
        if not change:
            obj.first_seen = now
            obj.updated_at = now
        elif form.has_changed():
            obj.updated_at = now
        super().save_model(request, obj, form, change)
        if not change or form.has_changed():
            catalog_changed(reason=f"admin: {obj._meta.model_name} {obj.pk} {'edited' if change else 'added'}")

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and not form.has_changed() and any(formset.has_changed() for formset in formsets):
            type(form.instance).objects.filter(pk=form.instance.pk).update(updated_at=timezone.now())
            catalog_changed(reason=f"admin: {form.instance._meta.model_name} {form.instance.pk} edited")


class CappedInlineFormSet(BaseInlineFormSet):
    """Shows the first INLINE_MAX_ROWS rows of a read-only inline, so a huge relation cannot stall the page."""

    def get_queryset(self) -> QuerySet:
        if not hasattr(self, "_capped_queryset"):
            self._capped_queryset = super().get_queryset()[:INLINE_MAX_ROWS]
        return self._capped_queryset


class ReadOnlyInline(admin.TabularInline):
    formset = CappedInlineFormSet
    template = "admin/edit_inline/tabular_readonly.html"  # each row once: no str(row) above its columns
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

