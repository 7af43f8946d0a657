"""Today's page keeps its rendered song cards in the cache: every change a listener could see shows at once
(a reaction, another list, a changed taste, a hidden song, the language, Spotify), the kept copy never carries
another listener's songs or a stale CSRF token, and a page from the cache costs a fixed, small number of queries."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from ingestion.models import Track
from ingestion.services.changes import catalog_changed
from recommendations.models import TodayList
from tests.fake_spotify import FakeListener
from tests.fake_spotify.helpers import spotify_connect
from tests.recommendations.today_pages import make_listener, titles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]


def first_track(today_list: TodayList) -> Track:
    return today_list.entries.order_by("position").first().track


def test_a_like_shows_on_the_next_page_although_the_cards_were_kept(client, ready):
    client.get("/today/")  # renders and keeps the cards
    track = first_track(ready)

    client.post(f"/tracks/{track.pk}/react/", {"kind": "like"}, headers={"Accept": "application/json"})
    page = client.get("/today/").content.decode()

    assert page.count('class="react like" aria-pressed="true"') == 1
    assert f'<li class="today-card" id="track-{track.pk}">' in page
    client.post(f"/tracks/{track.pk}/react/", {"kind": "clear"}, headers={"Accept": "application/json"})
    assert 'class="react like" aria-pressed="true"' not in client.get("/today/").content.decode()


def test_a_dislike_and_its_undo_show_although_the_cards_were_kept(client, ready):
    client.get("/today/")
    track = first_track(ready)

    client.post(f"/tracks/{track.pk}/react/", {"kind": "dislike"}, headers={"Accept": "application/json"})
    assert track.name not in titles(client.get("/today/").content.decode())

    client.post(f"/tracks/{track.pk}/react/", {"kind": "clear"}, headers={"Accept": "application/json"})
    assert titles(client.get("/today/").content.decode())[0] == track.name


def test_another_list_replaces_the_kept_cards(client, ready, django_capture_on_commit_callbacks):
    before = titles(client.get("/today/").content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/today/reroll/")
    after = titles(client.get("/today/").content.decode())

    assert len(after) == 20 and set(after) != set(before)


def test_a_changed_taste_replaces_the_kept_cards(client, listener, ready, django_capture_on_commit_callbacks):
    before = titles(client.get("/today/").content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/taste/mood/", {"choice": "dark"})
        client.post("/taste/speed/", {"choice": "slow"})
        client.post("/taste/emotion/", {"choice": "depressed"})
        client.get("/today/loading/")
    page = client.get("/today/").content.decode()

    assert TodayList.objects.filter(user=listener).count() == 2
    assert set(titles(page)) != set(before)
    newest = TodayList.objects.filter(user=listener).order_by("-reroll").first()
    assert titles(page)[0] == first_track(newest).name


def test_a_song_a_curator_hides_leaves_the_kept_cards(client, ready):
    client.get("/today/")
    track = first_track(ready)

    Track.objects.filter(pk=track.pk).update(is_hidden=True)
    catalog_changed(reason="test: hidden")  # what the admin's "Hide from recommendations" does

    assert track.name not in titles(client.get("/today/").content.decode())


def test_the_cards_follow_the_language(client, ready):
    client.get("/today/", headers={"Accept-Language": "en"})

    korean = client.get("/today/", headers={"Accept-Language": "ko"}).content.decode()
    english = client.get("/today/", headers={"Accept-Language": "en"}).content.decode()

    assert "내 취향에 맞춰:" in korean and "For your taste:" not in korean
    assert "For your taste:" in english and "내 취향에 맞춰:" not in english


def test_connecting_premium_spotify_switches_the_kept_cards_to_the_sdk(client, listener, ready):
    assert 'data-kind="sdk"' not in client.get("/today/").content.decode()

    spotify_connect(listener, FakeListener(token="token-123"), product="premium")

    assert client.get("/today/").content.decode().count('data-kind="sdk"') == 20


def test_kept_cards_carry_this_sessions_csrf_token(ready, listener, tracks):
    """A new login rotates the CSRF secret: the forms of a page built from kept cards must still be accepted."""
    first = Client(enforce_csrf_checks=True)
    first.force_login(listener)
    first.get("/today/")
    second = Client(enforce_csrf_checks=True)
    second.force_login(listener)

    page = second.get("/today/").content.decode()
    track = first_track(ready)
    card_form = re.search(
        rf'action="/tracks/{track.pk}/react/" data-reaction>\s*<input type="hidden" name="csrfmiddlewaretoken" '
        r'value="([^"]+)"',
        page,
    )
    response = second.post(
        f"/tracks/{track.pk}/react/", {"kind": "like", "csrfmiddlewaretoken": card_form.group(1)},
        headers={"Accept": "application/json"},
    )

    assert "csrf-token-placeholder" not in page
    assert response.status_code == 200


def test_another_listener_never_gets_my_kept_cards(client, listener, ready, django_capture_on_commit_callbacks):
    mine = titles(client.get("/today/").content.decode())
    other = make_listener("other", mood="dark", speed="slow", emotion="depressed")
    client.force_login(other)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/today/loading/")

    theirs = titles(client.get("/today/").content.decode())

    assert theirs and theirs != mine
    assert theirs[0] == first_track(TodayList.objects.get(user=other)).name


def test_a_page_from_kept_cards_costs_three_queries(client, ready, django_assert_num_queries):
    client.get("/today/")

    # The session, the user, and one query for the list and what its cards depend on; the page is in the cache.
    with django_assert_num_queries(3):
        response = client.get("/today/")

    assert response.status_code == 200 and len(titles(response.content.decode())) == 20


def test_a_message_shows_once_and_never_sticks_to_the_kept_page(client, ready):
    client.get("/today/")
    track = first_track(ready)

    with_message = client.post(f"/tracks/{track.pk}/react/", {"kind": "like"}, follow=True).content.decode()
    after = client.get("/today/").content.decode()

    assert f"Liked “{track.name}”" in with_message
    assert f"Liked “{track.name}”" not in after and after.count('class="react like" aria-pressed="true"') == 1


def test_the_kept_page_follows_the_listeners_name(client, listener, ready):
    client.get("/today/")

    User.objects.filter(pk=listener.pk).update(first_name="Minji")

    assert ">Minji</a>" in client.get("/today/").content.decode()
