"""Error pages: a database or cache that cannot be reached is "try again soon" (503), not a server bug (500).

Django turns any uncaught exception, in a view or a middleware, into a call of `handler500` while the exception
is being handled; this one looks at it. The 503 page renders without the database (no user, no session).
"""
from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.defaults import bad_request, server_error

# Seconds a client (or load balancer) is asked to wait before trying again.
OUTAGE_RETRY_AFTER_SECONDS = 30


def _outage_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is in requirements.txt
        pass
    return tuple(errors)


OUTAGE_ERRORS = _outage_errors()


def is_outage(error: BaseException | None) -> bool:
    """True when `error` (or what caused it) is a database or cache that cannot be reached right now."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OUTAGE_ERRORS):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.headers.get("Accept", "").startswith("application/json")


def service_unavailable(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"error": "briefly unavailable; try again shortly", "retry_after": OUTAGE_RETRY_AFTER_SECONDS},
            status=503,
        )
    else:
        # No RequestContext: its context processors would ask the unreachable database for the user.
        response = HttpResponse(loader.render_to_string("503.html", {"request": request}), status=503)
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
    return response


def handler500(request: HttpRequest) -> HttpResponse:
    if is_outage(sys.exc_info()[1]):
        return service_unavailable(request)
    if wants_json(request):
        return JsonResponse({"error": "internal error; it has been logged"}, status=500)
    return server_error(request)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Requests Django refuses before any view (over 1,000 query parameters, a bad Host): JSON on the API."""
    if wants_json(request):
        return JsonResponse({"error": "bad request: too many or malformed parameters"}, status=400)
    return bad_request(request, exception)
