"""Reads for the pages (small, bounded queries returning plain data for templates) and for training (the catalog
as arrays, in a handful of queries)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ingestion.models import Album, Artist, Genre, Playlist, PlaylistTrack, Track, TrackArtist
from recommendations.engines.cf import ListenerRow
from recommendations.engines.features import AUDIO_FEATURES, CatalogSnapshot

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


# --- what the engines are fitted on ---


def catalog_snapshot() -> CatalogSnapshot:
    """The whole catalog as arrays for the engines, in four queries whatever its size (~1 s per 100k tracks).

    A track's genres are the union of its credited artists' genres; its artist name (for reasons) is the main
    artist's. Features count as known unless the source says "missing": a featured track may still lack tempo
    or acousticness, which the engines fill with the catalog's median.
    """
    rows = list(
        Track.objects.order_by("pk").values_list(
            "pk", "name", *AUDIO_FEATURES, "features_source", "is_hidden", "popularity", "album__release_date"
        )
    )
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(AUDIO_FEATURES) + 6)
    track_ids, names = columns[0], columns[1]
    features = np.array(columns[2 : 2 + len(AUDIO_FEATURES)], dtype=np.float32).T  # None becomes NaN
    source, hidden, popularity, released = columns[2 + len(AUDIO_FEATURES) :]
    genres, artist_names = _genres_and_main_artists(track_ids)
    return CatalogSnapshot(
        track_ids=np.array(track_ids, dtype=np.int64),
        features=features,
        genres=genres,
        has_features=np.array([value != Track.FeatureSource.MISSING for value in source], dtype=bool),
        release_ordinal=np.array([day.toordinal() if day else 0 for day in released], dtype=np.int32),
        popularity=np.array(popularity, dtype=np.float32),  # None becomes NaN: unknown
        hidden=np.array(hidden, dtype=bool),
        names=names,
        artist_names=artist_names,
    )


def _genres_and_main_artists(track_ids: Sequence[int]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Per track (in the order of `track_ids`): its artists' genres merged, and its main artist's name."""
    genres_of_artist: dict[int, list[str]] = defaultdict(list)
    for artist_id, genre in Artist.genres.through.objects.values_list("artist_id", "genre__name").iterator(
        chunk_size=20_000
    ):
        genres_of_artist[artist_id].append(genre)
    artist_genres = {artist: tuple(sorted(names)) for artist, names in genres_of_artist.items()}
    track_genres: dict[int, tuple[str, ...]] = {}
    main_artist: dict[int, str] = {}
    credits = TrackArtist.objects.order_by().values_list("track_id", "artist_id", "position", "artist__name")
    for track_id, artist_id, position, artist_name in credits.iterator(chunk_size=20_000):
        if position == 0:
            main_artist[track_id] = artist_name
        theirs = artist_genres.get(artist_id)
        if theirs:
            ours = track_genres.get(track_id)
            # Most tracks have one artist: they share that artist's tuple (GenreIndex then reads it once).
            track_genres[track_id] = theirs if ours is None else tuple(sorted({*ours, *theirs}))
    return [track_genres.get(pk, ()) for pk in track_ids], [main_artist.get(pk, "") for pk in track_ids]


def training_playlists() -> list[tuple[str, list[int]]]:
    """Every playlist as (name, track pks in playlist order), in playlist pk order, for Song2Vec; empty ones left out.

    Two queries; entries stream in chunks so the MPD's millions of rows never sit in memory as model objects.
    """
    names = dict(Playlist.objects.values_list("pk", "name"))
    entries = PlaylistTrack.objects.order_by("playlist_id", "position").values_list("playlist_id", "track_id")
    playlists: list[tuple[str, list[int]]] = []
    current_id, current_tracks = None, []
    for playlist_id, track_id in entries.iterator(chunk_size=50_000):
        if playlist_id != current_id:
            if current_tracks:
                playlists.append((names.get(current_id, ""), current_tracks))
            current_id, current_tracks = playlist_id, []
        current_tracks.append(track_id)
    if current_tracks:
        playlists.append((names.get(current_id, ""), current_tracks))
    return playlists


def training_playlist_pks() -> list[int]:
    """The pks of the playlists `training_playlists` returns, in the same order (the non-empty ones)."""
    with_entries = Playlist.objects.filter(Exists(PlaylistTrack.objects.filter(playlist_id=OuterRef("pk"))))
    return list(with_entries.order_by("pk").values_list("pk", flat=True))


def listener_rows() -> list[ListenerRow]:
    """Every listener who keeps or rejects a song, as a row for collaborative filtering: the tracks they keep
    (likes, favourite songs and songs saved on Spotify) and the ones they disliked. Three queries; listeners in pk
    order, tracks sorted."""
    from filters.models import TasteProfile
    from recommendations.models import SpotifySavedTrack, TrackReaction

    kept: dict[int, set[int]] = defaultdict(set)
    disliked: dict[int, set[int]] = defaultdict(set)
    for user_id, track_id, kind in TrackReaction.objects.values_list("user_id", "track_id", "kind").iterator(
        chunk_size=50_000
    ):
        (kept if kind == TrackReaction.Kind.LIKE else disliked)[user_id].add(track_id)
    favourites = TasteProfile.favourite_tracks.through.objects.values_list("tasteprofile__user_id", "track_id")
    for user_id, track_id in favourites.iterator(chunk_size=50_000):
        kept[user_id].add(track_id)
    for user_id, track_id in SpotifySavedTrack.objects.values_list("user_id", "track_id").iterator(chunk_size=50_000):
        kept[user_id].add(track_id)
    return [
        ListenerRow(positive_ids=sorted(kept[user]), negative_ids=sorted(disliked[user] - kept[user]))
        for user in sorted(set(kept) | set(disliked))
    ]


def saved_track_ids(*, user_id: int) -> list[int]:
    """The catalog tracks the listener saved on Spotify (as last read), in pk order."""
    from recommendations.models import SpotifySavedTrack

    saved = SpotifySavedTrack.objects.filter(user_id=user_id).order_by("track_id")
    return list(saved.values_list("track_id", flat=True))


def reacted_track_ids(*, user_id: int, kind: str) -> list[int]:
    """The tracks a listener liked or disliked (`TrackReaction.Kind`), most recent first."""
    from recommendations.models import TrackReaction

    reactions = TrackReaction.objects.filter(user_id=user_id, kind=kind).order_by("-created", "-pk")
    return list(reactions.values_list("track_id", flat=True))


def liked_tracks(*, user_id: int, limit: int = 100) -> list[Track]:
    """The listener's liked songs, most recently liked first, album and credits loaded (three queries)."""
    from django.db.models import Prefetch

    from recommendations.models import TrackReaction

    liked = TrackReaction.objects.filter(user_id=user_id, kind=TrackReaction.Kind.LIKE, track=OuterRef("pk"))
    credits = Prefetch("credits", queryset=TrackArtist.objects.select_related("artist").order_by("position"))
    tracks = (
        Track.objects.filter(Exists(liked), is_hidden=False)
        .annotate(liked_at=liked.values("created")[:1])
        .select_related("album")
        .prefetch_related(credits)
        .order_by("-liked_at", "pk")
    )
    return list(tracks[:limit])
