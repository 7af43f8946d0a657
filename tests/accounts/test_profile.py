import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from accounts.models import ApiToken
from accounts.services import (
    API_TOKENS_PER_USER,
    ApiTokenLimitReached,
    api_token_create,
    api_token_revoke,
    api_token_user,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
PROFILE = "/accounts/profile/"


@pytest.fixture
def minji(client):
    user = User.objects.create_user("minji", "minji@example.com", "a-long-Passw0rd")
    client.force_login(user)
    return user


def test_the_account_page_needs_a_login(client):
    response = client.get(PROFILE)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_account_page_shows_the_login_and_offers_to_connect_spotify(client, minji, fake_spotify_accounts):
    content = client.get(PROFILE).content.decode()

    assert "minji@example.com" in content
    assert 'action="/accounts/spotify/login/?process=connect"' in content


def test_a_spotify_listener_sees_the_connection_and_premium(client, minji, fake_spotify_accounts):
    SocialAccount.objects.create(
        user=minji, provider="spotify", uid="listener1", extra_data={"display_name": "Minji K", "product": "premium"}
    )

    content = client.get(PROFILE).content.decode()

    assert "Connected as <strong>Minji K</strong>" in content
    assert "Premium: songs play right on this site." in content


def test_a_new_api_token_is_shown_once_and_works(client, minji):
    response = client.post("/accounts/profile/api-tokens/", {"name": "my script"}, follow=True)

    key = re.search(r'<code class="api-key">([^<]+)</code>', response.content.decode()).group(1)
    assert api_token_user(key=key) == minji
    assert "my script" in response.content.decode()
    again = client.get(PROFILE).content.decode()
    assert key not in again and key[:8] in again


def test_revoking_a_token_stops_it(client, minji):
    key = api_token_create(user=minji)
    token = ApiToken.objects.get()

    response = client.post(f"/accounts/profile/api-tokens/{token.pk}/revoke/", follow=True)

    assert "The API token is revoked." in response.content.decode()
    assert api_token_user(key=key) is None


def test_listeners_cannot_revoke_each_others_tokens(client, minji):
    other = User.objects.create_user("other")
    key = api_token_create(user=other)

    client.post(f"/accounts/profile/api-tokens/{ApiToken.objects.get().pk}/revoke/")

    assert api_token_user(key=key) == other
    assert api_token_revoke(user=minji, token_id=ApiToken.objects.get().pk) is False


def test_only_a_hash_of_the_key_is_stored(minji):
    key = api_token_create(user=minji)

    token = ApiToken.objects.get()
    assert key not in (token.key_hash, token.prefix) and token.prefix == key[:8]


def test_unknown_keys_and_inactive_users_get_nobody(minji):
    key = api_token_create(user=minji)
    minji.is_active = False
    minji.save()

    assert api_token_user(key="not-a-key") is None
    assert api_token_user(key=key) is None


def test_using_a_token_records_when(minji):
    key = api_token_create(user=minji)

    api_token_user(key=key)

    assert ApiToken.objects.get().last_used_at is not None


def test_tokens_per_listener_are_limited(client, minji):
    for _ in range(API_TOKENS_PER_USER):
        api_token_create(user=minji)

    with pytest.raises(ApiTokenLimitReached):
        api_token_create(user=minji)
    response = client.post("/accounts/profile/api-tokens/", {"name": "one more"}, follow=True)
    assert "You have the most API tokens allowed." in response.content.decode()
    assert ApiToken.objects.count() == API_TOKENS_PER_USER


def test_the_account_page_query_count_does_not_grow_with_tokens(client, minji, django_assert_max_num_queries):
    api_token_create(user=minji)
    with django_assert_max_num_queries(11):  # session, user, Spotify, tokens, liked songs (3)
        client.get(PROFILE)
    for _ in range(5):
        api_token_create(user=minji)
    with django_assert_max_num_queries(11):  # session, user, Spotify, tokens, liked songs (3)
        assert client.get(PROFILE).content.decode().count("/revoke/") == 6


def test_a_token_without_a_name_is_refused_and_the_page_says_why(client, minji):
    response = client.post("/accounts/profile/api-tokens/", {"name": "   "})

    assert response.status_code == 400
    assert "Give the token a name" in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_liked_songs_are_listed_newest_first_with_a_way_to_unlike_them(client, minji):
    from recommendations.models import TrackReaction
    from tests.factories import TrackFactory

    older, newer, disliked = TrackFactory(name="Older Love"), TrackFactory(name="Newer Love"), TrackFactory(name="Nope")
    TrackReaction.objects.create(user=minji, track=older, kind="like")
    TrackReaction.objects.create(user=minji, track=newer, kind="like")
    TrackReaction.objects.create(user=minji, track=disliked, kind="dislike")

    page = client.get(PROFILE).content.decode()

    assert page.index("Newer Love") < page.index("Older Love") and "Nope" not in page
    assert f'action="/tracks/{older.pk}/react/"' in page and 'value="clear"' in page
    assert 'id="player"' in page


def test_without_liked_songs_the_page_says_how_to_get_some(client, minji):
    assert "press ♡ Like on today's songs" in client.get(PROFILE).content.decode()
