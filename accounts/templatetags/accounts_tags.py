"""Template tags for the login pages and the site header."""
from django import template
from django.conf import settings
from django.contrib.auth import get_user_model

from accounts.services import DEMO_LISTENER_PASSWORD, DEMO_LISTENER_USERNAME, spotify_login_enabled

register = template.Library()


@register.simple_tag
def spotify_login_available() -> bool:
    """`{% spotify_login_available as spotify_on %}`: whether to offer "Log in with Spotify"."""
    return spotify_login_enabled()


@register.simple_tag
def demo_login() -> dict[str, str] | None:
    """The published demo login, when DEBUG is on and `run_demo` created it (one query); else None."""
    if not settings.DEBUG:
        return None
    user_model = get_user_model()
    if not user_model.objects.filter(**{user_model.USERNAME_FIELD: DEMO_LISTENER_USERNAME}, is_active=True).exists():
        return None
    return {"username": DEMO_LISTENER_USERNAME, "password": DEMO_LISTENER_PASSWORD}
