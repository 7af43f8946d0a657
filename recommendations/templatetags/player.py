"""`{% track_player track %}`: a song card's play button, or the words saying why it cannot play here."""
from __future__ import annotations

from django import template

from ingestion.models import Track
from recommendations.playback import playback_for, player_context
from recommendations.selectors import liked_tracks

register = template.Library()


@register.inclusion_tag("recommendations/_track_player.html", takes_context=True)
def track_player(context: template.Context, track: Track, artists: str = "") -> dict:
    """The page's `player_sdk` (from playback.player_context) decides whether Spotify tracks use the SDK."""
    return {
        "track": track,
        "artists": artists,
        "playback": playback_for(track, sdk=bool(context.get("player_sdk"))),
    }


@register.filter
def in_set(value: object, collection) -> bool:
    """`track.pk|in_set:liked_ids`: whether the value is in the collection (None counts as empty)."""
    return value in (collection or ())


@register.inclusion_tag("recommendations/_liked_songs.html", takes_context=True)
def liked_songs(context: template.Context) -> dict:
    """The listener's liked songs with the player, for the account page (accounts sits below recommendations,
    so its view cannot ask for them; the page's template does)."""
    request = context["request"]
    return {"request": request, "liked": liked_tracks(user_id=request.user.pk), **player_context(request.user)}
