"""Serving middleware: a request id and one log line per request; /health/ answered before host checks."""
from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from recommender_site.logs import loaded_user_id, redact, request_id_var, request_var

logger = logging.getLogger("recommender_site.requests")

# An id a proxy or load balancer already gave the request is kept (if it looks like one), so logs join up.
_INCOMING_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
HEALTH_PATH = "/health/"


class RequestLogMiddleware:
    """Gives each request an id (X-Request-ID), then logs method, path, status, duration and user id.

    The path is logged without its query string and with reset keys redacted: query strings carry OAuth codes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        id_token = request_id_var.set(request.id)
        request_token = request_var.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            self._log(request, response.status_code, started)
            return response
        finally:
            request_id_var.reset(id_token)
            request_var.reset(request_token)

    @staticmethod
    def _log(request: HttpRequest, status: int, started: float) -> None:
        user_id = loaded_user_id(request)
        level = logging.DEBUG if request.path == HEALTH_PATH and status == 200 else logging.INFO
        logger.log(
            level,
            "%s %s %s",
            request.method,
            redact(request.path),
            status,
            extra={
                "method": request.method,
                "path": redact(request.path),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user_id,
            },
        )


class HealthCheckMiddleware:
    """Answers /health/ itself, before ALLOWED_HOSTS and the https redirect (a load balancer probes by IP)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            from recommender_site.health import health_response

            response = health_response()
            if request.method == "HEAD":
                response.content = b""
            return response
        return self.get_response(request)


class MethodNotAllowedPageMiddleware:
    """Gives a page to the empty 405 that `require_POST` views answer to a GET (a bookmarked or typed action URL).

    The status and its Allow header stay; only the body is filled, so a listener sees where to go next instead of a
    blank page. API and JSON requests keep Django's answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or getattr(response, "streaming", False) or response.content:
            return response
        from django.template import loader

        from recommender_site.errors import wants_json

        if wants_json(request) or request.method == "HEAD":
            return response
        response.content = loader.render_to_string("405.html", request=request)
        response["Content-Type"] = "text/html; charset=utf-8"
        return response
