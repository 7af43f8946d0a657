"""The home page and the listener's daily flow: loading screen, today's songs, likes, rerolls and playback."""
from __future__ import annotations

import functools
import hashlib
import logging
import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from accounts.services import spotify_access_token, spotify_login_enabled
from filters.models import TasteProfile
from ingestion.models import Track
from recommendations.models import TodayList, TrackReaction
from recommendations.parsing import catalog_id
from recommendations.playback import album_leads, player_context
from recommendations.selectors import catalog_overview
from recommendations.services.today import (
    RerollLimitReached,
    SpotifySaveError,
    TodayPage,
    reaction_set,
    today_items,
    today_latest,
    today_new_releases,
    today_page,
    today_request,
    today_save_to_spotify,
)

logger = logging.getLogger(__name__)

TODAY_CARDS_CACHE_SECONDS = 6 * 3600  # a kept rendering outlives its version only as dead weight in the cache
_CSRF_PLACEHOLDER = "csrf-token-placeholder-0f3c"


def home(request: HttpRequest) -> HttpResponse:
    overview = catalog_overview()
    context = {
        "overview": overview,
        "new_releases": album_leads(overview.newest_albums),
        "has_taste": request.user.is_authenticated and _has_taste(request.user),
        **player_context(request.user),
    }
    return render(request, "home.html", context)


def _has_taste(user: AbstractBaseUser) -> bool:
    return TasteProfile.objects.filter(user=user, completed_at__isnull=False).exists()


@never_cache
@login_required
def today_loading(request: HttpRequest) -> HttpResponse:
    """Asks for today's list and waits for it: a progress bar that moves on by itself; a retry when it failed."""
    if not _has_taste(request.user):
        return redirect("filters:wizard")
    latest = today_latest(user=request.user)
    # A GET never retries a failed list by itself (that is the retry button's POST), but it re-enqueues a waiting one.
    if request.method == "POST" or latest is None or latest.status != TodayList.Status.FAILED:
        today_list = today_request(user=request.user)
        today_list.refresh_from_db()  # tasks that ran in-process have already filled it
        if request.method == "POST":
            return redirect("recommendations:today-loading")
    else:
        today_list = latest
    if today_list.status == TodayList.Status.READY:
        return redirect("recommendations:today")
    return render(request, "recommendations/today_loading.html", {"today_list": today_list})


