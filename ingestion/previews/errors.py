"""What can go wrong asking a preview source; `request` is `GET URL` (the sources take no credentials)."""
from __future__ import annotations

import datetime as dt


class PreviewSourceError(Exception):
    def __init__(self, message: str, *, request: str = ""):
        super().__init__(f"{message} ({request})" if request else message)
        self.request = request


class PreviewDeferred(PreviewSourceError):
    """The source asked us to wait longer than we may block (429 with a long Retry-After): try again at `until`."""

    def __init__(self, *, source: str, until: dt.datetime, request: str = ""):
        super().__init__(f"rate limited by {source} until {until.isoformat()}", request=request)
        self.source = source
        self.until = until


class PreviewUnavailable(PreviewSourceError):
    """5xx, timeouts or unreadable answers until the retries ran out."""


class PreviewRefused(PreviewSourceError):
    """Any other 4xx: retrying will not help (a preview link that expired, a bad request)."""

    def __init__(self, message: str, *, status: int, request: str = ""):
        super().__init__(message, request=request)
        self.status = status
