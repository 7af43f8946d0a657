"""Playlist picks: which playlists a listener can choose from, and their tracks as catalog ids.

Sources, as keys that round-trip through a URL:

- `liked`: the listener's liked songs (always offered);
- `playlist:<pk>`: a playlist in the catalog (imported from files, the demo's situation playlists);
- `spotify-saved` and `spotify:<playlist id>`: the listener's Spotify saved tracks and playlists, read with
  their own token (only when they logged in with Spotify), through the client accounts build on the catalog's
  Spotify client. Their tracks count only where the catalog has them (by Spotify id); the page says how many
  matched.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from accounts.services import spotify_client_for_user, spotify_error_message
from ingestion.models import Playlist, Track
from ingestion.spotify.client import SPOTIFY_ID
from ingestion.spotify.errors import SpotifyError, SpotifyRefused
from recommendations.artifacts import ArtifactUnavailable, ModelNotTrained
from recommendations.parsing import catalog_id
from recommendations.selectors import reacted_track_ids
from recommendations.services.blending import blend_available, recommend_blend
from recommendations.services.recommending import ClusterRecommendations, Recommendations, recommend_clusters

logger = logging.getLogger(__name__)

SPOTIFY_PLAYLISTS_SHOWN = 50
SPOTIFY_TRACKS_READ = 500  # per playlist: clusters need the shape of a taste, not every track
BLEND_SEEDS = 100  # a playlist's first tracks the blend starts from (the challenge's longest seed lists are 100)
UNTITLED_SOURCES = ("liked", "spotify-saved")  # their label is ours, not a title the listener gave


class PlaylistSourceError(Exception):
    """A source the listener cannot use (unknown, not theirs, Spotify unreachable); the message says what to do."""


@dataclass(frozen=True)
class PlaylistSource:
    key: str
    label: str
    tracks: int | None  # None: unknown until read


@dataclass(frozen=True)
class SourceTracks:
    source: PlaylistSource
    track_ids: list[int]  # catalog ids, playlist order, repeats removed
    read: int  # tracks the source holds (or the first SPOTIFY_TRACKS_READ)

    @property
    def unmatched(self) -> int:
        return self.read - len(self.track_ids)


def playlist_sources(*, user: User) -> list[PlaylistSource]:
    """The liked songs, then the listener's Spotify saved tracks and playlists if they use Spotify.

    When Spotify fails, the sources read so far are returned (the page still works with them) and the failure
    is logged; `source_tracks` tells the listener what went wrong when they choose a Spotify source.
    """
    sources = [PlaylistSource("liked", _("Songs you liked"), len(liked_track_ids(user=user)))]
    client = spotify_client_for_user(user=user)
    if client is None:
        return sources
    try:
        saved = client.saved_tracks(limit=1)
        sources.append(PlaylistSource("spotify-saved", _("Your saved tracks on Spotify"), saved.get("total")))
        playlists = client.my_playlists(limit=SPOTIFY_PLAYLISTS_SHOWN)
        for item in playlists.get("items") or []:
            if item and SPOTIFY_ID.match(item.get("id") or ""):
                total = (item.get("tracks") or item.get("items") or {}).get("total")
                sources.append(PlaylistSource(f"spotify:{item['id']}", item.get("name") or item["id"], total))
    except SpotifyError as error:  # its message names the request, never the token
        logger.warning("user %s: reading Spotify playlists failed: %s", user.pk, error)
    return sources


def source_tracks(*, user: User, key: str) -> SourceTracks:
    """The tracks of one source as catalog ids. Raises PlaylistSourceError with a message for the listener."""
    if key == "liked":
        ids = liked_track_ids(user=user)
        return SourceTracks(PlaylistSource(key, _("Songs you liked"), len(ids)), ids, len(ids))
    playlist_pk = catalog_id(key.removeprefix("playlist:")) if key.startswith("playlist:") else None
    if playlist_pk is not None:
        playlist = Playlist.objects.filter(pk=playlist_pk).first()
        if playlist is None:
            raise PlaylistSourceError(_("That playlist does not exist (any more)."))
        ids = _unique(list(playlist.entries.order_by("position").values_list("track_id", flat=True)))
        return SourceTracks(PlaylistSource(key, playlist.name, len(ids)), ids, len(ids))
    if key == "spotify-saved" or (key.startswith("spotify:") and SPOTIFY_ID.match(key.removeprefix("spotify:"))):
        return _spotify_source_tracks(user, key)
    raise PlaylistSourceError(_("Choose one of the playlists below."))


def catalog_playlists_matching(query: str, limit: int = 20) -> QuerySet[Playlist]:
    """Catalog playlists whose name contains the query (case-insensitive), biggest first, with track counts."""
    playlists = Playlist.objects.annotate(track_count=Count("entries")).filter(track_count__gt=0)
    if query.strip():
        playlists = playlists.filter(name__icontains=query.strip())
    return playlists.order_by("-track_count", "name")[:limit]


def liked_track_ids(*, user: User) -> list[int]:
    """The listener's liked tracks, most recent first."""
    from recommendations.models import TrackReaction

    return reacted_track_ids(user_id=user.pk, kind=TrackReaction.Kind.LIKE)


