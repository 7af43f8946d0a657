"""allauth adapters: how a Spotify login becomes a local user."""
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.utils import user_username
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request: HttpRequest, sociallogin, data: dict):
        """Name a new Spotify listener after their display name, else their Spotify id (never the email).

        allauth alone would fall back to "user", "user2", … when the display name has no Latin letters
        (e.g. a Korean name); the Spotify id is a stable, recognisable second choice.
        """
        user = super().populate_user(request, sociallogin, data)
        candidates = [data.get("name"), sociallogin.account.uid, "listener"]
        user_username(user, get_account_adapter(request).generate_unique_username(candidates))
        return user
