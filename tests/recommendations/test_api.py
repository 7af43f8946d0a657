"""The JSON API: answers from the three engines, 4xx (never 500) on bad input, session and token auth."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from recommendations.models import TrackReaction
from recommendations.openapi import openapi_document
from recommendations.services.training import recommender_train
from tests.factories import PlaylistFactory
from tests.recommendations.catalogs import add_situation_playlists, build_small_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]

CONTENT = "/api/v1/recommendations/content"
CLUSTERS = "/api/v1/recommendations/clusters"
SITUATION = "/api/v1/recommendations/situation"
PLAYLIST = "/api/v1/recommendations/playlist"


@pytest.fixture
def catalog():
    tracks = build_small_catalog()
    add_situation_playlists(tracks)
    for engine in ("content", "clusters", "song2vec"):
        recommender_train(engine=engine)
    return tracks


@pytest.fixture
def listener(client) -> User:
    user = User.objects.create_user("listener", password="pw")
    client.force_login(user)
    return user


def titles(response) -> list[str]:
    return [track["title"] for track in response.json()["tracks"]]


def test_content_answers_with_tracks_and_reasons(client, listener, catalog):
    response = client.get(CONTENT, {"track": catalog["hype_boy"].pk, "mood": "bright", "k": 3})

    assert response.status_code == 200
    body = response.json()
    assert body["engine"] == "content" and body["model_version"] == 1
    assert titles(response)[0] in ("Ditto", "Eleven") and len(body["tracks"]) == 3
    first = body["tracks"][0]
    assert first["rank"] == 1 and first["reason"] and set(first["features"]) >= {"energy", "valence"}
    assert "Hype Boy" not in titles(response)


def test_content_never_returns_a_disliked_track(client, listener, catalog):
    before = titles(client.get(CONTENT, {"track": catalog["hype_boy"].pk, "k": 3}))
    disliked = next(track for track in catalog.values() if track.name == before[0])
    TrackReaction.objects.create(user=listener, track=disliked, kind=TrackReaction.Kind.DISLIKE)

    after = titles(client.get(CONTENT, {"track": catalog["hype_boy"].pk, "k": 3}))

    assert before[0] not in after


def test_clusters_accept_track_ids_or_a_catalog_playlist(client, listener, catalog):
    rock = [catalog["rock_1"].pk, catalog["rock_2"].pk]
    by_ids = client.get(CLUSTERS, {"track": f"{rock[0]},{rock[1]}", "k": 4})
    playlist = PlaylistFactory(tracks=[catalog["rock_1"], catalog["rock_2"]])
    by_playlist = client.get(CLUSTERS, {"playlist": playlist.pk, "k": 4})

    assert by_ids.status_code == by_playlist.status_code == 200
    assert titles(by_ids) == titles(by_playlist) and not {"Riff", "Amp"} & set(titles(by_ids))
    clusters = by_ids.json()["clusters"]
    assert sum(cluster["share"] for cluster in clusters) == pytest.approx(1.0)
    assert all(cluster["name"] for cluster in clusters)


def test_situation_reports_the_playlists_it_matched(client, listener, catalog):
    response = client.get(SITUATION, {"q": "music for a rainy drive", "k": 3})

    body = response.json()
    assert response.status_code == 200 and body["fallback"] is False
    assert body["matched_playlists"][0] == "rainy day" and set(titles(response)) == {"Blue", "Smoke", "Debut"}


def test_situation_matching_nothing_falls_back_with_a_message(client, listener, catalog):
    body = client.get(SITUATION, {"q": "qwxz zzvq", "k": 3}).json()

    assert body["fallback"] is True and "qwxz zzvq" in body["message"] and len(body["tracks"]) == 3


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (CONTENT, {"mood": "sunny"}, "mood"),
        (CONTENT, {"k": "0"}, "k"),
        (CONTENT, {"k": "lots"}, "k"),
        (CONTENT, {"speed": ""}, "speed"),  # an empty value is not "slow" or "fast" (leave it out for none)
        (CONTENT, {"k": ""}, "k"),
        (CLUSTERS, {"track": "1", "playlist": ""}, "playlist"),
        (CONTENT, {"track": "12,abc"}, "track"),
        (CONTENT, {"track": "999999"}, "track"),
        (CONTENT, {"track": "²"}, "track"),  # str.isdigit() says yes, int() says no
        (CONTENT, {"track": "9" * 5000}, "track"),  # past int()'s digit limit
        (CONTENT, {"track": "99999999999999999999999"}, "track"),  # past SQLite's 64-bit integers
        (SITUATION, {"q": "rain", "track": "12,²"}, "track"),
        (CLUSTERS, {}, "query"),
        (SITUATION, {}, "q"),
        (SITUATION, {"q": "x" * 201}, "q"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(client, listener, catalog, url, params, field):
    response = client.get(url, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_playlist_is_a_404(client, listener, catalog):
    response = client.get(CLUSTERS, {"playlist": 987654})

    assert response.status_code == 404 and "987654" in response.json()["error"]


def test_untrained_model_is_a_503_saying_what_to_run(client, listener):
    response = client.get(CONTENT, {"mood": "dark"})

    assert response.status_code == 503 and "train_recommenders" in response.json()["error"]


def test_only_get_is_allowed(client, listener, catalog):
    assert client.post(CONTENT).status_code == 405


def test_anonymous_requests_are_refused(client, catalog):
    response = client.get(CONTENT)

    assert response.status_code == 401 and "log in" in response.json()["error"]


def test_a_token_authenticates_without_a_session(client, catalog):
    from accounts.services import api_token_create

    user = User.objects.create_user("script")
    key = api_token_create(user=user)

    ok = client.get(CONTENT, {"mood": "dark", "k": 2}, headers={"Authorization": f"Bearer {key}"})
    wrong = client.get(CONTENT, headers={"Authorization": "Bearer not-a-token"})
    malformed = client.get(CONTENT, headers={"Authorization": "Basic abc"})

    assert ok.status_code == 200 and len(ok.json()["tracks"]) == 2
    assert wrong.status_code == malformed.status_code == 401


def test_listeners_dislikes_stay_their_own(client, catalog):
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    client.force_login(alice)
    first = titles(client.get(CONTENT, {"track": catalog["hype_boy"].pk, "k": 3}))[0]
    disliked = next(track for track in catalog.values() if track.name == first)
    TrackReaction.objects.create(user=alice, track=disliked, kind=TrackReaction.Kind.DISLIKE)
    client.force_login(bob)

    assert titles(client.get(CONTENT, {"track": catalog["hype_boy"].pk, "k": 3}))[0] == first


def test_openapi_document_describes_every_endpoint_and_parameter(client):
    response = client.get("/api/openapi.json")

    document = response.json()
    assert response.status_code == 200 and document["openapi"].startswith("3.")
    assert set(document["paths"]) == {CONTENT, CLUSTERS, PLAYLIST, SITUATION}
    content = document["paths"][CONTENT]["get"]
    mood = next(p for p in content["parameters"] if p["name"] == "mood")
    assert mood["schema"]["enum"] == ["bright", "dark"]
    assert {"200", "400", "401", "503"} <= set(content["responses"])
    assert document == openapi_document(server_url=document["servers"][0]["url"])


def test_api_docs_page_lists_the_endpoints(client):
    response = client.get("/api/")

    assert response.status_code == 200
    for path in (CONTENT, CLUSTERS, PLAYLIST, SITUATION):
        assert path in response.content.decode()


def test_playlist_picks_come_from_the_blend_with_a_signal_per_track(client, listener, catalog):
    for engine in ("cf", "terms", "blend"):
        recommender_train(engine=engine)
    workout = PlaylistFactory(name="my workout", tracks=[catalog["rock_1"]])

    body = client.get(PLAYLIST, {"playlist": workout.pk, "k": 3}).json()

    assert body["engine"] == "blend" and body["ranker"] == "fixed" and "fixed weights" in body["ranker_message"]
    assert "Riff" not in titles_of(body) and len(body["tracks"]) == 3
    assert all(track["signal"] in ("cooccurrence", "song2vec", "cf", "terms", "popularity") for track in body["tracks"])
    assert body["clusters"]  # the playlist's sound clusters still come along
    situation = client.get(SITUATION, {"q": "workout", "k": 3}).json()
    assert situation["engine"] == "blend" and situation["tracks"][0]["signal"]


def test_playlist_picks_without_a_blend_come_from_the_clusters(client, listener, catalog):
    body = client.get(PLAYLIST, {"track": [catalog["rock_1"].pk, catalog["rock_2"].pk], "title": "gym", "k": 3}).json()

    assert body["engine"] == "clusters" and len(body["tracks"]) == 3
    assert all(track["signal"] is None for track in body["tracks"])


def titles_of(body) -> list[str]:
    return [track["title"] for track in body["tracks"]]


def test_reasons_come_as_kind_values_and_text_in_the_requests_language(client, listener, catalog):
    english = client.get(CONTENT, {"track": catalog["hype_boy"].pk, "k": 1}, headers={"accept-language": "en"})
    korean = client.get(CONTENT, {"track": catalog["hype_boy"].pk, "k": 1}, headers={"accept-language": "ko"})

    en_parts, ko_parts = english.json()["tracks"][0]["reasons"], korean.json()["tracks"][0]["reasons"]
    assert [(p["kind"], p["values"]) for p in en_parts] == [(p["kind"], p["values"]) for p in ko_parts]
    assert en_parts[0]["kind"] == "same_genres"
    assert en_parts[0]["values"]["favourite"] == {"title": "Hype Boy", "artist": "NewJeans"}
    assert en_parts[0]["text"].startswith("same genres as “Hype Boy” by NewJeans")
    assert ko_parts[0]["text"].startswith("NewJeans의 “Hype Boy”처럼")
    assert korean.json()["tracks"][0]["reason"] == "; ".join(part["text"] for part in ko_parts)


def test_the_api_page_reads_in_korean(client):
    page = client.get("/api/", headers={"accept-language": "ko"}).content.decode()

    assert "추천 곡, 잘 맞는 순서대로." in page and "몇 곡을 받을지" in page
    assert "The recommendations, best first." not in page and "How many songs" not in page
