"""Today's songs: each listener's daily list, computed in the background, and their likes and dislikes.

A list is one `TodayList` row per listener, day and reroll, filled once by `today_compute` and never changed
afterwards, so the same day and reroll always show the same songs. The content recommender works from the
taste profile; when the listener has liked songs, half the list comes from the clusters recommender with the
liked songs as the playlist, and when collaborative filtering is trained a quarter of the list comes from
"listeners like you" (CF folded in from the liked and favourite songs; the clusters' share shrinks to make room).
New releases are picked first. Disliked and hidden tracks never appear.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.services import spotify_client_for_user, spotify_error_message
from filters.models import TasteProfile
from ingestion.models import CatalogState, Track, ordered_credits
from ingestion.spotify.errors import SpotifyError, SpotifyRefused
from recommendations.artifacts import CONTENT, ArtifactUnavailable, ModelNotTrained, active_model
from recommendations.engines import reason_parts_json
from recommendations.models import TodayEntry, TodayList, TrackReaction
from recommendations.selectors import reacted_track_ids, saved_track_ids
from recommendations.services import lists
from recommendations.services.lists import NEW_RELEASE_DAYS
from recommendations.services.recommending import (
    RecommendedTrack,
    recommend_cf,
    recommend_clusters,
    recommend_content,
    tracks_for_display,
)

logger = logging.getLogger(__name__)

TODAY_SIZE = 20
CF_SHARE = TODAY_SIZE // 4  # "listeners like you": at most this many of the list, taken from the likes-based half
CANDIDATES = 3  # the content engine is asked for this many times TODAY_SIZE songs
MAX_REROLLS_PER_DAY = 20
STALE_RUNNING = dt.timedelta(minutes=10)  # a worker that claimed a list this long ago has died
ENQUEUE_AGAIN_AFTER = dt.timedelta(minutes=1)  # a list still pending this long after it was made is enqueued again

# Stored in TodayList.error untranslated (gettext_noop) and translated when shown, in the listener's language.
NOT_TRAINED_MESSAGE = gettext_noop(
    "No recommendation model has been trained yet. A curator needs to run “manage.py train_recommenders”."
)
UNAVAILABLE_MESSAGE = gettext_noop("The recommendation model could not be loaded. Please try again in a minute.")
FAILED_MESSAGE = gettext_noop("Something went wrong while picking your songs. Please try again.")


class RerollLimitReached(Exception):
    """The listener already rerolled MAX_REROLLS_PER_DAY times today."""


@dataclass(frozen=True)
class TodayItem:
    """One song on the page: the entry, its track (album and credits loaded) and the listener's like."""

    entry: TodayEntry
    track: Track
    liked: bool
    is_new: bool

    @property
    def artist_names(self) -> list[str]:
        return [credit.artist.name for credit in self.track.credits.all()]


# --- requesting and computing a list ---


def today_request(*, user: AbstractBaseUser, reroll: bool = False) -> TodayList:
    """Today's latest list for the listener, created (and its computation enqueued) if there is none yet.

    `reroll=True` makes a new list (reroll + 1) once the latest one is done; while it is still being computed the
    latest is returned, so a double click makes one list. A finished list that was computed before the listener's
    taste last changed is replaced the same way (past the day's MAX_REROLLS_PER_DAY the latest list stays). A
    failed list is retried. A list left waiting too long is enqueued again. Safe to call repeatedly: the
    computation claims the list, so enqueuing it twice computes it once. Raises RerollLimitReached (for `reroll`).
    """
    day = timezone.localdate()
    latest = today_latest(user=user, day=day)
    today_list, made = latest, True
    if latest is None:
        today_list = _list_create(user=user, day=day, reroll=0)
    elif latest.is_done and (reroll or _made_before_taste_changed(latest)):
        if latest.reroll >= MAX_REROLLS_PER_DAY:
            if reroll:
                raise RerollLimitReached
            return latest  # a changed taste after the day's last list: the loading screen shows the latest
        today_list = _list_create(user=user, day=day, reroll=latest.reroll + 1)
    elif latest.status == TodayList.Status.FAILED:
        TodayList.objects.filter(pk=latest.pk, status=TodayList.Status.FAILED).update(
            status=TodayList.Status.PENDING, progress=0, error="", created=timezone.now(), finished=None
        )
        latest.refresh_from_db()
    else:
        made = False
    if made or (_is_stuck(today_list) and _wait_restarted(today_list)):
        _enqueue(today_list.pk)
    return today_list


