"""The Redis cache, degrading instead of failing: while Redis cannot be reached every read is a miss and every
write is dropped, so pages keep answering (a restart of Redis is seconds of uncached pages, not 503s).

What uses the cache copes with a miss: django-ratelimit lets requests through (RATELIMIT_FAIL_OPEN: no counting
while Redis is down), allauth's limits count nothing, /health/ sees its probe value missing and answers 503 so a
load balancer and the operator still learn of the outage. Sessions live in the database, not here.
"""
from __future__ import annotations

import functools
import logging
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY_SECONDS = 10.0  # one log line per process per this while Redis is down, not one per request


def _degrading(method_name: str, fallback: Any):
    method = getattr(RedisCache, method_name)

    @functools.wraps(method)
    def wrapper(self: DegradingRedisCache, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as error:
            self._warn(method_name, error)
            if fallback is _DEFAULT_ARGUMENT:
                return kwargs.get("default", args[1] if len(args) > 1 else None)
            return fallback(args) if callable(fallback) else fallback

    return wrapper


_DEFAULT_ARGUMENT = object()  # get(key, default=None): the caller's default


class DegradingRedisCache(RedisCache):
    _last_warning = 0.0

    def _warn(self, operation: str, error: BaseException) -> None:
        now = time.monotonic()
        if now - DegradingRedisCache._last_warning >= WARN_EVERY_SECONDS:
            DegradingRedisCache._last_warning = now
            logger.warning("cache unreachable (%s: %s); serving without it", operation, error)

    get = _degrading("get", _DEFAULT_ARGUMENT)
    add = _degrading("add", False)
    set = _degrading("set", None)
    touch = _degrading("touch", False)
    delete = _degrading("delete", False)
    has_key = _degrading("has_key", False)
    incr = _degrading("incr", None)
    get_many = _degrading("get_many", {})
    set_many = _degrading("set_many", lambda args: list(args[0]) if args else [])
    delete_many = _degrading("delete_many", None)
    clear = _degrading("clear", False)
