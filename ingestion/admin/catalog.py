"""Tracks, artists, albums, genres and playlists in the curation admin: find, fix, hide; every edit is a catalog
change (`catalog_changed`), so the recommenders rebuild."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import format_lazy, smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ingestion.admin.audio import look_up_previews_action
from ingestion.admin.common import (
    INLINE_MAX_ROWS,
    CuratedTimestampsMixin,
    ReadOnlyInline,
    artist_names,
    demo_marker,
    plural,
    track_label,
)
from ingestion.admin.filters import (
    AlbumReleaseYearFilter,
    ArtistGenreFilter,
    GenreFilter,
    PopularityFilter,
    ReleaseYearFilter,
)
from ingestion.admin.runs import crawl_playlists_action
from ingestion.forms import AlbumAdminForm, ArtistAdminForm, TrackAdminForm
from ingestion.models import (
    Album,
    Artist,
    Genre,
    Playlist,
    PlaylistTrack,
    Track,
    TrackArtist,
    ordered_credits,
)
from ingestion.services.changes import catalog_changed

AUDIO_HELP = _(
    "Audio comes from Audio uploads (matched by id, ISRC or artist and title) or from the “Look up previews” "
    "action; the audio analysis measures features from it."
)
FEATURES_HELP = _(
    "danceability, energy and valence are required unless the source is “missing”; then all are empty."
)


# --- catalog ---


class TrackArtistInline(admin.TabularInline):
    model = TrackArtist
    fields = ("position", "artist")
    autocomplete_fields = ("artist",)
    ordering = ("position",)
    extra = 0
    verbose_name = _("credited artist")
    verbose_name_plural = _("credited artists (position 0 is the main artist)")


@admin.register(Track)
class TrackAdmin(CuratedTimestampsMixin, admin.ModelAdmin):
    form = TrackAdminForm
    list_display = (
        "name", "artists_display", "album", "released", "features_source", "popularity", "is_hidden", "demo",
    )
    list_select_related = ("album",)
    list_filter = (GenreFilter, ReleaseYearFilter, "features_source", "is_hidden", "is_demo")
    search_fields = ("name", "artists__name", "album__name")  # see get_search_results
    search_help_text = _("Search by track title, artist name or album name.")
    actions = ("hide_from_recommendations", "show_in_recommendations", "look_up_previews")
    autocomplete_fields = ("album",)
    inlines = (TrackArtistInline,)
    readonly_fields = ("first_seen", "updated_at", "preview_url", "audio_file")
    show_full_result_count = False  # a COUNT(*) over 100k+ tracks on every page view buys nothing
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("name", "spotify_id", "album", ("duration_ms", "explicit", "popularity"))}),
        (_("Recommendations"), {"fields": ("is_hidden", "is_demo")}),
        (_("Audio"), {"description": AUDIO_HELP, "fields": ("isrc", "audio_file", "preview_url")}),
        (_("Audio features"), {"description": FEATURES_HELP, "fields": (
            "features_source",
            ("danceability", "energy", "valence"),
            ("acousticness", "instrumentalness", "speechiness", "liveness"),
            ("tempo", "loudness", "key", "mode", "time_signature"),
        )}),
        (_("History"), {"fields": ("first_seen", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("album").with_credits()

    def autocomplete_label(self, track: Track) -> str:
        """What a track picker elsewhere (suggested tracks, favourites) lists: title — artists — album (year)."""
        return track_label(track)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        """Like search_fields, but artists match through a semi-join: no duplicates to remove afterwards
        (Django would wrap the whole list in a correlated EXISTS, seconds on 100k tracks in SQLite)."""
        for term in smart_split(search_term):
            if term[0] in "\"'" and term[0] == term[-1]:
                term = unescape_string_literal(term)
            by_artist = TrackArtist.objects.filter(artist__name__icontains=term).values("track_id")
            queryset = queryset.filter(
                Q(name__icontains=term) | Q(album__name__icontains=term) | Q(pk__in=by_artist)
            )
        return queryset, False

    @admin.display(description=_("artists"))
    def artists_display(self, track: Track) -> str:
        return artist_names(track)

    @admin.display(description=_("released"), ordering="album__release_date")
    def released(self, track: Track) -> str:
        return track.album.release_date_display if track.album else ""

    @admin.display(description=_("demo"), ordering="is_demo")
    def demo(self, track: Track) -> str:
        return demo_marker(track.is_demo)

    @admin.action(description=_("Hide from recommendations"), permissions=["change"])
    def hide_from_recommendations(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_hidden(request, queryset, hidden=True)

    @admin.action(description=_("Show in recommendations"), permissions=["change"])
    def show_in_recommendations(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_hidden(request, queryset, hidden=False)

    @admin.action(description=_("Look up previews (Deezer, iTunes)"), permissions=["change"])
    def look_up_previews(self, request: HttpRequest, queryset: QuerySet) -> None:
        look_up_previews_action(self, request, queryset)

    def _set_hidden(self, request: HttpRequest, queryset: QuerySet, *, hidden: bool) -> None:
        changed = queryset.exclude(is_hidden=hidden).update(is_hidden=hidden, updated_at=timezone.now())
        if changed:
            catalog_changed(reason=f"admin: {plural(changed, 'track')} {'hidden' if hidden else 'shown'}")
        if hidden:
            text = ngettext("%(count)s track hidden from recommendations.",
                            "%(count)s tracks hidden from recommendations.", changed)
        else:
            text = ngettext("%(count)s track shown in recommendations.",
                            "%(count)s tracks shown in recommendations.", changed)
        self.message_user(request, text % {"count": changed}, messages.SUCCESS)


@admin.register(Artist)
class ArtistAdmin(CuratedTimestampsMixin, admin.ModelAdmin):
    form = ArtistAdminForm
    list_display = ("name", "genre_names", "popularity", "followers", "demo")
    list_filter = (ArtistGenreFilter, PopularityFilter, "is_demo")
    search_fields = ("name", "=spotify_id")
    autocomplete_fields = ("genres",)
    readonly_fields = ("first_seen", "updated_at")
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("genres")

    @admin.display(description=_("genres"))
    def genre_names(self, artist: Artist) -> str:
        return ", ".join(genre.name for genre in artist.genres.all())

    @admin.display(description=_("demo"), ordering="is_demo")
    def demo(self, artist: Artist) -> str:
        return demo_marker(artist.is_demo)


@admin.register(Album)
class AlbumAdmin(CuratedTimestampsMixin, admin.ModelAdmin):
    form = AlbumAdminForm
    list_display = ("name", "artist", "released", "demo")
    list_select_related = ("artist",)
    list_filter = (AlbumReleaseYearFilter, "release_date_precision", "is_demo")
    search_fields = ("name", "artist__name", "=spotify_id")
    autocomplete_fields = ("artist",)
    readonly_fields = ("first_seen", "updated_at")
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description=_("released"), ordering="release_date")
    def released(self, album: Album) -> str:
        return album.release_date_display

    @admin.display(description=_("demo"), ordering="is_demo")
    def demo(self, album: Album) -> str:
        return demo_marker(album.is_demo)


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ("name", "artist_count")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(artist_count=Count("artists"))

    @admin.display(description=_("artists"), ordering="artist_count")
    def artist_count(self, genre: Genre) -> int:
        return genre.artist_count


# --- playlists ---


class PlaylistTrackInline(ReadOnlyInline):
    model = PlaylistTrack
    fields = ("position", "track", "track_artists")
    readonly_fields = fields
    raw_id_fields = ("track",)
    ordering = ("position",)
    verbose_name = _("track")
    verbose_name_plural = format_lazy(_("tracks in order (at most the first {count})"), count=INLINE_MAX_ROWS)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        entries = super().get_queryset(request).select_related("track")
        return entries.prefetch_related(ordered_credits("track__credits"))

    @admin.display(description=_("artists"))
    def track_artists(self, entry: PlaylistTrack) -> str:
        return artist_names(entry.track)


@admin.register(Playlist)
class PlaylistAdmin(CuratedTimestampsMixin, admin.ModelAdmin):
    list_display = ("name", "source", "external_id", "entry_count", "followers", "updated_at")
    list_filter = ("source",)
    search_fields = ("name", "=external_id")
    inlines = (PlaylistTrackInline,)
    readonly_fields = ("entry_count", "first_seen", "updated_at")
    fields = ("name", "source", "external_id", "description", "followers", "entry_count", "first_seen", "updated_at")
    show_full_result_count = False
    list_per_page = 50
    actions = ("crawl_from_spotify",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A correlated count per shown row, not a GROUP BY over every playlist entry (the MPD has 66M).
        entries = (
            PlaylistTrack.objects.filter(playlist=OuterRef("pk"))
            .order_by()
            .values("playlist")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return super().get_queryset(request).annotate(
            entry_count=Coalesce(Subquery(entries, output_field=IntegerField()), Value(0))
        )

    @admin.display(description=_("tracks"), ordering="entry_count")
    def entry_count(self, playlist: Playlist) -> int:
        return playlist.entry_count

    @admin.action(description=_("Crawl selected playlists from Spotify"))
    def crawl_from_spotify(self, request: HttpRequest, queryset: QuerySet) -> None:
        crawl_playlists_action(self, request, queryset)

