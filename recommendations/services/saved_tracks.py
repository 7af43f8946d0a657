"""The songs a listener saved on Spotify, read from their library and kept as `SpotifySavedTrack` rows.

Collaborative filtering counts them like likes (a listener's row in `selectors.listener_rows`), today's songs take
them as seeds for "listeners like you" and leave them out as songs the listener already has. They are read in the
background after each Spotify login (at most every SAVED_TRACKS_REFRESH_AFTER), and forgotten when the listener
disconnects Spotify. Only catalog tracks are kept: a saved song the catalog lacks tells the recommenders nothing.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.services import spotify_client_for_user
from ingestion.models import Track
from ingestion.spotify.errors import SpotifyError
from recommendations.models import SpotifySavedTrack
from recommendations.services.queueing import task_queue

logger = logging.getLogger(__name__)

SAVED_TRACKS_READ = 2_000  # the newest saves first; 40 pages of 50, read in the background
SAVED_TRACKS_REFRESH_AFTER = dt.timedelta(hours=12)


def saved_tracks_remember(*, user: AbstractBaseUser, track_ids: list[int]) -> int:
    """Make `track_ids` (catalog pks) the listener's saved tracks, dropping the ones no longer saved; their count."""
    now = timezone.now()
    wanted = set(track_ids)
    with transaction.atomic():
        saved = SpotifySavedTrack.objects.filter(user=user)
        saved.exclude(track_id__in=wanted).delete()
        kept = set(saved.values_list("track_id", flat=True))
        SpotifySavedTrack.objects.bulk_create(
            [SpotifySavedTrack(user=user, track_id=pk, read_at=now) for pk in sorted(wanted - kept)],
            ignore_conflicts=True,  # a refresh racing another one for the same listener
        )
        saved.update(read_at=now)
    return len(wanted)


def saved_tracks_refresh(*, user_id: int) -> int | None:
    """Read the listener's saved tracks from Spotify and remember the catalog's; None without a Spotify login or
    when Spotify failed (what was remembered before stays: a failed read is not an empty library)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    client = spotify_client_for_user(user=user) if user is not None else None
    if client is None:
        return None
    try:
        spotify_ids = client.track_ids_in_pages(client.saved_tracks(), limit=SAVED_TRACKS_READ)
    except SpotifyError as error:  # its message names the request, never the token
        logger.warning("user %s: reading the saved tracks from Spotify failed: %s", user.pk, error)
        return None
    by_spotify_id = dict(Track.objects.filter(spotify_id__in=spotify_ids).values_list("spotify_id", "pk"))
    return saved_tracks_remember(user=user, track_ids=[by_spotify_id[i] for i in spotify_ids if i in by_spotify_id])


def saved_tracks_refresh_soon(*, user: AbstractBaseUser) -> None:
    """Queue a refresh (after the commit) unless the saved tracks were read within SAVED_TRACKS_REFRESH_AFTER."""
    from recommendations.tasks import refresh_saved_tracks_task

    recently = SpotifySavedTrack.objects.filter(user=user, read_at__gte=timezone.now() - SAVED_TRACKS_REFRESH_AFTER)
    if not recently.exists():
        task_queue(refresh_saved_tracks_task, user.pk)  # without a broker on a thread: a login never waits on it


def saved_tracks_forget(*, user: AbstractBaseUser) -> int:
    """Forget every saved track of the listener (they disconnected Spotify); how many were forgotten."""
    deleted, _ = SpotifySavedTrack.objects.filter(user=user).delete()
    return deleted

