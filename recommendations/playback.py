"""How each song plays for this listener: which player a card gets, and the songs that stand for new albums.

One player serves every page that lists songs (static/js/player.js). Per track it uses, in this order:
- the Spotify Web Playback SDK, for a listener with Spotify Premium and a track with a Spotify id;
- the site's own audio (an uploaded or synthesized `audio_file`, else a `preview_url` from any source), played
  by an HTML5 <audio> element: preferred over Spotify's embed, which plays only 30 s and needs Spotify's hosts;
- Spotify's embed player, for other tracks with a Spotify id;
- nothing: the card says in words that this song has no preview.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.urls import reverse

from ingestion.models import Album, Track, TrackArtist

logger = logging.getLogger(__name__)


class PlaybackKind:
    SDK = "sdk"
    AUDIO = "audio"
    EMBED = "embed"
    NONE = "none"


@dataclass(frozen=True)
class Playback:
    """What a track's card offers. `audio_url` is kept for SDK tracks too: the fallback when the SDK cannot start."""

    kind: str
    audio_url: str = ""
    spotify_id: str = ""

    @property
    def spotify_uri(self) -> str:
        return f"spotify:track:{self.spotify_id}" if self.spotify_id else ""

    @property
    def in_page(self) -> bool:
        """Played by the page's own player (so it joins "play all", next and previous)."""
        return self.kind in (PlaybackKind.SDK, PlaybackKind.AUDIO)


def track_audio_url(track: Track) -> str:
    """The site's own audio for a track: its stored file (served through the site) first, else its preview URL."""
    if track.audio_file:
        return reverse("recommendations:track-audio", args=[track.pk])
    return track.preview_url or ""


def playback_for(track: Track, *, sdk: bool) -> Playback:
    """The player for one track, for a listener whose browser can (sdk=True) or cannot use the Playback SDK."""
    audio_url = track_audio_url(track)
    spotify_id = track.spotify_id or ""
    if sdk and spotify_id:
        return Playback(PlaybackKind.SDK, audio_url=audio_url, spotify_id=spotify_id)
    if audio_url:
        return Playback(PlaybackKind.AUDIO, audio_url=audio_url, spotify_id=spotify_id)
    if spotify_id:
        return Playback(PlaybackKind.EMBED, spotify_id=spotify_id)
    return Playback(PlaybackKind.NONE)


@dataclass(frozen=True)
class AlbumLead:
    """A new album on the home page, with the song that plays for it (its first visible track)."""

    album: Album
    track: Track | None

    @property
    def artist_names(self) -> list[str]:
        if self.track is None:
            return [self.album.artist.name] if self.album.artist else []
        return [credit.artist.name for credit in self.track.credits.all()]


def album_leads(albums: Iterable[Album]) -> list[AlbumLead]:
    """Each album with its first visible track (by pk, the order it was imported in); three queries in all."""
    albums = list(albums)
    credits = Prefetch("credits", queryset=TrackArtist.objects.select_related("artist").order_by("position"))
    tracks = (
        Track.objects.filter(album__in=albums, is_hidden=False)
        .select_related("album")
        .prefetch_related(credits)
        .order_by("album_id", "pk")
    )
    first: dict[int, Track] = {}
    for track in tracks:
        first.setdefault(track.album_id, track)
    return [AlbumLead(album=album, track=first.get(album.pk)) for album in albums]


def listener_can_use_sdk(user) -> bool:
    """Whether this listener's pages load the Web Playback SDK: a Premium Spotify login with a usable token.

    Spotify being down or the token revoked counts as "no": the site's own audio and the embed still work.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    from accounts.services import spotify_access_token, spotify_is_premium

    try:
        return spotify_is_premium(user=user) and bool(spotify_access_token(user=user))
    except Exception:
        logger.warning("Spotify playback check failed for user %s", user.pk, exc_info=True)
        return False


def player_context(user, *, has_spotify: bool = True) -> dict:
    """What a page that lists songs passes to its templates for the one player (see _player.html).

    `has_spotify=False` when the caller already knows the listener has no Spotify login: no SDK, nothing asked."""
    from django.conf import settings

    from accounts.spotify_login import spotify_url

    return {
        "player_sdk": has_spotify and listener_can_use_sdk(user),
        "spotify_api_url": spotify_url(settings.SPOTIFY_API_URL, ""),  # ends with "/": the player appends paths
    }
