"""A server without a Spotify app: every Spotify URL answers with the site's own page, never a 500."""
import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

SPOTIFY_URLS = (
    "/accounts/spotify/login/",
    "/accounts/spotify/login/?process=connect",
    "/accounts/spotify/login/callback/",
    "/accounts/spotify/login/callback/?code=abc&state=xyz",
)


@pytest.fixture
def spotify_off(settings):
    settings.SPOTIFY_CLIENT_ID = ""
    settings.SPOTIFY_CLIENT_SECRET = ""
    providers = {**settings.SOCIALACCOUNT_PROVIDERS}
    providers["spotify"] = {**providers["spotify"], "APPS": []}
    settings.SOCIALACCOUNT_PROVIDERS = providers


@pytest.mark.parametrize("url", SPOTIFY_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_spotify_urls_say_spotify_is_off_instead_of_failing(client, spotify_off, url, method):
    response = getattr(client, method)(url)

    assert response.status_code == 404
    page = response.content.decode()
    assert "Spotify is off on this server" in page
    assert 'href="/accounts/signup/"' in page  # a way on, not a dead end


def test_logged_in_listener_is_sent_on_to_their_songs(client, spotify_off):
    client.force_login(get_user_model().objects.create_user("listener", password="pw"))

    page = client.get("/accounts/spotify/login/?process=connect").content.decode()

    assert 'href="/today/"' in page and 'href="/accounts/profile/"' in page


def test_spotify_off_page_is_translated(client, spotify_off):
    client.cookies["django_language"] = "ko"

    page = client.get("/accounts/spotify/login/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "Spotify is off on this server" not in page


def test_a_listener_can_remove_spotify_after_the_server_lost_its_app(client, spotify_off):
    from allauth.socialaccount.models import SocialAccount, SocialToken

    from recommendations.models import SpotifySavedTrack
    from tests.factories import TrackFactory
    from tests.fake_spotify import FakeListener
    from tests.fake_spotify.helpers import spotify_connect

    user = get_user_model().objects.create_user("listener", password="pw-long-enough-1")
    spotify_connect(user, FakeListener())
    SpotifySavedTrack.objects.create(user=user, track=TrackFactory())
    client.force_login(user)
    account = SocialAccount.objects.get(user=user)

    assert client.get("/accounts/3rdparty/").status_code == 200
    response = client.post("/accounts/3rdparty/", {"account": account.pk}, follow=True)

    assert response.status_code == 200 and "Spotify is disconnected from your account." in response.content.decode()
    assert not SocialAccount.objects.filter(user=user).exists() and not SocialToken.objects.exists()
    assert not SpotifySavedTrack.objects.exists()  # what hung on the connection went with it


def test_nobody_removes_another_listeners_spotify(client, spotify_off):
    from allauth.socialaccount.models import SocialAccount

    from tests.fake_spotify import FakeListener
    from tests.fake_spotify.helpers import spotify_connect

    owner = get_user_model().objects.create_user("owner", password="pw-long-enough-1")
    spotify_connect(owner, FakeListener())
    client.force_login(get_user_model().objects.create_user("other", password="pw-long-enough-2"))

    client.post("/accounts/3rdparty/", {"account": SocialAccount.objects.get(user=owner).pk})

    assert SocialAccount.objects.filter(user=owner).exists()