@dataclass(frozen=True)
class PlaylistPicks:
    answer: Recommendations  # the blend's songs, or the clusters recommender's while no blend is trained
    clusters: ClusterRecommendations | None  # the playlist's sound clusters (for the chart), if that model exists


def playlist_picks_recommend(
    *, user: User, track_ids: list[int], title: str | None = None, k: int = 20, reroll_seed: int | None = None
) -> PlaylistPicks:
    """New songs for a playlist: the learned blend from its title and first tracks (co-occurrence, Song2Vec, CF,
    terms, popularity), each naming the signal behind it, plus the clusters chart; while no blend is trained,
    the clusters recommender's songs as before. Never a track of the playlist nor one the listener disliked.
    Reads only. Raises ModelNotTrained / ArtifactUnavailable when neither can answer."""
    clusters: ClusterRecommendations | None = None
    try:
        clusters = recommend_clusters(playlist_track_ids=track_ids, k=k, user=user)
    except (ModelNotTrained, ArtifactUnavailable):
        if not blend_available():
            raise
    if blend_available():
        blended = recommend_blend(
            title=title,
            seed_track_ids=track_ids[:BLEND_SEEDS],
            exclude_track_ids=track_ids,
            k=k,
            reroll_seed=reroll_seed,
            user=user,
        )
        if blended.tracks or clusters is None:
            return PlaylistPicks(blended, clusters)
    return PlaylistPicks(clusters, clusters)


def source_title(source: PlaylistSource) -> str | None:
    """The title a playlist's songs are asked for with: its name, not our label for the liked or saved songs."""
    return None if source.key in UNTITLED_SOURCES else source.label


def _spotify_source_tracks(user: User, key: str) -> SourceTracks:
    client = spotify_client_for_user(user=user)
    if client is None:
        raise PlaylistSourceError(_("Log in with Spotify to use your Spotify playlists."))
    try:
        if key == "spotify-saved":
            label = _("Your saved tracks on Spotify")
            spotify_ids = client.track_ids_in_pages(client.saved_tracks(), limit=SPOTIFY_TRACKS_READ)
        else:
            playlist_id = key.removeprefix("spotify:")
            label = client.playlist_name(playlist_id)
            spotify_ids = client.track_ids_in_pages(client.playlist_items(playlist_id), limit=SPOTIFY_TRACKS_READ)
    except SpotifyRefused as error:
        logger.warning("user %s: reading Spotify source %s failed: %s", user.pk, key, error)
        if error.status == 404:
            raise PlaylistSourceError(_("That playlist is not on Spotify any more, or it is not yours.")) from None
        raise PlaylistSourceError(spotify_error_message(error)) from None
    except SpotifyError as error:
        logger.warning("user %s: reading Spotify source %s failed: %s", user.pk, key, error)
        raise PlaylistSourceError(spotify_error_message(error)) from None
    by_spotify_id = dict(Track.objects.filter(spotify_id__in=spotify_ids).values_list("spotify_id", "pk"))
    ids = _unique([by_spotify_id[sid] for sid in spotify_ids if sid in by_spotify_id])
    return SourceTracks(PlaylistSource(key, label, len(spotify_ids)), ids, len(spotify_ids))


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))
