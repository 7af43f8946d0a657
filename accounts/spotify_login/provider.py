from allauth.socialaccount.providers.spotify.provider import SpotifyOAuth2Provider

from accounts.spotify_login.views import SpotifyLoginAdapter


class SpotifyLoginProvider(SpotifyOAuth2Provider):
    """allauth's Spotify provider with URLs from the settings; id, slug and URL names stay `spotify`."""

    package = "accounts.spotify_login"
    oauth2_adapter_class = SpotifyLoginAdapter

    def extract_common_fields(self, data: dict) -> dict:
        # Spotify may return no email (scope not granted, or none on the account) and no display name.
        return {"name": data.get("display_name") or "", "email": data.get("email") or None}


provider_classes = [SpotifyLoginProvider]
