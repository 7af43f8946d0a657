from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model

from tests.accounts.fake_oauth import CLIENT_ID

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/spotify/login/"
CALLBACK = "http://testserver/accounts/spotify/login/callback/"
User = get_user_model()


def start_login(client, fake, **data) -> dict[str, str]:
    """POST the "Log in with Spotify" form; the query of the authorize URL it sends the browser to."""
    response = client.post(LOGIN, data)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(fake.accounts_url + "authorize?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def spotify_agrees(client, fake, **data):
    """The whole round trip: start, the listener agrees on (fake) Spotify, the callback with code and state."""
    query = start_login(client, fake, **data)
    authorize = requests.get(f"{fake.accounts_url}authorize", params=query, allow_redirects=False, timeout=5)
    callback = authorize.headers["Location"]
    assert callback.startswith(CALLBACK)
    return client.get(callback.removeprefix("http://testserver"), follow=True)


def test_login_starts_with_post_and_asks_for_code_with_pkce_state_and_least_scopes(client, fake_spotify_accounts):
    query = start_login(client, fake_spotify_accounts)

    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == CALLBACK
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert query["state"]
    assert set(query["scope"].split()) == {
        "user-read-private",
        "user-read-email",
        "streaming",
        "user-modify-playback-state",
        "playlist-read-private",
        "user-library-read",
        "playlist-modify-private",
    }


def test_get_on_the_login_url_asks_to_confirm_instead_of_leaving_the_site(client, fake_spotify_accounts):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()
    assert fake_spotify_accounts.codes == {}


def test_round_trip_creates_a_listener_without_email_and_stores_tokens(client, fake_spotify_accounts):
    response = spotify_agrees(client, fake_spotify_accounts)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/taste/"  # a new listener starts with their taste
    user = User.objects.get()
    assert user.email == "" and not user.has_usable_password()
    assert "Minji" in response.content.decode()  # the header names the listener
    account = SocialAccount.objects.get(user=user, provider="spotify")
    assert account.uid == "listener1" and account.extra_data["product"] == "premium"
    token = SocialToken.objects.get(account=account)
    assert token.token in fake_spotify_accounts.access_tokens
    assert token.token_secret in fake_spotify_accounts.refresh_tokens
    assert token.expires_at is not None
    assert "code_verifier" in fake_spotify_accounts.token_requests[0]


def test_a_korean_display_name_gives_the_spotify_id_as_username(client, fake_spotify_accounts):
    fake_spotify_accounts.profile = {"id": "31abcxyz", "display_name": "김민지", "email": "minji@example.com"}

    response = spotify_agrees(client, fake_spotify_accounts)

    user = User.objects.get()
    assert user.username == "31abcxyz" and user.email == "minji@example.com"
    assert "김민지" in response.content.decode()


def test_logging_in_again_reuses_the_listener_and_updates_the_token(client, fake_spotify_accounts):
    spotify_agrees(client, fake_spotify_accounts)
    first_token = SocialToken.objects.get().token
    client.post("/accounts/logout/")

    spotify_agrees(client, fake_spotify_accounts)

    assert User.objects.count() == 1 and SocialAccount.objects.count() == 1
    assert SocialToken.objects.get().token != first_token


def test_login_returns_to_the_page_it_started_from(client, fake_spotify_accounts):
    response = spotify_agrees(client, fake_spotify_accounts, next="/accounts/profile/")

    assert response.redirect_chain[-1][0] == "/accounts/profile/"


def test_a_refused_profile_shows_an_error_page_and_creates_nobody(client, fake_spotify_accounts):
    fake_spotify_accounts.profile_status = 403  # a development-mode app, listener not added in the dashboard

    response = spotify_agrees(client, fake_spotify_accounts)

    assert response.status_code == 401
    assert "Spotify login did not work" in response.content.decode()
    assert not User.objects.exists()


def test_a_callback_with_a_forged_state_is_refused(client, fake_spotify_accounts):
    start_login(client, fake_spotify_accounts)

    response = client.get("/accounts/spotify/login/callback/", {"code": "stolen", "state": "forged"})

    assert "Spotify login did not work" in response.content.decode()
    assert not User.objects.exists() and fake_spotify_accounts.token_requests == []


def test_cancelling_on_spotify_keeps_the_visitor_logged_out(client, fake_spotify_accounts):
    query = start_login(client, fake_spotify_accounts)

    response = client.get(
        "/accounts/spotify/login/callback/", {"error": "access_denied", "state": query["state"]}, follow=True
    )

    assert "Spotify login cancelled" in response.content.decode()
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_a_spotify_email_of_an_existing_account_does_not_log_into_it(client, fake_spotify_accounts):
    User.objects.create_user("minji", "minji@example.com", "a-long-Passw0rd")
    fake_spotify_accounts.profile = {"id": "listener1", "display_name": "Minji", "email": "minji@example.com"}

    response = spotify_agrees(client, fake_spotify_accounts)

    assert "_auth_user_id" not in client.session  # Spotify's emails are unverified: no takeover by email
    assert response.redirect_chain[-1][0] == "/accounts/3rdparty/signup/"
    assert '<nav class="site-nav"' in response.content.decode()
