"""Reads for the pages: small, bounded queries returning plain data for templates."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ingestion.models import Album, Artist, Genre, Playlist, Track

NEWEST_RELEASES = 8


@dataclass(frozen=True)
class CatalogOverview:
    tracks: int
    tracks_with_features: int
    artists: int
    playlists: int
    genres: int
    has_demo: bool
    newest_albums: list[Album]  # annotated with `has_demo_track`, `artist` selected

    @property
    def is_empty(self) -> bool:
        return self.tracks == 0

    @property
    def features_percent(self) -> int:
        """Share of tracks with audio features, rounded down so 99.6% never reads as "all"."""
        return self.tracks_with_features * 100 // self.tracks if self.tracks else 0


def catalog_overview() -> CatalogOverview:
    """The catalog at a glance for the home page, in six queries whatever its size."""
    track_counts = Track.objects.aggregate(
        total=Count("pk"),
        with_features=Count("pk", filter=~Q(features_source=Track.FeatureSource.MISSING)),
        demo=Count("pk", filter=Q(is_demo=True)),
    )
    playlist_counts = Playlist.objects.aggregate(
        total=Count("pk"), demo=Count("pk", filter=Q(source=Playlist.Source.DEMO))
    )
    return CatalogOverview(
        tracks=track_counts["total"],
        tracks_with_features=track_counts["with_features"],
        artists=Artist.objects.count(),
        playlists=playlist_counts["total"],
        genres=Genre.objects.count(),
        has_demo=bool(track_counts["demo"] or playlist_counts["demo"]),
        newest_albums=list(newest_albums()),
    )


def newest_albums(*, limit: int = NEWEST_RELEASES) -> QuerySet[Album]:
    """The most recently released albums with at least one track that may be recommended.

    Dates after today are left out: a typo like 2099 must not hold the top spot forever.
    """
    visible_tracks = Track.objects.filter(album=OuterRef("pk"), is_hidden=False)
    return (
        Album.objects.filter(Exists(visible_tracks), release_date__lte=timezone.localdate())
        .annotate(has_demo_track=Exists(Track.objects.filter(album=OuterRef("pk"), is_demo=True)))
        .select_related("artist")
        .order_by("-release_date", "name")[:limit]
    )