@never_cache
@require_GET
def today_status(request: HttpRequest) -> JsonResponse:
    """The latest list's status and progress, for the loading screen's script."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Log in to see your songs.")}, status=401)
    latest = today_latest(user=request.user)
    if latest is None:
        return JsonResponse({"status": "missing", "progress": 0, "error": "", "next": ""})
    return JsonResponse(
        {
            "status": latest.status,
            "progress": latest.progress,
            "error": _(latest.error) if latest.error else "",
            "next": reverse("recommendations:today") if latest.status == TodayList.Status.READY else "",
        }
    )


@never_cache
@login_required
def today(request: HttpRequest) -> HttpResponse:
    """Today's songs: the day's latest list, without what the listener disliked; playback and reactions.

    A plain view of the page (no message, no undo line, no query string) is kept whole in the cache; otherwise
    the page is rendered around the kept song cards. See `_today_cards` for what keeps either copy up to date.
    """
    page = today_page(user=request.user)
    if not page.taste_done:
        return redirect("filters:wizard")
    if page.today_list is None or page.today_list.status != TodayList.Status.READY:
        return redirect("recommendations:today-loading")
    context = {
        "today_list": page.today_list,
        **player_context(request.user, has_spotify=page.has_spotify),
        **_spotify_context(has_spotify=page.has_spotify),
    }
    if request.GET or "today_playlist_url" in request.session or len(messages.get_messages(request)):
        context |= {"removed": _removed_track(request), "saved_playlist_url": _saved_playlist_url(request)}
        return HttpResponse(_today_html(request, page, context))
    key = "today-page:" + _key_digest(page.cards_version, context, request.user)
    html = cache.get(key)
    if html is None:
        html = _today_html(request, page, context | {"csrf_token": _CSRF_PLACEHOLDER})
        cache.set(key, html, TODAY_CARDS_CACHE_SECONDS)
    return HttpResponse(html.replace(_CSRF_PLACEHOLDER, get_token(request)))


def _today_html(request: HttpRequest, page: TodayPage, context: dict) -> str:
    cards = _today_cards(request, page, player_sdk=context["player_sdk"])
    if context.get("csrf_token") != _CSRF_PLACEHOLDER:
        cards = cards.replace(_CSRF_PLACEHOLDER, get_token(request))
    return render_to_string("recommendations/today.html", context | {"cards": mark_safe(cards)}, request)


def _today_cards(request: HttpRequest, page: TodayPage, *, player_sdk: bool) -> str:
    """The list's song cards, rendered once per list version, language and player and then kept in the cache,
    with a placeholder where each form's CSRF token goes (it is per listener and rotates at login).

    `page.cards_version` changes with every reaction, a new list and a catalog change (a hidden song), and
    `_render_version` with every deploy of templates or translations, so a kept copy is never out of date.
    """
    key = "today-cards:" + _key_digest(page.cards_version, {"player_sdk": player_sdk})
    cards = cache.get(key)
    if cards is None:
        items = today_items(today_list=page.today_list, user=request.user)
        new_releases = today_new_releases(today_list=page.today_list, items=items)
        context = {
            "items": items, "new_releases": new_releases, "player_sdk": player_sdk, "csrf_token": _CSRF_PLACEHOLDER
        }  # fmt: skip
        cards = render_to_string("recommendations/_today_cards.html", context)
        cache.set(key, cards, TODAY_CARDS_CACHE_SECONDS)
    return cards


def _key_digest(version: str, context: dict, user: AbstractBaseUser | None = None) -> str:
    """A short cache key for a rendering: the data's version, the language, the deploy and what else it shows."""
    shown = [version, get_language(), _render_version()]
    shown += [f"{name}={value}" for name, value in sorted(context.items()) if name != "today_list"]
    if user is not None:  # the header: the listener's name and, for staff, the admin link
        shown += [user.get_username(), user.first_name, str(user.is_staff)]
    return hashlib.sha256("\x1f".join(shown).encode()).hexdigest()[:40]


@functools.cache
def _render_version() -> str:
    """Changes when a deploy brings other templates, translations or static files (their sizes and times)."""
    roots = [settings.BASE_DIR / "templates", settings.BASE_DIR / "locale"]
    files = [path for root in roots for path in sorted(root.rglob("*")) if path.is_file()]
    files += [path for path in [Path(settings.STATIC_ROOT or ".") / "staticfiles.json"] if path.is_file()]
    stamps = "\n".join(f"{path}:{path.stat().st_size}:{path.stat().st_mtime_ns}" for path in files)
    return hashlib.sha256(stamps.encode()).hexdigest()[:12]


def _saved_playlist_url(request: HttpRequest) -> str:
    url = request.session.pop("today_playlist_url", "")
    return url if url.startswith("https://") else ""


def _removed_track(request: HttpRequest) -> Track | None:
    """The track just disliked (?removed=ID), for the "undo" line; only if it is still disliked."""
    removed = catalog_id(request.GET.get("removed", ""))
    if removed is None:
        return None
    reaction = (
        TrackReaction.objects.filter(user=request.user, track_id=removed, kind=TrackReaction.Kind.DISLIKE)
        .select_related("track")
        .first()
    )
    return reaction.track if reaction else None


def _spotify_context(*, has_spotify: bool) -> dict:
    """Whether Spotify-only actions can work for this listener (connected) or could after connecting (on)."""
    on = spotify_login_enabled()
    return {"spotify_on": on, "spotify_connected": on and has_spotify}


@never_cache
@login_required
@require_GET
def player_token(request: HttpRequest) -> JsonResponse:
    """A fresh Spotify access token for the Web Playback SDK (same-origin only, never cached)."""
    token = spotify_access_token(user=request.user)
    if not token:
        return JsonResponse({"error": _("Log in with Spotify to play songs here.")}, status=404)
    return JsonResponse({"access_token": token})


