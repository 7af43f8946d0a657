"""GET requests to a preview source with the Spotify client's fault handling (see `ingestion.spotify.client`):

- 429 with Retry-After up to `max_retry_after` seconds: wait (the injectable `sleep`) and retry; a longer one, or
  more than MAX_RATE_LIMIT_WAITS waits in a row, raises PreviewDeferred(until=...) so no worker blocks for long.
  A source that says "too many requests" in a 200 body (Deezer's error code 4) is treated the same.
- 5xx, timeouts, broken connections, unreadable or truncated bodies: at most `max_retries` retries with exponential
  backoff, then PreviewUnavailable.
- other 4xx: PreviewRefused at once.
Bodies are read at most up to a limit (a preview is a few hundred kB), so a wrong link cannot fill the memory.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
from django.utils import timezone

from ingestion.previews.errors import PreviewDeferred, PreviewRefused, PreviewUnavailable
from ingestion.spotify.client import MAX_RATE_LIMIT_WAITS, retry_after_seconds

logger = logging.getLogger(__name__)

JSON_MAX_BYTES = 2 * 2**20  # a search answer is a few kB


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0


class _Retry(Exception):
    """An answer worth asking again for: `reason` for the logs."""


class _RateLimited(Exception):
    def __init__(self, retry_after: str | None):
        super().__init__("rate limited")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Body:
    data: bytes
    content_type: str


class PreviewHttp:
    """One per lookup run (it keeps the run's request counts); shared by all the sources of the run."""

    def __init__(
        self,
        *,
        timeout: float,
        max_retry_after: int,
        max_retries: int,
        backoff_seconds: float,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], dt.datetime] = timezone.now,
    ):
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_retry_after = max_retry_after
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self.now = now
        self.stats = RequestStats()

    def get_json(
        self, url: str, *, source: str, params: dict | None = None,
        rate_limited: Callable[[dict], str | None] | None = None,
    ) -> dict:
        """The JSON object at `url`. `rate_limited(body)` may say that a 200 answer is a rate limit: it returns the
        seconds to wait (as Retry-After would), or None for a real answer."""

        def read(body: Body) -> dict:
            try:
                found = json.loads(body.data)
            except (ValueError, UnicodeDecodeError):
                raise _Retry("the answer is not JSON") from None
            if not isinstance(found, dict):
                raise _Retry("the answer is not a JSON object")
            if rate_limited is not None and (wait := rate_limited(found)) is not None:
                raise _RateLimited(wait)
            return found

        return self._get(url, source=source, params=params, max_bytes=JSON_MAX_BYTES, read=read)

    def get_bytes(self, url: str, *, source: str, max_bytes: int) -> Body:
        """The body at `url` (an audio file), cut at `max_bytes` + 1 so the caller can tell it was too big."""
        return self._get(url, source=source, params=None, max_bytes=max_bytes, read=lambda body: body)

    def _get(self, url: str, *, source: str, params: dict | None, max_bytes: int, read: Callable):
        request = f"GET {url}"
        failures = rate_limit_waits = 0
        while True:
            self.stats.requests += 1
            try:
                return read(self._fetch(url, params, source=source, request=request, max_bytes=max_bytes))
            except _RateLimited as limited:
                rate_limit_waits += 1
                self._wait_for_rate_limit(limited.retry_after, source, request, rate_limit_waits)
                continue
            except _Retry as error:
                reason = str(error)
            except requests.RequestException as error:
                reason = f"{type(error).__name__} talking to {source}"
            failures += 1
            if failures > self.max_retries:
                logger.warning("%s request %s gave up after %d attempts: %s", source, request, failures, reason)
                raise PreviewUnavailable(f"{reason}, {failures} attempts", request=request)
            self.stats.retries += 1
            self.sleep(self.backoff_seconds * 2 ** (failures - 1))

    def _fetch(self, url: str, params: dict | None, *, source: str, request: str, max_bytes: int) -> Body:
        with self.session.get(url, params=params, timeout=self.timeout, stream=True) as response:
            status = response.status_code
            if status == 429:
                raise _RateLimited(response.headers.get("Retry-After"))
            if status >= 500:
                raise _Retry(f"{source} answered {status}")
            if status >= 400:
                raise PreviewRefused(f"{source} answered {status}", status=status, request=request)
            data = bytearray()
            for chunk in response.iter_content(chunk_size=65536):
                data += chunk
                if len(data) > max_bytes:  # too big: the caller says so; the rest is never read
                    return Body(bytes(data[: max_bytes + 1]), response.headers.get("Content-Type", ""))
            expected = response.headers.get("Content-Length")
            if expected and expected.isdigit() and len(data) < int(expected):
                raise _Retry(f"the answer from {source} was cut short")
            return Body(bytes(data), response.headers.get("Content-Type", ""))

    def _wait_for_rate_limit(self, raw: str | None, source: str, request: str, waits: int) -> None:
        retry_after = retry_after_seconds(raw, self.now())
        if retry_after > self.max_retry_after or waits > MAX_RATE_LIMIT_WAITS:
            until = self.now() + dt.timedelta(seconds=max(retry_after, 1))
            logger.warning("%s rate-limited %s for %ss: deferring", source, request, retry_after)
            raise PreviewDeferred(source=source, until=until, request=request)
        self.stats.retries += 1
        self.sleep(retry_after)
