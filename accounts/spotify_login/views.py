from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.spotify.views import SpotifyOAuth2Adapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.services import spotify_login_enabled
from accounts.spotify_login import spotify_url


class SpotifyLoginAdapter(SpotifyOAuth2Adapter):
    """The OAuth2 code flow against SPOTIFY_ACCOUNTS_URL; the profile from SPOTIFY_API_URL's /me."""

    @property
    def authorize_url(self) -> str:  # type: ignore[override]
        return spotify_url(settings.SPOTIFY_ACCOUNTS_URL, "authorize")

    @property
    def access_token_url(self) -> str:  # type: ignore[override]
        return spotify_url(settings.SPOTIFY_ACCOUNTS_URL, "api/token")

    @property
    def profile_url(self) -> str:  # type: ignore[override]
        return spotify_url(settings.SPOTIFY_API_URL, "me")

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        with get_adapter().get_requests_session() as session:
            response = session.get(self.profile_url, headers={"Authorization": f"Bearer {token.token}"})
        # A development-mode app answers 403 for listeners not added to it in Spotify's dashboard.
        if response.status_code != 200:
            raise ProviderException(f"Spotify answered {response.status_code} for the profile")
        profile = response.json()
        if not isinstance(profile, dict) or not profile.get("id"):
            raise ProviderException("Spotify's profile has no id")
        return self.get_provider().sociallogin_from_response(request, profile)


_allauth_login = OAuth2LoginView.adapter_view(SpotifyLoginAdapter)
_allauth_callback = OAuth2CallbackView.adapter_view(SpotifyLoginAdapter)


def spotify_off(request: HttpRequest) -> HttpResponse:
    """The site's own page for a server without a Spotify app: what works instead, and where to go.

    allauth would raise SocialApp.DoesNotExist (a 500) for every Spotify URL there; 404 says "not on this server"
    to scripts while the listener reads why and what to do.
    """
    return render(request, "socialaccount/spotify_off.html", status=404)


def oauth2_login(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    if not spotify_login_enabled():
        return spotify_off(request)
    return _allauth_login(request, *args, **kwargs)


def oauth2_callback(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    if not spotify_login_enabled():
        return spotify_off(request)
    return _allauth_callback(request, *args, **kwargs)
