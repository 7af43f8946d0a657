"""Reads for the taste wizard: catalog search and curated suggestions, each a bounded number of queries."""
from __future__ import annotations

import threading
import time
from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from filters.models import SuggestedTrack, TasteProfile
from filters.search import NameIndex, searchable
from ingestion.models import Genre, Track, TrackArtist

SEARCH_RESULTS = 10
MAX_QUERY_LENGTH = 100
SUGGESTIONS = 12


def _with_display(tracks: QuerySet[Track]) -> QuerySet[Track]:
    """Album joined and credits (artists in order) prefetched: two queries for any number of tracks."""
    return tracks.select_related("album").with_credits()


def tracks_for_wizard(*, query: str, limit: int = SEARCH_RESULTS) -> list[Track]:
    """Visible tracks whose title, artist or album matches the query (see filters.search: typos, one Hangul
    syllable and initial consonants too), best match first, then by popularity. Three queries once the catalog's
    names are cached in this process (three more to cache them after the catalog changed).
    """
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not searchable(query):
        return []
    hits = _name_index().search(query, limit=max(1, min(limit, 50)) * 3)
    if not hits:
        return []
    score = {hit.track_id: round(hit.score, 1) for hit in hits}
    tracks = _with_display(Track.objects.filter(pk__in=score, is_hidden=False))
    ranked = sorted(tracks, key=lambda track: (-score[track.pk], -(track.popularity or -1), track.name, track.pk))
    return ranked[: max(1, min(limit, 50))]


_index_lock = threading.Lock()
_index: tuple[tuple, float, NameIndex] | None = None
INDEX_MAX_AGE_SECONDS = 600  # an artist renamed without any track changing shows up within this long


def _name_index() -> NameIndex:
    """The visible catalog's titles, artists and albums, rebuilt when the tracks or albums changed (one query to
    tell) or after INDEX_MAX_AGE_SECONDS."""
    global _index
    fingerprint = tuple(
        Track.objects.filter(is_hidden=False)
        .aggregate(tracks=Count("pk"), changed=Max("updated_at"), album_changed=Max("album__updated_at"))
        .values()
    )
    with _index_lock:
        if _index and _index[0] == fingerprint and time.monotonic() - _index[1] < INDEX_MAX_AGE_SECONDS:
            return _index[2]
    visible = Track.objects.filter(is_hidden=False)
    rows = [(pk, "title", name) for pk, name in visible.values_list("pk", "name").iterator(chunk_size=20_000)]
    rows += [
        (pk, "album", name)
        for pk, name in visible.filter(album__isnull=False).values_list("pk", "album__name").iterator(chunk_size=20_000)
    ]
    credits = TrackArtist.objects.filter(track__is_hidden=False).values_list("track_id", "artist__name")
    rows += [(pk, "artist", name) for pk, name in credits.iterator(chunk_size=20_000)]
    index = NameIndex(rows)
    with _index_lock:
        _index = (fingerprint, time.monotonic(), index)
    return index


def wizard_suggestions(*, limit: int = SUGGESTIONS) -> list[Track]:
    """Songs to start from: the active suggestions curators chose, in their order; without any, the catalog's
    most-played and newest song of each of its biggest genres. Each track gets a `suggestion_note` ("" for a
    curator's pick). Bounded: two queries with curated suggestions, about six without.
    """
    suggested = SuggestedTrack.objects.filter(is_active=True, track=OuterRef("pk"))
    tracks = Track.objects.filter(Exists(suggested), is_hidden=False).annotate(
        suggestion_position=SuggestedTrack.objects.filter(track=OuterRef("pk")).values("position")[:1]
    )
    curated = list(_with_display(tracks.order_by("suggestion_position", "pk"))[:limit])
    for track in curated:
        track.suggestion_note = ""
    return curated or _genre_starters(limit=limit)


GENRE_STARTERS = 6  # genres shown, each with its most-played and its newest song
STARTER_CANDIDATES = 400


def _genre_starters(*, limit: int) -> list[Track]:
    """Per genre (the ones with most songs first): its most-played song (in most playlists), then its newest."""
    visible = Track.objects.filter(is_hidden=False)
    most_played = list(
        visible.annotate(plays=Count("playlist_entries"))
        .filter(plays__gt=0)
        .order_by("-plays", F("popularity").desc(nulls_last=True), "pk")
        .values_list("pk", flat=True)[:STARTER_CANDIDATES]
    )
    newest = list(
        visible.filter(album__release_date__lte=timezone.localdate())
        .order_by("-album__release_date", F("popularity").desc(nulls_last=True), "pk")
        .values_list("pk", flat=True)[:STARTER_CANDIDATES]
    )
    genres_of: dict[int, set[str]] = defaultdict(set)
    for track_id, genre in TrackArtist.objects.filter(track_id__in={*most_played, *newest}).values_list(
        "track_id", "artist__genres__name"
    ):
        if genre:
            genres_of[track_id].add(genre)
    top_genres = list(
        Genre.objects.annotate(songs=Count("artists__credits", filter=Q(artists__credits__track__is_hidden=False)))
        .filter(songs__gt=0)
        .order_by("-songs", "name")
        .values_list("name", flat=True)[:GENRE_STARTERS]
    )
    picks: list[tuple[int, str]] = []
    for genre in top_genres:
        for candidates, note in ((most_played, _("Most played in %(genre)s")), (newest, _("Newest in %(genre)s"))):
            chosen = {pk for pk, _note in picks}
            pick = next((pk for pk in candidates if genre in genres_of[pk] and pk not in chosen), None)
            if pick is not None:
                picks.append((pick, note % {"genre": genre}))
    if not picks:  # a catalog without genres: simply the most played, then the newest
        picks = [(pk, _("Most played")) for pk in most_played[: limit // 2]]
        picks += [(pk, _("Newest")) for pk in newest if pk not in {p for p, _n in picks}][: limit - len(picks)]
    picks = picks[:limit]
    tracks = {track.pk: track for track in _with_display(visible.filter(pk__in=[pk for pk, _note in picks]))}
    starters = []
    for pk, note in picks:
        track = tracks[pk]
        track.suggestion_note = note
        starters.append(track)
    return starters


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
