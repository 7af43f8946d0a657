"""Rate limits for what allauth does not cover: token-authenticated API calls and search-as-you-type.

Counting is django-ratelimit's (fixed windows in the cache: Redis, so every web process shares the counts). Each
limit counts per account and, separately, per client IP; the first one passed answers 429 with Retry-After:
JSON for scripts, a page in the site's look for browsers (also for allauth's own limits, through handler429).
"""
from __future__ import annotations

from collections.abc import Callable

from allauth.core.internal.httpkit import get_client_ip
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

# allauth's limits count per minute (its failed-login limit per account per five); a browser is told a minute.
ALLAUTH_RETRY_AFTER_SECONDS = 60


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For behind DJANGO_TRUSTED_PROXY_COUNT proxies (allauth's
    reading, so both kinds of limit count the same address)."""
    return get_client_ip(request) or "0.0.0.0"


def seconds_until_allowed(request: HttpRequest, *, group: str, limits: list[tuple[str | Callable, str]]) -> int:
    """Count this request against each (key, rate) of `group`; 0 when allowed, else seconds until it would be.

    `key` is "ip" or a callable (group, request) -> str, as django-ratelimit takes it; rate "off" skips a limit.
    """
    for key, rate in limits:
        if rate == "off":
            continue
        usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
        if usage is not None and usage["should_limit"]:
            return max(1, int(usage["time_left"]))
    return 0


def account_key(user_id: int) -> Callable[[str, HttpRequest], str]:
    return lambda group, request: f"account:{user_id}"


def too_many_requests_json(retry_after: int) -> JsonResponse:
    response = JsonResponse(
        {
            "error": f"too many requests; try again in {retry_after} seconds",
            "retry_after": retry_after,
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def too_many_requests_page(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = render(
        request,
        "429.html",
        {"retry_after": retry_after, "wait": _wait_text(retry_after)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return _("about a minute")
    return _("about %(minutes)d minutes") % {"minutes": round(seconds / 60)}


def handler429(request: HttpRequest) -> HttpResponse:
    """allauth's answer when one of its limits (login, sign-up, password reset) is reached."""
    return too_many_requests_page(request, ALLAUTH_RETRY_AFTER_SECONDS)


def search_limits(user_id: int) -> list[tuple[str | Callable, str]]:
    return [("ip", settings.SEARCH_RATE_LIMIT_PER_IP), (account_key(user_id), settings.SEARCH_RATE_LIMIT_PER_ACCOUNT)]


API_VIEWS = {"api-content", "api-clusters", "api-playlist", "api-situation"}


def _api_user_id(request: HttpRequest) -> int | None:
    """Whose API call this is: the bearer token's owner, or the session's user (None: the view answers 401)."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if header and scheme.lower() in ("bearer", "token") and key.strip():
        from accounts.services import api_token_user

        user = api_token_user(key=key.strip())
        return user.pk if user is not None else None
    return request.user.pk if request.user.is_authenticated else None


class RateLimitMiddleware:
    """Limits the views allauth does not cover, by URL name, before they run (the apps stay unaware of it).

    API: per address first (so guessing tokens is counted too), then per account (all its tokens together).
    Search-as-you-type: per address and per account.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        name = request.resolver_match.view_name if request.resolver_match else ""
        retry_after = 0
        if name in API_VIEWS:
            retry_after = seconds_until_allowed(request, group="api", limits=[("ip", settings.API_RATE_LIMIT_PER_IP)])
            user_id = None if retry_after else _api_user_id(request)
            if user_id is not None:
                limits = [(account_key(user_id), settings.API_RATE_LIMIT_PER_ACCOUNT)]
                retry_after = seconds_until_allowed(request, group="api", limits=limits)
        elif name == "filters:track-search" and request.user.is_authenticated:
            retry_after = seconds_until_allowed(request, group="track-search", limits=search_limits(request.user.pk))
        return too_many_requests_json(retry_after) if retry_after else None
