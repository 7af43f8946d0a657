from django.contrib import admin

from filters.models import SuggestedTrack, TasteProfile


@admin.register(SuggestedTrack)
class SuggestedTrackAdmin(admin.ModelAdmin):
    list_display = ("track", "artists", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    autocomplete_fields = ("track",)
    list_select_related = ("track",)
    search_fields = ("track__name",)
    ordering = ("position", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("track__artists")

    @admin.display(description="artists")
    def artists(self, suggestion: SuggestedTrack) -> str:
        return ", ".join(artist.name for artist in suggestion.track.artists.all())


@admin.register(TasteProfile)
class TasteProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "mood", "speed", "emotion", "completed_at", "updated_at")
    list_filter = ("mood", "speed", "emotion")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    autocomplete_fields = ("favourite_tracks",)
    readonly_fields = ("updated_at",)