def _made_before_taste_changed(today_list: TodayList) -> bool:
    """Whether the list was computed (or, never claimed, made) before the listener's taste last changed."""
    changed = TasteProfile.objects.filter(user_id=today_list.user_id).values_list("updated_at", flat=True).first()
    return changed is not None and (today_list.started or today_list.created) < changed


def today_compute(*, today_list_id: int) -> str:
    """Fill a pending list with songs and mark it ready (or failed, with a message for the listener).

    Claims the list with a conditional UPDATE first: a list already claimed (and not abandoned), ready or
    failed is left alone, so a re-run is safe. Returns a short status.
    """
    claimed = (
        TodayList.objects.filter(pk=today_list_id)
        .filter(
            Q(status=TodayList.Status.PENDING)
            | Q(status=TodayList.Status.RUNNING, started__lt=timezone.now() - STALE_RUNNING)
        )
        .update(status=TodayList.Status.RUNNING, started=timezone.now(), progress=5, error="")
    )
    if not claimed:
        return f"today list {today_list_id}: not pending, skipped"
    today_list = TodayList.objects.get(pk=today_list_id)
    try:
        picks = _picks_for(today_list)
    except ModelNotTrained:
        return _list_fail(today_list, NOT_TRAINED_MESSAGE)
    except ArtifactUnavailable:
        logger.warning("today list %s: model artifact unavailable", today_list_id, exc_info=True)
        return _list_fail(today_list, UNAVAILABLE_MESSAGE)
    except Exception:
        logger.exception("today list %s: computing failed", today_list_id)
        return _list_fail(today_list, FAILED_MESSAGE)
    with transaction.atomic():
        today_list.entries.all().delete()  # leftovers of a worker that died half-way
        TodayEntry.objects.bulk_create(
            TodayEntry(
                today_list=today_list,
                position=position,
                track=item.track,
                score=item.score,
                reason_data=reason_parts_json(item.reason),
                engine=engine,
            )
            for position, (engine, item) in enumerate(picks, start=1)
        )
        TodayList.objects.filter(pk=today_list.pk).update(
            status=TodayList.Status.READY, progress=100, finished=timezone.now()
        )
    return f"today list {today_list_id}: {len(picks)} songs"


