"""Services that write accounts: demo logins, a listener's Spotify tokens, API tokens.

The demo logins exist only for `manage.py run_demo` on a laptop: their passwords are published in the
README and printed on the console, so they are refused whenever DEBUG is off.

Spotify tokens are stored by allauth at login (SOCIALACCOUNT_STORE_TOKENS); the functions here hand out a
valid access token, refreshing it through SPOTIFY_ACCOUNTS_URL when it has expired, and a client acting as the
listener on SPOTIFY_API_URL: the catalog's own `ingestion.spotify.SpotifyClient` (its retries, rate-limit
deferrals and token-free logs), built here because accounts own the tokens (the catalog never imports accounts).
`spotify_error_message` says what went wrong in the listener's language. Logs name users by id, never a token.
"""
import datetime as dt
import hashlib
import logging
import math
import secrets
from dataclasses import dataclass

import requests
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import ApiToken
from accounts.spotify_login import spotify_url
from ingestion.spotify.client import SpotifyClient, spotify_client_for_token
from ingestion.spotify.errors import SpotifyDeferred, SpotifyError, SpotifyRefused, SpotifyRequestFailed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    created: bool
    is_curator: bool = False


# Fixed and documented on purpose: the banner, the README and a tester's memory agree on them.
DEMO_LISTENER_USERNAME = "demo"
DEMO_LISTENER_PASSWORD = "demo-password"
DEMO_CURATOR_USERNAME = "curator"
DEMO_CURATOR_PASSWORD = "curator-password"


def demo_user_ensure(*, curator: bool = False) -> DemoLogin:
    """Create the demo listener (or, with curator=True, the demo curator) or reset it to its published state.

    Sets the published password and the account's flags every time (a listener is never staff; the curator is
    staff and superuser so the admin is reachable), so a re-run is safe and the printed login is always true.
    Refuses with ImproperlyConfigured when DEBUG is off: demo accounts must never exist in production.
    """
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "Demo accounts have published passwords and are only created when DJANGO_DEBUG is true."
        )
    username, password = (
        (DEMO_CURATOR_USERNAME, DEMO_CURATOR_PASSWORD) if curator else (DEMO_LISTENER_USERNAME, DEMO_LISTENER_PASSWORD)
    )
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.select_for_update().get_or_create(
            **{user_model.USERNAME_FIELD: username}
        )
        user.is_active = True
        user.is_staff = curator
        user.is_superuser = curator
        user.set_password(password)
        user.save()
    return DemoLogin(username=username, password=password, created=created, is_curator=curator)


def demo_logins_ensure() -> list[DemoLogin]:
    """Ensure both demo accounts (listener first, then curator); safe to re-run, see demo_user_ensure."""
    return [demo_user_ensure(curator=False), demo_user_ensure(curator=True)]


# ----------------------------------------------------------------------------------------------- Spotify

SPOTIFY_PROVIDER = "spotify"
# A token this close to its expiry is refreshed first, so a request started now does not fail half-way.
TOKEN_EXPIRY_MARGIN = dt.timedelta(seconds=60)


def spotify_login_enabled() -> bool:
    """True when this server has a Spotify app (SPOTIFY_CLIENT_ID), so "Log in with Spotify" can work."""
    return bool(settings.SPOTIFY_CLIENT_ID)


def spotify_disconnect_without_app(*, user: AbstractBaseUser, account_id: int) -> bool:
    """Remove the listener's Spotify connection on a server that has no Spotify app any more; False if not theirs.

    allauth's own disconnect asks the (missing) app for its provider and fails; this deletes the connection and its
    tokens and sends allauth's `social_account_removed`, so what hangs on it (the saved tracks) goes as well.
    """
    from allauth.socialaccount.signals import social_account_removed

    account = SocialAccount.objects.filter(pk=account_id, user=user, provider=SPOTIFY_PROVIDER).first()
    if account is None:
        return False
    account.delete()
    social_account_removed.send(sender=SocialAccount, request=None, socialaccount=account)
    return True


def _spotify_token(user: AbstractBaseUser) -> SocialToken | None:
    if not user.is_authenticated:
        return None
    return (
        SocialToken.objects.filter(account__user=user, account__provider=SPOTIFY_PROVIDER)
        .select_related("account")
        .order_by("-pk")
        .first()
    )


def _fresh(token: SocialToken) -> bool:
    return token.expires_at is None or token.expires_at > timezone.now() + TOKEN_EXPIRY_MARGIN


def _refreshed_token_data(refresh_token: str) -> dict | None:
    """Spotify's answer to a refresh-token grant, or None when it refused or could not be reached."""
    try:
        response = requests.post(
            spotify_url(settings.SPOTIFY_ACCOUNTS_URL, "api/token"),
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET),
            timeout=settings.SPOTIFY_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        logger.warning("Spotify token refresh failed: %s", type(error).__name__)
        return None
    if response.status_code != 200:
        logger.warning("Spotify token refresh answered %s", response.status_code)
        return None
    try:
        data = response.json()
    except ValueError:
        data = None
    return data if isinstance(data, dict) and data.get("access_token") else None


