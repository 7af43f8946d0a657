"""Names from Spotify or from imported files are text: HTML in them is shown, never run, on every page and in
JSON; and API tokens and Spotify tokens never appear in pages."""
from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.test import Client

from ingestion.models import Album, Artist, Playlist, Track
from tests.factories import PlaylistFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def hostile_catalog(alice, tracks):
    """Every name the site shows, as a file or Spotify could send it (after Alice's list was made)."""
    playlist = PlaylistFactory(tracks=tracks[:12])
    Track.objects.update(name=HOSTILE)
    Artist.objects.update(name=HOSTILE)
    Album.objects.update(name=HOSTILE)
    Playlist.objects.update(name=HOSTILE)
    alice.user.first_name = HOSTILE  # a Spotify display name becomes the name in the header
    alice.user.save()
    return playlist


def assert_shown_as_text(response) -> None:
    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in page and "<img src=x" not in page
    assert ESCAPED in page


@pytest.mark.parametrize(
    "url",
    [
        "/today/",
        "/taste/?q=a",
        "/picks/?find=a",
        "/picks/?source=playlist:{playlist}",
        "/situation/?q={hostile}",
        "/accounts/profile/",
    ],
)
def test_names_are_shown_as_text_on_every_page(alice, hostile_catalog, url):
    response = alice.client.get(url.format(playlist=hostile_catalog.pk, hostile=HOSTILE))

    assert_shown_as_text(response)


def test_a_liked_track_message_shows_its_name_as_text(alice, tracks, hostile_catalog):
    response = alice.client.post(f"/tracks/{tracks[5].pk}/react/", {"kind": "like"}, follow=True)

    assert_shown_as_text(response)


def test_the_admin_shows_names_as_text(hostile_catalog):
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("curator"))

    admin_pages = ("track/", "playlist/", f"playlist/{hostile_catalog.pk}/change/", "artist/", "album/")
    for url in (f"/admin/ingestion/{page}" for page in admin_pages):
        response = client.get(url)
        assert response.status_code == 200 and "<script>alert" not in response.content.decode(), url


def test_json_answers_carry_names_as_json_strings(alice, hostile_catalog):
    search = alice.client.get("/taste/search/", {"q": "scr"})
    api = alice.client.get(
        "/api/v1/recommendations/content?k=5", HTTP_AUTHORIZATION=f"Bearer {alice.token_key}"
    )

    for response in (search, api):
        assert response["Content-Type"] == "application/json" and response["X-Content-Type-Options"] == "nosniff"
    assert search.json()["results"][0]["name"] == HOSTILE and search.json()["results"][0]["album"] == HOSTILE
    assert api.json()["tracks"][0]["title"] == HOSTILE and api.json()["tracks"][0]["artists"] == [HOSTILE]


def test_an_api_key_is_shown_once_and_never_again(alice):
    alice.client.post("/accounts/profile/api-tokens/", {"name": "script"})
    key = alice.client.session["new_api_key"]

    first = alice.client.get("/accounts/profile/").content.decode()
    later = alice.client.get("/accounts/profile/").content.decode()

    assert key in first and key not in later
    assert alice.token_key not in first  # the older token: only its prefix is ever shown


def test_spotify_tokens_never_appear_in_pages(alice, settings):
    app = SocialApp.objects.create(provider="spotify", name="Spotify", client_id="app", secret="app-secret")
    account = SocialAccount.objects.create(
        user=alice.user, provider="spotify", uid="alice", extra_data={"product": "premium"}
    )
    SocialToken.objects.create(app=app, account=account, token="BQD-access-token-xyz", token_secret="AQ-refresh-abc")

    pages = [alice.client.get(url).content.decode() for url in ("/today/", "/accounts/profile/", "/picks/", "/")]
    player = alice.client.get("/today/player-token/")

    assert player.json()["access_token"] == "BQD-access-token-xyz"  # only to the page's own script, on request
    assert player["Cache-Control"].startswith("max-age=0") and "no-store" in player["Cache-Control"]
    for page in pages:
        assert "BQD-access-token-xyz" not in page and "AQ-refresh-abc" not in page and "app-secret" not in page
