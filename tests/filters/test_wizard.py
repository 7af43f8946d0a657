"""The taste wizard: favourite songs (search or suggestions), mood, speed, emotion; saved per listener."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from filters.models import SuggestedTrack, TasteProfile
from recommendations.models import TodayList
from tests.factories import AlbumFactory, ArtistFactory, PlaylistFactory, TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(client) -> User:
    user = User.objects.create_user("listener", password="pw")
    client.force_login(user)
    return user


@pytest.fixture
def songs() -> dict:
    iu = ArtistFactory(name="IU")
    band = ArtistFactory(name="Hyukoh")
    return {
        "palette": TrackFactory(name="Palette", artists=[iu], popularity=80),
        "blueming": TrackFactory(name="Blueming", artists=[iu], popularity=90),
        "tomboy": TrackFactory(name="Tomboy", artists=[band], popularity=60),
        "love_poem": TrackFactory(name="Love poem", artists=[iu], popularity=70),
        "hidden": TrackFactory(name="Palette (hidden)", artists=[iu], is_hidden=True),
    }


def taste(user: User) -> TasteProfile:
    return TasteProfile.objects.get(user=user)


def test_the_wizard_needs_a_login(client):
    for url in ("/taste/", "/taste/mood/", "/taste/speed/", "/taste/emotion/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/taste/search/", {"q": "iu"}).status_code == 401


def test_first_step_shows_progress_search_and_a_skip(client, listener):
    page = client.get("/taste/").content.decode()

    assert "Step 1 of 4" in page and 'aria-current="step"' in page
    assert 'data-search-url="/taste/search/"' in page and "js/track_search.js" in page
    assert "Skip for now" in page


def test_search_without_javascript_lists_matching_songs(client, listener, songs):
    page = client.get("/taste/", {"q": "pal"}).content.decode()

    results = page.split('id="search-results"')[1].split("</section>")[0]
    assert "Palette" in results and f'name="add" value="{songs["palette"].pk}"' in results
    assert "Palette (hidden)" not in page and "Tomboy" not in results
    assert f"IU · {songs['palette'].album.name} · 2022" in results  # artist, album and year tell songs apart


def test_search_endpoint_matches_titles_and_artists_titles_first(client, listener, songs):
    found = client.get("/taste/search/", {"q": "iu"}).json()

    assert [track["name"] for track in found["results"]] == ["Blueming", "Palette", "Love poem"]  # by popularity
    assert found["results"][0] == {
        "id": songs["blueming"].pk,
        "name": "Blueming",
        "artists": ["IU"],
        "album": songs["blueming"].album.name,
        "image_url": "",
        "year": 2022,
    }
    assert [t["name"] for t in client.get("/taste/search/", {"q": "to"}).json()["results"]] == ["Tomboy"]


def test_search_endpoint_ignores_too_short_queries_and_is_bounded(
    client, listener, songs, django_assert_max_num_queries
):
    assert client.get("/taste/search/", {"q": "p"}).json()["results"] == []
    for n in range(15):
        TrackFactory(name=f"Palette cover {n}", artists=[ArtistFactory()])
    client.get("/taste/search/", {"q": "blue"})  # the catalog's names are read once per change, then cached

    with django_assert_max_num_queries(5):  # session, user, the cache check, the tracks, their credits
        found = client.get("/taste/search/", {"q": "palette"}).json()

    assert len(found["results"]) == 10 and found["results"][0]["name"] == "Palette"


def test_suggestions_show_active_ones_in_order_with_album_art(client, listener, songs):
    album = AlbumFactory(name="Lilac", image_url="https://i.scdn.co/image/lilac")
    lilac = TrackFactory(name="Lilac", album=album, artists=[album.artist])
    SuggestedTrack.objects.create(track=songs["tomboy"], position=2)
    SuggestedTrack.objects.create(track=lilac, position=1)
    SuggestedTrack.objects.create(track=songs["palette"], position=0, is_active=False)
    SuggestedTrack.objects.create(track=songs["hidden"], position=0)

    page = client.get("/taste/").content.decode()

    section = page.split('id="suggestions-heading"')[1]
    assert section.index("Lilac") < section.index("Tomboy")
    assert "Palette" not in section
    assert '<img class="art" src="https://i.scdn.co/image/lilac"' in section


def test_choosing_and_removing_favourites(client, listener, songs):
    response = client.post("/taste/", {"add": songs["palette"].pk}, follow=True)

    assert list(taste(listener).favourite_tracks.all()) == [songs["palette"]]
    page = response.content.decode()
    assert "Added “Palette” to your favourites." in page and "Your favourite (1 of 3)" in page and "Next" in page
    client.post("/taste/", {"add": songs["palette"].pk})  # twice is once
    assert taste(listener).favourite_tracks.count() == 1

    client.post("/taste/", {"remove": songs["palette"].pk})

    assert taste(listener).favourite_tracks.count() == 0


def test_at_most_three_favourites(client, listener, songs):
    for name in ("palette", "blueming", "tomboy"):
        client.post("/taste/", {"add": songs[name].pk})

    page = client.post("/taste/", {"add": songs["love_poem"].pk}, follow=True).content.decode()

    assert "You can pick up to 3 songs. Remove one first." in page
    assert taste(listener).favourite_tracks.count() == 3


def test_hidden_or_unknown_songs_cannot_be_chosen(client, listener, songs):
    assert client.post("/taste/", {"add": songs["hidden"].pk}).status_code == 404
    assert client.post("/taste/", {"add": 999_999}).status_code == 404


def test_skipping_the_song_goes_to_mood(client, listener):
    assert client.post("/taste/", {"next": "1"})["Location"] == "/taste/mood/"


def test_choice_steps_are_picture_buttons_with_back_links(client, listener):
    page = client.get("/taste/speed/").content.decode()

    assert "Step 3 of 4" in page and "How fast should the songs be?" in page
    for value in ("slow", "fast"):
        assert f'<input type="radio" name="choice" id="choice-{value}" value="{value}" required>' in page
        assert f'/static/img/wizard/{value}.svg' in page
    assert '<legend><h1>' in page
    assert 'href="/taste/mood/"' in page and "Back" in page


def test_walking_the_wizard_saves_each_step_and_ends_on_the_loading_screen(client, listener, songs):
    client.post("/taste/", {"add": songs["palette"].pk})
    assert client.post("/taste/mood/", {"choice": "dark"})["Location"] == "/taste/speed/"
    assert client.post("/taste/speed/", {"choice": "slow"})["Location"] == "/taste/emotion/"
    assert taste(listener).completed_at is None

    response = client.post("/taste/emotion/", {"choice": "depressed"})

    assert response["Location"] == "/today/loading/"
    saved = taste(listener)
    assert (saved.mood, saved.speed, saved.emotion) == ("dark", "slow", "depressed")
    assert saved.completed_at is not None


def test_revisiting_a_step_shows_the_current_choice(client, listener):
    client.post("/taste/mood/", {"choice": "bright"})

    page = client.get("/taste/mood/").content.decode()

    assert 'id="choice-bright" value="bright" required checked>' in page
    assert 'id="choice-dark" value="dark" required>' in page


def test_an_invalid_choice_is_refused_with_a_message(client, listener):
    response = client.post("/taste/emotion/", {"choice": "furious"})

    assert response.status_code == 400 and "furious" in response.content.decode()
    assert client.post("/taste/emotion/", {}).status_code == 400
    assert not TasteProfile.objects.filter(user=listener, completed_at__isnull=False).exists()


def test_start_over_clears_the_choices(client, listener, songs):
    client.post("/taste/", {"add": songs["palette"].pk})
    client.post("/taste/mood/", {"choice": "bright"})

    response = client.post("/taste/reset/", follow=True)

    saved = taste(listener)
    assert saved.mood == "" and saved.favourite_tracks.count() == 0
    assert response.redirect_chain[-1][0] == "/taste/" and "start again" in response.content.decode()
    assert client.get("/taste/reset/").status_code == 405


def test_tastes_are_per_listener(client, listener, songs):
    client.post("/taste/mood/", {"choice": "bright"})
    client.post("/taste/", {"add": songs["palette"].pk})
    other = User.objects.create_user("other", password="pw")
    client.force_login(other)

    page = client.get("/taste/mood/").content.decode()

    assert "checked" not in page
    assert "Your favourites" not in client.get("/taste/").content.decode()
    assert taste(listener).mood == "bright"


def test_changing_the_taste_after_todays_list_makes_a_new_list(client, listener, songs):
    TasteProfile.objects.create(
        user=listener, mood="bright", speed="fast", emotion="normal", completed_at=timezone.now()
    )
    first = TodayList.objects.create(user=listener, day=timezone.localdate(), status="ready", progress=100)

    client.post("/taste/emotion/", {"choice": "normal"})  # unchanged: today's list stays
    assert list(TodayList.objects.values_list("pk", flat=True)) == [first.pk]

    client.post("/taste/emotion/", {"choice": "excited"})

    assert list(TodayList.objects.order_by("reroll").values_list("reroll", flat=True)) == [0, 1]


def test_wizard_pages_have_a_bounded_query_count(client, listener, songs, django_assert_max_num_queries):
    for position, track in enumerate(songs.values()):
        SuggestedTrack.objects.create(track=track, position=position)
    for name in ("palette", "blueming"):
        client.post("/taste/", {"add": songs[name].pk})
    client.get("/taste/search/", {"q": "iu"})  # caches the catalog's names

    with django_assert_max_num_queries(12):
        assert client.get("/taste/", {"q": "iu"}).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/taste/emotion/").status_code == 200


def test_suggestions_are_curated_in_the_admin(admin_client, songs):
    SuggestedTrack.objects.create(track=songs["palette"], position=1)

    page = admin_client.get("/admin/filters/suggestedtrack/").content.decode()
    assert "Palette" in page and 'name="form-0-position"' in page
    add_page = admin_client.get("/admin/filters/suggestedtrack/add/").content.decode()
    assert "admin-autocomplete" in add_page
    found = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "filters", "model_name": "suggestedtrack", "field_name": "track", "term": "Tomb"},
    ).json()
    tomboy = songs["tomboy"]
    expected = f"Tomboy — Hyukoh — {tomboy.album.name} ({tomboy.album.release_date.year})"
    assert [result["text"] for result in found["results"]] == [expected]  # same titles can be told apart


def test_sign_up_lands_in_the_wizard(client):
    response = client.post(
        "/accounts/signup/", {"username": "newcomer", "password1": "a-long-pass-42", "password2": "a-long-pass-42"}
    )

    assert response.status_code == 302 and response["Location"] == "/taste/"


def test_without_curated_suggestions_step_one_offers_each_genres_most_played_and_newest(client, listener):
    today = timezone.localdate()
    rock, jazz = ArtistFactory(name="Rocker", genres=["rock"]), ArtistFactory(name="Jazzer", genres=["jazz"])
    old_hit = TrackFactory(name="Old Rock Hit", artists=[rock], album=AlbumFactory(release_date=today.replace(2001)))
    TrackFactory(name="Fresh Rock", artists=[rock], album=AlbumFactory(release_date=today))
    standard = TrackFactory(name="Jazz Standard", artists=[jazz], album=AlbumFactory(release_date=today.replace(1990)))
    PlaylistFactory(tracks=[old_hit, standard])
    PlaylistFactory(tracks=[old_hit])

    page = client.get("/taste/").content.decode()

    section = page.split('id="suggestions-heading"')[1]
    assert "Old Rock Hit" in section and "Most played in rock" in section
    assert "Fresh Rock" in section and "Newest in rock" in section
    assert "Jazz Standard" in section and "Most played in jazz" in section


def test_choosing_a_favourite_keeps_the_search_without_javascript(client, listener, songs):
    response = client.post("/taste/", {"add": songs["palette"].pk, "q": "iu"})

    assert response.status_code == 302 and response["Location"] == "/taste/?q=iu"


def test_choosing_a_favourite_from_a_script_answers_with_the_new_favourites(client, listener, songs):
    answer = client.post("/taste/", {"add": songs["palette"].pk}, headers={"accept": "application/json"}).json()

    assert answer["ok"] and answer["favourite_ids"] == [songs["palette"].pk]
    assert "Palette" in answer["html"] and 'name="remove"' in answer["html"]
    assert "Added “Palette”" in answer["message"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("hyukoh", "Tomboy"),  # an artist
        ("palet", "Palette"),  # the start of a title
        ("bluming", "Blueming"),  # a typo
        ("비", "비 오는 날"),  # one Hangul syllable
        ("ㅂㄹ", "바람의 노래"),  # initial consonants
        ("Rainy Album", "비 오는 날"),  # an album
    ],
)
def test_search_finds_artists_albums_typos_and_hangul(client, listener, songs, query, found):
    TrackFactory(name="비 오는 날", album=AlbumFactory(name="Rainy Album"))
    TrackFactory(name="바람의 노래")

    names = [track["name"] for track in client.get("/taste/search/", {"q": query}).json()["results"]]

    assert names and names[0] == found
