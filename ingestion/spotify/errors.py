"""What can go wrong talking to Spotify, as the crawlers and the listener's pages need to tell it apart."""
from __future__ import annotations

import datetime as dt


class SpotifyError(Exception):
    """A Spotify request that did not give a usable answer. `request` is `METHOD URL` (never a token)."""

    def __init__(self, message: str, *, request: str = ""):
        super().__init__(f"{message} ({request})" if request else message)
        self.request = request


class SpotifyDeferred(SpotifyError):
    """Spotify asked us to wait longer than we may block (429 with a long Retry-After): try again at `until`."""

    def __init__(self, *, until: dt.datetime, request: str = ""):
        super().__init__(f"rate limited by Spotify until {until.isoformat()}", request=request)
        self.until = until


class SpotifyRefused(SpotifyError):
    """403/404 on an endpoint: this app may not use it (development mode), or the item does not exist."""

    def __init__(self, message: str, *, status: int, request: str = ""):
        super().__init__(message, request=request)
        self.status = status


class SpotifyUnavailable(SpotifyError):
    """5xx, timeouts or unreadable bodies until the retries ran out; the item is a gap to fill next run."""


class SpotifyRequestFailed(SpotifyError):
    """Any other refusal (400, 401: the token was revoked or expired): retrying will not help. `status` is the HTTP
    status, 0 when the accounts service refused the app's credentials."""

    def __init__(self, message: str, *, status: int = 0, request: str = ""):
        super().__init__(message, request=request)
        self.status = status
