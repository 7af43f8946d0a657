import datetime as dt

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.services import spotify_access_token, spotify_client_for_user, spotify_is_premium

pytestmark = pytest.mark.django_db
User = get_user_model()


def spotify_listener(fake, *, expires_in: int, extra_data: dict | None = None):
    """A user who logged in with Spotify; their stored access token expires `expires_in` seconds from now."""
    user = User.objects.create_user("listener")
    account = SocialAccount.objects.create(
        user=user, provider="spotify", uid="listener1", extra_data=extra_data if extra_data is not None else {}
    )
    tokens = fake.issue_tokens()
    SocialToken.objects.create(
        account=account,
        token=tokens["access_token"],
        token_secret=tokens["refresh_token"],
        expires_at=timezone.now() + dt.timedelta(seconds=expires_in),
    )
    return user


def test_a_valid_token_is_returned_as_stored(fake_spotify_accounts):
    user = spotify_listener(fake_spotify_accounts, expires_in=3600)

    assert spotify_access_token(user=user) == SocialToken.objects.get().token
    assert fake_spotify_accounts.token_requests == []


def test_an_expired_token_is_refreshed_and_the_new_one_stored(fake_spotify_accounts):
    user = spotify_listener(fake_spotify_accounts, expires_in=-10)
    old = SocialToken.objects.get()

    token = spotify_access_token(user=user)

    stored = SocialToken.objects.get()
    assert token != old.token and token == stored.token
    assert token in fake_spotify_accounts.access_tokens
    assert stored.token_secret == old.token_secret  # Spotify did not rotate it: the old one still works
    assert stored.expires_at > timezone.now() + dt.timedelta(minutes=50)
    assert fake_spotify_accounts.token_requests[0]["grant_type"] == "refresh_token"
    assert spotify_access_token(user=user) == token  # now fresh: no second refresh
    assert len(fake_spotify_accounts.token_requests) == 1


def test_a_token_about_to_expire_is_refreshed_first(fake_spotify_accounts):
    user = spotify_listener(fake_spotify_accounts, expires_in=20)
    old = SocialToken.objects.get().token

    assert spotify_access_token(user=user) != old


def test_a_rotated_refresh_token_replaces_the_old_one(fake_spotify_accounts):
    fake_spotify_accounts.rotate_refresh_tokens = True
    user = spotify_listener(fake_spotify_accounts, expires_in=-10)
    old_refresh = SocialToken.objects.get().token_secret

    spotify_access_token(user=user)

    new_refresh = SocialToken.objects.get().token_secret
    assert new_refresh != old_refresh and new_refresh in fake_spotify_accounts.refresh_tokens


def test_a_revoked_refresh_token_gives_no_token(fake_spotify_accounts):
    fake_spotify_accounts.refuse_refresh = True
    user = spotify_listener(fake_spotify_accounts, expires_in=-10)

    assert spotify_access_token(user=user) is None
    assert spotify_client_for_user(user=user) is None


def test_listeners_without_spotify_get_nothing(fake_spotify_accounts):
    user = User.objects.create_user("local")

    assert spotify_access_token(user=user) is None
    assert spotify_client_for_user(user=user) is None
    assert spotify_is_premium(user=user) is False
    assert fake_spotify_accounts.token_requests == [] and fake_spotify_accounts.me_requests == 0


def test_the_client_talks_to_the_configured_api_as_the_listener(fake_spotify_accounts):
    user = spotify_listener(fake_spotify_accounts, expires_in=-10)

    client = spotify_client_for_user(user=user)

    assert client.prefix == fake_spotify_accounts.api_url
    assert client.me()["id"] == "listener1"  # the refreshed token is accepted by the fake /me


def test_premium_comes_from_the_stored_profile_without_asking_spotify(fake_spotify_accounts):
    premium = spotify_listener(fake_spotify_accounts, expires_in=3600, extra_data={"product": "premium"})

    assert spotify_is_premium(user=premium) is True
    assert fake_spotify_accounts.me_requests == 0


def test_free_listeners_are_not_premium(fake_spotify_accounts):
    free = spotify_listener(fake_spotify_accounts, expires_in=3600, extra_data={"product": "free"})

    assert spotify_is_premium(user=free) is False


def test_a_missing_product_is_asked_once_and_kept(fake_spotify_accounts):
    user = spotify_listener(fake_spotify_accounts, expires_in=3600, extra_data={"id": "listener1"})

    assert spotify_is_premium(user=user) is True
    assert spotify_is_premium(user=user) is True

    assert fake_spotify_accounts.me_requests == 1
    assert SocialAccount.objects.get().extra_data == {"id": "listener1", "product": "premium"}


def test_an_unreadable_token_lifetime_is_taken_as_an_hour(fake_spotify_accounts):
    user = spotify_listener(fake_spotify_accounts, expires_in=-10)
    fake_spotify_accounts.expires_in = "an hour"  # not a number: Spotify's usual lifetime is assumed

    token = spotify_access_token(user=user)

    stored = SocialToken.objects.get()
    assert token == stored.token
    assert timezone.now() + dt.timedelta(minutes=55) < stored.expires_at < timezone.now() + dt.timedelta(minutes=65)