def today_precompute_all(*, day: dt.date | None = None) -> int:
    """Compute the day's first list for every active listener (logged in within TODAY_ACTIVE_DAYS days, taste
    completed) that has none yet; returns how many lists were computed. Safe to re-run: a list once made is kept,
    so what a listener already saw today never changes. Does nothing while no content model is trained.
    """
    day = day or timezone.localdate()
    try:
        active_model(CONTENT)
    except (ModelNotTrained, ArtifactUnavailable) as error:
        logger.warning("today's songs not precomputed: %s", error)
        return 0
    active_since = timezone.now() - dt.timedelta(days=settings.TODAY_ACTIVE_DAYS)
    listeners = (
        get_user_model()
        .objects.filter(is_active=True, last_login__gte=active_since, taste__completed_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    computed = 0
    for user_id in listeners.iterator(chunk_size=500):
        today_list = _list_create(user=user_id, day=day, reroll=0)
        if today_list.status in (TodayList.Status.PENDING, TodayList.Status.FAILED):
            # Conditional: a list a worker claimed meanwhile (for a listener who just opened the page) is left to it.
            statuses = (TodayList.Status.PENDING, TodayList.Status.FAILED)
            if TodayList.objects.filter(pk=today_list.pk, status__in=statuses).update(status=TodayList.Status.PENDING):
                today_compute(today_list_id=today_list.pk)
                computed += 1
    return computed


# --- likes and dislikes ---


def reaction_set(*, user: AbstractBaseUser, track: Track, kind: str | None) -> TrackReaction | None:
    """Like ("like"), dislike ("dislike") or clear (None or "clear") the listener's reaction to a track.

    A disliked track disappears from today's list and is never recommended to the listener again; liked tracks
    are the playlist the clusters recommender extends. Safe to repeat. Raises ValueError for another kind.
    """
    if kind in (None, "", "clear"):
        TrackReaction.objects.filter(user=user, track=track).delete()
        return None
    if kind not in TrackReaction.Kind.values:
        raise ValueError(f"a reaction is like, dislike or clear, not {kind!r}")
    reaction, _created = TrackReaction.objects.update_or_create(
        user=user, track=track, defaults={"kind": kind, "created": timezone.now()}
    )
    return reaction


# --- reads for the pages ---


def today_latest(*, user: AbstractBaseUser, day: dt.date | None = None) -> TodayList | None:
    """The listener's most recent list of the day (highest reroll), or None."""
    day = day or timezone.localdate()
    return TodayList.objects.filter(user=user, day=day).order_by("-reroll").first()


@dataclass(frozen=True)
class TodayPage:
    """What today's page needs before it shows any song: the latest list, whether the taste is done, whether the
    listener has a Spotify login, and `cards_version`, which changes whenever the list's cards could look different
    (another list, a reaction anywhere, a catalog change such as a hidden track), so rendered cards can be kept."""

    today_list: TodayList | None
    taste_done: bool
    has_spotify: bool
    cards_version: str


def today_page(*, user: AbstractBaseUser, day: dt.date | None = None) -> TodayPage:
    """The listener's latest list of the day with what its page depends on, in one query (two without a list).

    Raw SQL because this runs on every view of the page and the ORM spent longer compiling its five subqueries
    than the database spent answering them (about 2 ms of CPU per request); plain SQL that SQLite and PostgreSQL
    both run.
    """
    day = day or timezone.localdate()
    sql = _TODAY_PAGE_SQL.format(
        list_table=TodayList._meta.db_table,
        taste_table=TasteProfile._meta.db_table,
        spotify_table=SocialAccount._meta.db_table,
        reaction_table=TrackReaction._meta.db_table,
        catalog_table=CatalogState._meta.db_table,
    )
    latest = next(iter(TodayList.objects.raw(sql, [user.pk] * 4 + [CatalogState.SINGLETON_PK, user.pk, day])), None)
    if latest is None:
        taste_done = TasteProfile.objects.filter(user=user, completed_at__isnull=False).exists()
        return TodayPage(today_list=None, taste_done=taste_done, has_spotify=False, cards_version="")
    finished = latest.finished.timestamp() if latest.finished else 0
    version = f"{latest.pk}.{finished}.{latest.reactions_count}.{latest.reactions_changed}.{latest.catalog_changes}"
    return TodayPage(
        today_list=latest,
        taste_done=bool(latest.taste_done),
        has_spotify=bool(latest.has_spotify),
        cards_version=version.replace(" ", "_"),  # a cache key has no spaces (SQLite gives the time as text)
    )


_TODAY_PAGE_SQL = """
SELECT l.id, l.user_id, l.day, l.reroll, l.status, l.progress, l.error, l.created, l.started, l.finished,
    EXISTS (SELECT 1 FROM {taste_table} t WHERE t.user_id = %s AND t.completed_at IS NOT NULL) AS taste_done,
    EXISTS (SELECT 1 FROM {spotify_table} s WHERE s.user_id = %s) AS has_spotify,
    (SELECT COUNT(*) FROM {reaction_table} r WHERE r.user_id = %s) AS reactions_count,
    (SELECT MAX(r.created) FROM {reaction_table} r WHERE r.user_id = %s) AS reactions_changed,
    (SELECT c.change_count FROM {catalog_table} c WHERE c.id = %s) AS catalog_changes
FROM {list_table} l
WHERE l.user_id = %s AND l.day = %s
ORDER BY l.reroll DESC
LIMIT 1
"""


def today_items(*, today_list: TodayList, user: AbstractBaseUser) -> list[TodayItem]:
    """The list's songs in order, without tracks the listener disliked since or curators hid (two queries)."""
    reactions = TrackReaction.objects.filter(user=user, track=OuterRef("track"))
    entries = (
        TodayEntry.objects.filter(today_list=today_list, track__is_hidden=False)
        .exclude(Exists(reactions.filter(kind=TrackReaction.Kind.DISLIKE)))
        .annotate(liked=Exists(reactions.filter(kind=TrackReaction.Kind.LIKE)))
        .select_related("track__album")
        .prefetch_related(ordered_credits("track__credits"))
        .order_by("position")
    )
    return [
        TodayItem(entry=entry, track=entry.track, liked=entry.liked, is_new=_is_new(entry.track, today_list.day))
        for entry in entries
    ]


# --- helpers ---


def _list_create(*, user: AbstractBaseUser | int, day: dt.date, reroll: int) -> TodayList:
    user_field = {"user_id": user} if isinstance(user, int) else {"user": user}
    try:
        with transaction.atomic():
            return TodayList.objects.create(day=day, reroll=reroll, **user_field)
    except IntegrityError:  # another request made it a moment ago
        return TodayList.objects.get(day=day, reroll=reroll, **user_field)


def _is_stuck(today_list: TodayList) -> bool:
    """Waiting so long that its task was probably lost (a broker restart), or claimed by a worker that died."""
    now = timezone.now()
    if today_list.status == TodayList.Status.PENDING:
        return today_list.created < now - ENQUEUE_AGAIN_AFTER
    started = today_list.started
    return today_list.status == TodayList.Status.RUNNING and started is not None and started < now - STALE_RUNNING


def _wait_restarted(today_list: TodayList) -> bool:
    """For a stuck pending list: restart its waiting time, so that of all the page loads that find it stuck (a
    loading page refreshes every few seconds) only one enqueues it again. Other states: True."""
    if today_list.status != TodayList.Status.PENDING:
        return True
    waiting = TodayList.objects.filter(pk=today_list.pk, status=TodayList.Status.PENDING, created=today_list.created)
    return bool(waiting.update(created=timezone.now()))


def _enqueue(today_list_id: int) -> None:
    from recommendations.tasks import compute_today_task

    # robust: a broker that cannot be reached must not turn the page into a 500; the list stays pending and the
    # next page load that finds it stuck enqueues it again (`_is_stuck`).
    transaction.on_commit(lambda: compute_today_task.delay(today_list_id), robust=True)


def _list_fail(today_list: TodayList, message: str) -> str:
    TodayList.objects.filter(pk=today_list.pk).update(
        status=TodayList.Status.FAILED, error=message, finished=timezone.now()
    )
    return f"today list {today_list.pk}: failed ({message})"


def _progress(today_list: TodayList, percent: int) -> None:
    TodayList.objects.filter(pk=today_list.pk).update(progress=percent)


def _picks_for(today_list: TodayList) -> list[tuple[str, RecommendedTrack]]:
    """The list's songs as (engine, track), by the rules of `lists` (new releases first, nothing the listener
    has, two per artist, specific reasons). Raises ModelNotTrained without a content model."""
    user = today_list.user
    taste = TasteProfile.objects.filter(user=user).first()
    favourites = list(taste.favourite_tracks.values_list("pk", flat=True)) if taste else []
    liked = reacted_track_ids(user_id=user.pk, kind=TrackReaction.Kind.LIKE)
    # Songs of the day's earlier lists stay out, so a reroll brings new songs even from the deterministic clusters.
    earlier = TodayEntry.objects.filter(
        today_list__user_id=today_list.user_id, today_list__day=today_list.day, today_list__reroll__lt=today_list.reroll
    ).values_list("track_id", flat=True)
    saved = saved_track_ids(user_id=user.pk)  # on Spotify: songs the listener already has
    excluded = [*favourites, *liked, *saved, *earlier]  # and, inside recommend_*, what the listener disliked
    _progress(today_list, 20)
    content = recommend_content(
        favourite_track_ids=favourites,
        mood=(taste.mood if taste else "") or None,
        speed=(taste.speed if taste else "") or None,
        emotion=(taste.emotion if taste else "") or None,
        k=CANDIDATES * TODAY_SIZE,  # more candidates than places: new releases among them go first
        exclude_track_ids=excluded,
        reroll_seed=_reroll_seed(today_list),
        user=user,
    )
    _progress(today_list, 55)
    from_likes: list[RecommendedTrack] = []
    if liked:
        try:
            from_likes = recommend_clusters(
                playlist_track_ids=liked, k=TODAY_SIZE, exclude_track_ids=excluded, user=user
            ).tracks
        except (ModelNotTrained, ArtifactUnavailable):
            logger.warning("today list %s: no clusters model, content only", today_list.pk)
    _progress(today_list, 70)
    from_cf = _listeners_like_you(today_list, [*liked, *favourites, *saved], excluded)
    _progress(today_list, 80)
    by_id = {track.pk: track for track in tracks_for_display([*favourites, *liked])}
    known = lists.Taste(
        favourites=[by_id[pk] for pk in favourites if pk in by_id], liked=[by_id[pk] for pk in liked if pk in by_id]
    )
    return _blend(content.tracks, from_likes, day=today_list.day, size=TODAY_SIZE, taste=known, from_cf=from_cf)


def _listeners_like_you(today_list: TodayList, kept: list[int], excluded: list[int]) -> list[RecommendedTrack]:
    """CF's songs for the listener's liked, favourite and saved songs; none while CF is not trained (or knows none)."""
    if not kept:
        return []
    try:
        found = recommend_cf(
            seed_track_ids=kept, k=2 * CF_SHARE, exclude_track_ids=excluded, reroll_seed=_reroll_seed(today_list),
            user=today_list.user,
        )  # fmt: skip
    except (ModelNotTrained, ArtifactUnavailable, ValueError):
        logger.info("today list %s: no collaborative filtering model, no listeners-like-you share", today_list.pk)
        return []
    return found.tracks if found is not None else []


def _reroll_seed(today_list: TodayList) -> int:
    """Fixed by day and reroll: the same list if computed again, another one tomorrow or after a reroll."""
    return today_list.day.toordinal() * 100 + today_list.reroll


def _blend(
    content: Sequence[RecommendedTrack],
    from_likes: Sequence[RecommendedTrack],
    *,
    day: dt.date,
    size: int,
    taste: lists.Taste,
    from_cf: Sequence[RecommendedTrack] = (),
) -> list[tuple[str, RecommendedTrack]]:
    """Likes-based songs (up to half: listeners-like-you songs from CF take up to a quarter of the list, the
    clusters the rest) and content songs taken in turns, new releases first, by the rules of `lists`: nothing the
    listener has, no song twice, two per artist, specific reasons."""
    cf_part = lists.keepable([("cf", item) for item in from_cf], taste=taste, size=CF_SHARE)
    liked_part = lists.keepable(
        [*cf_part, *[("clusters", item) for item in from_likes]], taste=taste, size=size // 2
    )
    content_part = lists.new_releases_first([("content", item) for item in content], day=day)
    # The content songs may not repeat a likes-based song nor pass the artist limit with them.
    both = lists.keepable([*liked_part, *content_part], taste=taste, size=size)
    by_engine = {engine: [pick for pick in both if pick[0] == engine] for engine in ("content", "clusters", "cf")}
    turns: list[tuple[str, RecommendedTrack]] = []
    for index in range(max(len(picks) for picks in by_engine.values())):
        for picks in by_engine.values():
            turns += picks[index : index + 1]
    return lists.with_specific_reasons(lists.new_releases_first(turns, day=day), taste=taste, day=day)


def today_new_releases(*, today_list: TodayList, items: Sequence[TodayItem]) -> dict[str, int | bool]:
    """How many of the list's songs are new releases, and how many the catalog has (for the page's "why so
    few"): {"new", "songs", "catalog_new", "days", "few"}. Reads only; one count query."""
    since = today_list.day - dt.timedelta(days=NEW_RELEASE_DAYS)
    catalog_new = Track.objects.filter(
        is_hidden__in=[False], album__release_date__gte=since, album__release_date__lte=today_list.day
    ).count()
    new = sum(1 for item in items if item.is_new)
    few = new < min(lists.FEW_NEW_RELEASES, len(items))
    return {"new": new, "songs": len(items), "catalog_new": catalog_new, "days": NEW_RELEASE_DAYS, "few": few}


def _is_new(track: Track, day: dt.date) -> bool:
    return lists.is_new_release(track, day)


# --- saving to Spotify ---


class SpotifySaveError(Exception):
    """Saving the list as a Spotify playlist did not work; str(error) is a sentence for the listener."""


def today_save_to_spotify(*, user: AbstractBaseUser, today_list: TodayList) -> str:
    """Create a private playlist in the listener's Spotify with the list's songs that are on Spotify.

    Returns the playlist's web URL (may be ""). Each call makes a new playlist. Raises SpotifySaveError when
    the listener has no Spotify connection, no song is on Spotify, or Spotify refuses (saying why: busy, the
    login revoked, the playlist refused).
    """
    client = spotify_client_for_user(user=user)
    if client is None:
        raise SpotifySaveError(gettext("Log in with Spotify to save playlists to your Spotify account."))
    uris = [item.track.spotify_uri for item in today_items(today_list=today_list, user=user) if item.track.spotify_id]
    if not uris:
        raise SpotifySaveError(gettext("None of these songs is on Spotify (demo songs), so there is nothing to save."))
    try:
        playlist = client.playlist_create(
            name=f"오늘의 노래 · {today_list.day.isoformat()}", public=False, description="Today's Song (오늘의 노래)"
        )
        client.playlist_add_items(playlist["id"], uris)
    except SpotifyRefused as error:
        logger.warning("saving today list %s to Spotify failed: %s", today_list.pk, error)
        raise SpotifySaveError(gettext("Spotify did not accept the playlist. Please try again later.")) from None
    except SpotifyError as error:
        logger.warning("saving today list %s to Spotify failed: %s", today_list.pk, error)
        raise SpotifySaveError(spotify_error_message(error)) from None
    return (playlist.get("external_urls") or {}).get("spotify", "")