def spotify_access_token(*, user: AbstractBaseUser) -> str | None:
    """A valid Spotify access token for `user`, or None without a usable Spotify login.

    An expired (or nearly expired) token is refreshed with the stored refresh token through
    SPOTIFY_ACCOUNTS_URL, and the new access token, expiry and (when Spotify rotates it) refresh token
    are saved. None when the user never logged in with Spotify, or the refresh was refused (the listener
    revoked access: logging in with Spotify again fixes it). Safe to call often: it only writes on refresh.
    """
    token = _spotify_token(user)
    if token is None:
        return None
    if _fresh(token):
        return token.token
    if not token.token_secret:
        return None
    data = _refreshed_token_data(token.token_secret)
    if data is None:
        token.refresh_from_db()  # another process may have refreshed (and rotated) it meanwhile
        if _fresh(token):
            return token.token
        logger.warning("Spotify token of user %s could not be refreshed", user.pk)
        return None
    token.token = data["access_token"]
    token.token_secret = data.get("refresh_token") or token.token_secret
    lifetime = str(data.get("expires_in") or "")
    # Spotify's tokens last an hour; an unreadable lifetime is taken as that rather than as an error (or forever).
    seconds = int(lifetime) if lifetime.isascii() and lifetime.isdigit() and len(lifetime) < 9 else 3600
    token.expires_at = timezone.now() + dt.timedelta(seconds=seconds)
    token.save(update_fields=["token", "token_secret", "expires_at"])
    return token.token


def spotify_client_for_user(*, user: AbstractBaseUser) -> SpotifyClient | None:
    """A client acting as `user` on SPOTIFY_API_URL, or None without a usable Spotify login.

    Its calls raise `ingestion.spotify.SpotifyError`s (a long rate limit as SpotifyDeferred, never a wait of
    hours in a web process); `spotify_error_message` turns them into a sentence for the listener.
    """
    access_token = spotify_access_token(user=user)
    if access_token is None:
        return None
    return spotify_client_for_token(access_token)


def spotify_error_message(error: SpotifyError) -> str:
    """What the listener reads when a call to Spotify with their login failed: what happened and what to do."""
    if isinstance(error, SpotifyDeferred):
        minutes = max(1, math.ceil((error.until - timezone.now()).total_seconds() / 60))
        return ngettext(
            "Spotify is busy. Please try again in %(minutes)d minute.",
            "Spotify is busy. Please try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    if isinstance(error, SpotifyRequestFailed) and error.status == 401:
        return gettext("Spotify no longer accepts this site's access to your account: log in with Spotify again.")
    if isinstance(error, SpotifyRefused):
        return gettext("Spotify refused this for your account. Log in with Spotify again if it keeps happening.")
    if isinstance(error, SpotifyRequestFailed):
        return gettext("Spotify refused the request. Please tell us if it keeps happening.")
    return gettext("Spotify did not answer; try again in a minute.")


def spotify_is_premium(*, user: AbstractBaseUser) -> bool:
    """Whether `user` has Spotify Premium (the Web Playback SDK needs it); False without Spotify.

    Reads the `product` field of /me that the login stored on the Spotify account's extra_data; when it is
    missing, asks /me once and stores it there. Spotify failing (unreachable, busy, the token revoked) counts as
    "not Premium" for now (not stored, so the next call asks again).
    """
    if not user.is_authenticated:
        return False
    account = SocialAccount.objects.filter(user=user, provider=SPOTIFY_PROVIDER).order_by("-pk").first()
    if account is None:
        return False
    extra_data = account.extra_data if isinstance(account.extra_data, dict) else {}
    if "product" not in extra_data:
        client = spotify_client_for_user(user=user)
        if client is None:
            return False
        try:
            profile = client.me()
        except SpotifyError as error:  # its message names the request, never the token
            logger.warning("Spotify /me for user %s failed: %s", user.pk, error)
            return False
        account.extra_data = {**extra_data, "product": (profile or {}).get("product") or ""}
        account.save(update_fields=["extra_data"])
        extra_data = account.extra_data
    return extra_data.get("product") == "premium"


# ----------------------------------------------------------------------------------------------- API tokens

API_TOKENS_PER_USER = 10
# last_used_at is written at most this often per token, so API calls do not each write a row.
API_TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=5)


class ApiTokenLimitReached(Exception):
    """The listener already has API_TOKENS_PER_USER tokens; revoke one first."""


def _api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: AbstractBaseUser, name: str = "") -> str:
    """Make a new API token for `user` and return its key; only the hash is stored, so show the key now.

    Raises ApiTokenLimitReached at API_TOKENS_PER_USER tokens, also when requests race (the user's row is
    locked while counting). Each call makes another token.
    """
    with transaction.atomic():
        # Lock the listener's row: two requests at once would otherwise both count 9 and both create a token.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if ApiToken.objects.filter(user=user).count() >= API_TOKENS_PER_USER:
            raise ApiTokenLimitReached
        key = secrets.token_urlsafe(32)
        ApiToken.objects.create(user=user, name=name.strip()[:100], key_hash=_api_key_hash(key), prefix=key[:8])
    return key


def api_token_user(*, key: str) -> AbstractBaseUser | None:
    """The active user owning API token `key`, or None; records when the token was last used."""
    token = ApiToken.objects.select_related("user").filter(key_hash=_api_key_hash(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - API_TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_token_revoke(*, user: AbstractBaseUser, token_id: int) -> bool:
    """Delete `user`'s token `token_id`; False when it is not theirs or already gone (a re-run is safe)."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)