@login_required
@require_POST
def today_reroll(request: HttpRequest) -> HttpResponse:
    """Another list for today, as good as the first; the loading screen shows it when it is ready."""
    try:
        today_request(user=request.user, reroll=True)
    except RerollLimitReached:
        messages.warning(request, _("That's all the new lists for today. Come back tomorrow!"))
        return redirect("recommendations:today")
    return redirect("recommendations:today-loading")


@login_required
@require_POST
def track_react(request: HttpRequest, track_id: int) -> HttpResponse:
    """POST kind=like|dislike|clear for one track; JSON for scripts, else back to the page (`next`)."""
    track = get_object_or_404(Track, pk=track_id)
    kind = request.POST.get("kind", "")
    try:
        reaction_set(user=request.user, track=track, kind=kind)
    except ValueError:
        return JsonResponse({"error": _("Choose like, dislike or clear.")}, status=400)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"track": track.pk, "kind": kind if kind in TrackReaction.Kind.values else ""})
    if kind == TrackReaction.Kind.LIKE:
        messages.success(request, _("Liked “%(name)s”. Your next lists learn from it.") % {"name": track.name})
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    today_url = reverse("recommendations:today")
    if kind == TrackReaction.Kind.DISLIKE:
        return redirect(f"{today_url}?removed={track.pk}")
    return redirect(f"{today_url}#track-{track.pk}")


@login_required
@require_POST
def today_save_playlist(request: HttpRequest) -> HttpResponse:
    """Save today's songs as a private playlist in the listener's Spotify account."""
    today_list = today_latest(user=request.user)
    if today_list is None or today_list.status != TodayList.Status.READY:
        return redirect("recommendations:today-loading")
    try:
        url = today_save_to_spotify(user=request.user, today_list=today_list)
    except SpotifySaveError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved to your Spotify as a private playlist."))
        if url:
            request.session["today_playlist_url"] = url
    return redirect("recommendations:today")


@require_safe
def track_audio(request: HttpRequest, track_id: int) -> HttpResponse:
    """A track's stored audio (a curator's upload or a demo preview), for the page's <audio> player.

    Local media storage is streamed from here, so previews play whether or not the web server serves MEDIA_URL;
    storage with its own URLs (S3) is redirected to. Hidden tracks and tracks without a file are 404. A `Range:
    bytes=…` request gets that part (206 with Content-Range), so a browser can seek; a range past the end is a
    416 naming the size; a header this cannot serve as one range (another unit, several ranges) gets the whole.
    """
    track = get_object_or_404(Track, pk=track_id, is_hidden=False)
    if not track.audio_file:
        raise Http404
    storage = track.audio_file.storage
    if not isinstance(storage, FileSystemStorage):
        return redirect(track.audio_file.url)
    try:
        stream = track.audio_file.open("rb")
        size = track.audio_file.size
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(track.audio_file.name)[0] or "application/octet-stream"
    try:
        part = byte_range(request.headers.get("Range", ""), size)
    except UnsatisfiableRange:
        stream.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        response = _audio_response(stream, content_type, size, part)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "public, max-age=3600"
    return response


class UnsatisfiableRange(ValueError):
    """A Range header for bytes this file does not have (answered 416)."""


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte (inclusive) a `Range` header asks of a `size`-byte file; None for the whole file
    (no header, another unit, several ranges, or a header that is not one). Raises UnsatisfiableRange for a range
    that starts past the end, an empty suffix, or a range whose end is before its start (RFC 9110 §14)."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or not spec or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or last.isdigit()) or (first and not first.isdigit()) or (
        last and not last.isdigit()
    ):
        return None
    if not first:  # "-500": the last 500 bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise UnsatisfiableRange(header)
        return max(0, size - suffix), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise UnsatisfiableRange(header)
    return start, end


def _audio_response(stream, content_type: str, size: int, part: tuple[int, int] | None) -> HttpResponse:
    if part is None:
        return FileResponse(stream, content_type=content_type)
    start, end = part
    stream.seek(start)

    def chunks(remaining: int = end - start + 1):
        with stream:
            while remaining > 0:
                chunk = stream.read(min(remaining, 64 * 1024))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    response = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return response
