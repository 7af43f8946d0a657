"""Reads for the taste wizard: catalog search and curated suggestions, each a bounded number of queries."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from filters.models import SuggestedTrack, TasteProfile
from ingestion.models import Track, TrackArtist

SEARCH_RESULTS = 10
MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 100
SUGGESTIONS = 12


def _with_display(tracks: QuerySet[Track]) -> QuerySet[Track]:
    """Album joined and credits (artists in order) prefetched: two queries for any number of tracks."""
    return tracks.select_related("album").with_credits()


def tracks_for_wizard(*, query: str, limit: int = SEARCH_RESULTS) -> list[Track]:
    """Visible tracks whose title or an artist's name contains the query; titles starting with it first,
    then by popularity. Two queries; a query shorter than two characters finds nothing.
    """
    query = query.strip()[:MAX_QUERY_LENGTH]
    if len(query) < MIN_QUERY_LENGTH:
        return []
    by_artist = TrackArtist.objects.filter(track=OuterRef("pk"), artist__name__icontains=query)
    tracks = (
        Track.objects.filter(is_hidden=False)
        .filter(Q(name__icontains=query) | Exists(by_artist))
        .annotate(
            starts=Case(When(name__istartswith=query, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("starts", F("popularity").desc(nulls_last=True), "name", "pk")
    )
    return list(_with_display(tracks)[: max(1, min(limit, 50))])


def wizard_suggestions(*, limit: int = SUGGESTIONS) -> list[Track]:
    """The active suggestions curators chose, in their order, without hidden tracks (two queries)."""
    suggested = SuggestedTrack.objects.filter(is_active=True, track=OuterRef("pk"))
    tracks = Track.objects.filter(Exists(suggested), is_hidden=False).annotate(
        suggestion_position=SuggestedTrack.objects.filter(track=OuterRef("pk")).values("position")[:1]
    )
    return list(_with_display(tracks.order_by("suggestion_position", "pk"))[:limit])


def taste_for(*, user: AbstractBaseUser) -> TasteProfile | None:
    return TasteProfile.objects.filter(user=user).first()


def favourites_of(*, taste: TasteProfile | None) -> list[Track]:
    if taste is None:
        return []
    return list(_with_display(taste.favourite_tracks.order_by("name", "pk")))


def track_summary(track: Track) -> dict:
    """A track as the search endpoint answers it."""
    album = track.album
    return {
        "id": track.pk,
        "name": track.name,
        "artists": [credit.artist.name for credit in track.credits.all()],
        "album": album.name if album else "",
        "image_url": album.image_url if album else "",
        "year": album.release_date.year if album and album.release_date else None,
    }
