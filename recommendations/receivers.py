"""What the recommenders do when a listener's Spotify login changes (django-allauth's signals, connected in apps).

Each receiver calls one service; the Spotify calls themselves run in a task, never inside the login request.
"""
from __future__ import annotations

from allauth.account.signals import user_logged_in
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.signals import social_account_added, social_account_removed

from accounts.services import SPOTIFY_PROVIDER
from recommendations.services.saved_tracks import saved_tracks_forget, saved_tracks_refresh_soon


def on_login(sender, request, user, **kwargs) -> None:
    """Any login of a listener with Spotify connected (by Spotify or by password) refreshes their saved tracks."""
    if SocialAccount.objects.filter(user=user, provider=SPOTIFY_PROVIDER).exists():
        saved_tracks_refresh_soon(user=user)


def on_spotify_connected(sender, request, sociallogin, **kwargs) -> None:
    if sociallogin.account.provider == SPOTIFY_PROVIDER:
        saved_tracks_refresh_soon(user=sociallogin.user)


def on_spotify_disconnected(sender, request, socialaccount, **kwargs) -> None:
    if socialaccount.provider == SPOTIFY_PROVIDER:
        saved_tracks_forget(user=socialaccount.user)


def connect_receivers() -> None:
    user_logged_in.connect(on_login, dispatch_uid="recommendations.saved_tracks.login")
    social_account_added.connect(on_spotify_connected, dispatch_uid="recommendations.saved_tracks.connected")
    social_account_removed.connect(on_spotify_disconnected, dispatch_uid="recommendations.saved_tracks.disconnected")
