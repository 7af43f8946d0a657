from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from filters.models import SuggestedTrack, TasteProfile
from ingestion.admin.common import TrackChoiceField, TrackMultipleChoiceField, track_label
from ingestion.models import ordered_credits


@admin.register(SuggestedTrack)
class SuggestedTrackAdmin(admin.ModelAdmin):
    list_display = ("track_display", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    autocomplete_fields = ("track",)
    list_select_related = ("track__album",)
    search_fields = ("track__name", "track__artists__name", "track__album__name")
    ordering = ("position", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(ordered_credits("track__credits"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "track":  # the chosen track reads as the autocomplete listed it
            kwargs["form_class"] = TrackChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("track — artists — album"), ordering="track__name")
    def track_display(self, suggestion: SuggestedTrack) -> str:
        return track_label(suggestion.track)


@admin.register(TasteProfile)
class TasteProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "mood", "speed", "emotion", "completed_at", "updated_at")
    list_filter = ("mood", "speed", "emotion")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    autocomplete_fields = ("favourite_tracks",)
    readonly_fields = ("updated_at",)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "favourite_tracks":
            kwargs["form_class"] = TrackMultipleChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)
