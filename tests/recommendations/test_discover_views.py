"""Situation search and playlist picks pages: what a listener sees, bounded queries, per-listener isolation."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from recommendations.models import TrackReaction
from recommendations.services.training import recommender_train
from tests.factories import PlaylistFactory
from tests.recommendations.catalogs import add_situation_playlists, build_small_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]


@pytest.fixture
def catalog():
    tracks = build_small_catalog()
    add_situation_playlists(tracks)
    for engine in ("clusters", "song2vec"):
        recommender_train(engine=engine)
    return tracks


@pytest.fixture
def listener(client) -> User:
    user = User.objects.create_user("listener", password="pw")
    client.force_login(user)
    return user


def test_situation_page_shows_songs_and_the_playlists_it_matched(client, catalog):
    response = client.get("/situation/", {"q": "music for a rainy drive"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "rainy day" in page and "Blue" in page and "Smoke" in page
    assert 'id="player"' in page and 'data-kind="embed"' in page  # catalog songs are on Spotify


def test_situation_page_in_korean_reaches_the_english_playlists(client, catalog):
    response = client.get("/situation/", {"q": "비 오는 날 드라이브"})

    assert "rainy day" in response.content.decode()


def test_situation_page_explains_a_fallback(client, catalog):
    page = client.get("/situation/", {"q": "qwxz zzvq"}).content.decode()

    assert "No playlist name matches" in page


def test_situation_page_without_a_model_says_what_to_run(client, db):
    page = client.get("/situation/", {"q": "study"}).content.decode()

    assert "train_recommenders" in page


def test_situation_page_rejects_an_overlong_text_without_an_error_page(client, catalog):
    response = client.get("/situation/", {"q": "x" * 300})

    assert response.status_code == 200 and "at most 200" in response.content.decode()


def test_situation_results_skip_what_the_listener_disliked(client, listener, catalog):
    TrackReaction.objects.create(user=listener, track=catalog["jazz_1"], kind=TrackReaction.Kind.DISLIKE)

    page = client.get("/situation/", {"q": "rainy day"}).content.decode()

    assert "Smoke" in page and "<strong>Blue</strong>" not in page


def test_playlist_picks_needs_a_login(client, catalog):
    response = client.get("/picks/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_playlist_picks_from_a_catalog_playlist_shows_shares_and_songs(
    client, listener, catalog, django_assert_max_num_queries
):
    playlist = PlaylistFactory(name="my rock", tracks=[catalog["rock_1"], catalog["rock_2"]])

    with django_assert_max_num_queries(20):
        response = client.get("/picks/", {"source": f"playlist:{playlist.pk}"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "New songs for “my rock”" in page and "%" in page
    assert "Cluster 1" not in page and ("songs" in page or "dance" in page)  # clusters named by their profile
    assert "<strong>Riff</strong>" not in page and "<strong>Amp</strong>" not in page


def test_playlist_picks_from_liked_songs(client, listener, catalog):
    for key in ("jazz_1", "jazz_2"):
        TrackReaction.objects.create(user=listener, track=catalog[key], kind=TrackReaction.Kind.LIKE)

    page = client.get("/picks/", {"source": "liked"}).content.decode()

    assert "New songs for “Songs you liked”" in page and "<strong>Blue</strong>" not in page


def test_another_listeners_likes_are_not_mine(client, catalog):
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    TrackReaction.objects.create(user=alice, track=catalog["jazz_1"], kind=TrackReaction.Kind.LIKE)
    client.force_login(bob)

    page = client.get("/picks/", {"source": "liked"}).content.decode()

    assert "nothing to go on" in page


def test_unknown_sources_get_a_message_not_an_error(client, listener, catalog):
    for source in ("playlist:999999", "playlist:²", f"playlist:{'9' * 5000}", "spotify:not-an-id", "spotify-saved",
                   "nonsense"):
        response = client.get("/picks/", {"source": source})
        assert response.status_code == 200 and 'role="alert"' in response.content.decode()


def test_situation_cards_offer_like_and_not_for_me_that_come_back_to_the_same_search(client, catalog, listener):
    url = "/situation/?q=rainy+drive"
    page = client.get(url).content.decode()
    first = int(page.split('id="track-')[1].split('"')[0])
    assert page.count("data-reaction") >= 2 and 'name="next" value="/situation/?q=rainy+drive"' in page

    response = client.post(f"/tracks/{first}/react/", {"kind": "like", "next": url})

    assert response["Location"] == url and TrackReaction.objects.get(user=listener).kind == "like"
    assert 'aria-pressed="true"' in client.get(url).content.decode()
