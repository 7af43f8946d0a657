"""Typed readers for settings from the environment.

Each reader fails at start with ImproperlyConfigured naming the variable, so a typo in production
is a clear message rather than a silent default.
"""
import os
import re
from collections.abc import Sequence
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true/false, yes/no, on/off or 1/0.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: Sequence[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str, *, schemes: Sequence[str]) -> str:
    """A URL whose scheme is one of `schemes`; the default is returned unchecked."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    parsed = urlparse(raw)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        allowed = ", ".join(f"{scheme}://" for scheme in schemes)
        raise ImproperlyConfigured(f"{name}={raw!r} is not a URL starting with {allowed}.")
    return raw


def env_choice(name: str, default: str, *, choices: Sequence[str]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if raw not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} must be one of: {', '.join(choices)}.")
    return raw


_WEEKDAYS = {
    name: name[:3] for name in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
} | {name[:3]: name[:3] for name in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
_INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600}
_RATE = re.compile(r"[1-9][0-9]*/[0-9]*[smhd]")


def env_schedule(name: str, default: str):
    """A Celery beat schedule: "HH:MM" (daily), "sun HH:MM" (weekly), "every 90s|15m|6h" (interval) or "off".

    Returns a celery crontab or schedule, or None for "off". Times are in CELERY_TIMEZONE.
    """
    from celery.schedules import crontab, schedule

    raw = os.environ.get(name)
    text = (default if raw is None or raw.strip() == "" else raw).strip().lower()
    problem = (
        f"{name}={text!r} is not a schedule: use HH:MM (daily), a weekday and HH:MM (\"sun 04:00\"), "
        "\"every 15m\" (s, m or h) or \"off\"."
    )
    if text == "off":
        return None
    parts = text.split()
    if len(parts) == 2 and parts[0] == "every":
        amount, unit = parts[1][:-1], parts[1][-1:]
        if not amount.isdigit() or unit not in _INTERVAL_UNITS or int(amount) == 0:
            raise ImproperlyConfigured(problem)
        return schedule(run_every=int(amount) * _INTERVAL_UNITS[unit])
    weekday = _WEEKDAYS.get(parts.pop(0), "") if len(parts) == 2 else "*"
    if len(parts) != 1 or not weekday:
        raise ImproperlyConfigured(problem)
    hour, _, minute = parts[0].partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60 and len(minute) == 2):
        raise ImproperlyConfigured(problem)
    return crontab(minute=int(minute), hour=int(hour), day_of_week=weekday)


def env_timezone(name: str, default: str) -> str:
    """An IANA time zone name such as "Asia/Seoul" or "UTC"."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    raw = os.environ.get(name)
    value = default if raw is None or raw.strip() == "" else raw.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a time zone name like 'Asia/Seoul' or 'UTC'.") from None
    return value


def env_rate(name: str, default: str) -> str:
    """A rate limit in django-ratelimit's syntax, "N/s", "N/m", "N/h", "N/d" or "N/10m", or "off"."""
    raw = os.environ.get(name)
    value = default if raw is None or raw.strip() == "" else raw.strip().lower()
    if value != "off" and not _RATE.fullmatch(value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate: use N/s, N/m, N/h or N/d (e.g. 120/m), or off.")
    return value


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, as a Content-Security-Policy source."""
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def storage_origins(*, bucket: str, endpoint_url: str | None, region: str | None, custom_domain: str | None) -> list:
    """Where django-storages' S3 URLs for `bucket` point, as Content-Security-Policy sources."""
    if custom_domain:
        return [f"https://{custom_domain}"]
    if endpoint_url:
        return [origin_of(endpoint_url)]
    origins = [f"https://{bucket}.s3.amazonaws.com"]
    if region:
        origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    return origins
