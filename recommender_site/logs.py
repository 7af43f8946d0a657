"""Log records with the request they belong to, as one JSON object per line, never with a secret in them.

`RequestLogMiddleware` puts the request id and user id in context variables; `RequestContextFilter` copies them
onto every record logged while the request runs (Django's, allauth's, ours). `SecretRedactingFilter` rewrites
anything shaped like a credential (Bearer tokens, password=…, Spotify tokens in JSON, the configured secrets)
before any handler sees it, so a careless log call elsewhere cannot leak one.
"""
from __future__ import annotations

import contextvars
import logging
import re
from typing import Any

from django.utils.functional import empty
from pythonjsonlogger.json import JsonFormatter

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
request_var: contextvars.ContextVar[Any] = contextvars.ContextVar("request", default=None)

REDACTED = "[redacted]"
# key=value, "key": "value" and key: value where the key names a credential.
_SECRET_FIELDS = (
    r"password\d?|passwd|secret|client_secret|token|access_token|refresh_token|api_key|key_hash|code|authorization"
    r"|sessionid|csrftoken|csrfmiddlewaretoken"
)
_PATTERNS = (
    re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(rf"(?i)([\"']?\b(?:{_SECRET_FIELDS})\b[\"']?\s*[:=]\s*)([\"']?)[^\"'&\s,;}}]+"),
    # allauth's password-reset links carry the key in the path: /accounts/password/reset/key/<uid>-<key>/
    re.compile(r"(/password/reset/key/)[^/\s\"']+"),
)


def redact(text: str) -> str:
    """`text` with every credential-shaped part replaced by [redacted]."""
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _PATTERNS[2].sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    for secret in _configured_secrets():
        text = text.replace(secret, REDACTED)
    return text


def _configured_secrets() -> list[str]:
    """The settings' own secrets (signing key, Spotify app secret, database and SMTP passwords), when set."""
    try:
        from django.conf import settings

        values = [
            settings.SECRET_KEY,
            settings.SPOTIFY_CLIENT_SECRET,
            settings.EMAIL_HOST_PASSWORD,
            settings.DATABASES["default"].get("PASSWORD") or "",
        ]
    except Exception:  # logging before settings are ready
        return []
    return [value for value in values if len(value) >= 6]


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` (of the request being served, if any) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            request = request_var.get()
            record.user_id = loaded_user_id(request) if request is not None else None
        return True


def loaded_user_id(request: Any) -> int | None:
    """The id of the request's user if it is already loaded: loading it here could query a database that is down.

    API calls authenticated by token set `request.api_user_id`.
    """
    if getattr(request, "api_user_id", None):
        return request.api_user_id
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


class SecretRedactingFilter(logging.Filter):
    """Rewrites the message, its arguments and any traceback so that no credential reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None if record.exc_text else record.exc_info
        # Django's request logger attaches the request itself; its repr carries the query string.
        request = record.__dict__.pop("request", None)
        if request is not None and not hasattr(record, "path"):
            record.path = redact(getattr(request, "path", ""))
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, request_id, user_id and any `extra` fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        kwargs.setdefault("timestamp", "time")  # ISO 8601 in UTC, whatever the site's time zone
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def formatException(self, ei) -> str:
        return redact(super().formatException(ei))

    def process_log_record(self, log_record: dict[str, Any]) -> dict[str, Any]:
        for key, value in list(log_record.items()):
            if isinstance(value, str) and key != "message":
                log_record[key] = redact(value)
        return log_record
