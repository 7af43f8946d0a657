"""The loading screen and today's songs as a listener sees them: moves on by itself, likes, dislikes, rerolls,
playback, bounded queries and nobody else's list."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from ingestion.models import Track
from recommendations.models import TodayList, TrackReaction
from tests.fake_spotify import FakeListener
from tests.fake_spotify.helpers import spotify_connect
from tests.filters.catalog import build_listener_catalog, train_recommenders
from tests.recommendations.today_pages import make_listener, titles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]


def test_pages_need_a_login(client):
    for url in ("/today/", "/today/loading/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/today/status/").status_code == 401


def test_without_a_taste_the_listener_is_sent_to_the_wizard(client, tracks):
    user = User.objects.create_user("new", password="pw")
    client.force_login(user)

    for url in ("/today/", "/today/loading/"):
        assert client.get(url)["Location"] == "/taste/"
    assert not TodayList.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_loading_moves_on_at_once_when_tasks_run_in_process(client, listener, tracks):
    response = client.get("/today/loading/")

    assert response.status_code == 302 and response["Location"] == "/today/"
    assert TodayList.objects.get(user=listener).status == "ready"


def test_loading_shows_progress_and_refreshes_itself_while_waiting(client, listener, tracks):
    response = client.get("/today/loading/")  # on_commit callbacks are not run: the task waits

    page = response.content.decode()
    assert response.status_code == 200
    assert '<progress id="today-progress" max="100" value="0">' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "js/today_loading.js" in page
    assert client.get("/today/status/").json() == {"status": "pending", "progress": 0, "error": "", "next": ""}
    assert client.get("/today/")["Location"] == "/today/loading/"


def test_status_says_where_to_go_when_ready(client, ready):
    assert client.get("/today/status/").json() == {"status": "ready", "progress": 100, "error": "", "next": "/today/"}


def test_loading_without_a_model_shows_the_message_and_a_retry(
    client, listener, db, django_capture_on_commit_callbacks
):
    build_listener_catalog(size=30)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/today/loading/")

    page = client.get("/today/loading/").content.decode()

    assert "We could not pick your songs" in page and "manage.py train_recommenders" in page
    assert '<button type="submit" class="primary">Try again</button>' in page
    assert "http-equiv" not in page
    assert "train_recommenders" in client.get("/today/status/").json()["error"]
    train_recommenders()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/today/loading/")["Location"] == "/today/loading/"
    assert client.get("/today/loading/")["Location"] == "/today/"


def test_today_shows_each_song_with_art_duration_chart_reason_and_player(client, ready, tracks):
    Track.objects.filter(pk=ready.entries.first().track_id).update(spotify_id=None)

    page = client.get("/today/").content.decode()

    assert len(titles(page)) == 20
    first = ready.entries.order_by("position").select_related("track__album").first()
    assert first.track.name in page and first.reason in page
    assert 'class="art art-placeholder"' in page
    assert "3:20" in page  # 200,000 ms
    assert '<figure class="feature-chart">' in page and "danceable" in page
    # Spotify songs get the embed player on request (a link to Spotify without JavaScript), never a blank frame.
    assert page.count('data-kind="embed"') == 19 and page.count('href="https://open.spotify.com/track/') == 19
    assert "<iframe" not in page
    assert "No preview of this song is available, here or on Spotify." in page
    assert 'data-sdk=""' in page
    assert "badge-new" in page


def test_today_marks_estimated_and_missing_features(client, ready):
    estimated, missing = [entry.track for entry in ready.entries.order_by("position")[:2]]
    Track.objects.filter(pk=estimated.pk).update(features_source=Track.FeatureSource.ESTIMATED)
    Track.objects.filter(pk=missing.pk).update(
        features_source=Track.FeatureSource.MISSING, danceability=None, energy=None, valence=None, tempo=None,
        acousticness=None,
    )

    page = client.get("/today/").content.decode()

    assert '<em class="badge">estimated</em>' in page
    assert "No audio features known." in page


def test_today_marks_features_measured_from_the_audio_in_english_and_korean(client, ready):
    analysed = ready.entries.order_by("position").first().track
    Track.objects.filter(pk=analysed.pk).update(features_source=Track.FeatureSource.ANALYSED)

    page = client.get("/today/").content.decode()
    assert ">from the audio</em>" in page and "not given by Spotify" in page
    korean = client.get("/today/", headers={"accept-language": "ko"}).content.decode()
    assert ">음원 분석</em>" in korean and "from the audio" not in korean


def test_album_art_is_shown_when_the_album_has_one(client, ready):
    album = ready.entries.first().track.album
    album.image_url = "https://i.scdn.co/image/cover"
    album.save()

    assert '<img class="art" src="https://i.scdn.co/image/cover"' in client.get("/today/").content.decode()


def test_dislike_removes_the_song_offers_undo_and_it_never_comes_back(
    client, listener, ready, django_capture_on_commit_callbacks
):
    track = ready.entries.order_by("position").first().track

    response = client.post(f"/tracks/{track.pk}/react/", {"kind": "dislike"})

    assert response["Location"] == f"/today/?removed={track.pk}"
    page = client.get(response["Location"]).content.decode()
    assert track.name not in titles(page) and len(titles(page)) == 19
    assert f"“{track.name}” is gone and won't come back." in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/today/reroll/")["Location"] == "/today/loading/"
    assert client.get("/today/loading/")["Location"] == "/today/"
    assert track.name not in titles(client.get("/today/").content.decode())


def test_undo_brings_a_disliked_song_back(client, ready):
    track = ready.entries.order_by("position").first().track
    client.post(f"/tracks/{track.pk}/react/", {"kind": "dislike"})

    client.post(f"/tracks/{track.pk}/react/", {"kind": "clear"})

    assert track.name in titles(client.get("/today/").content.decode())


def test_like_is_shown_pressed_and_feeds_the_next_list(client, listener, ready, django_capture_on_commit_callbacks):
    track = ready.entries.order_by("position").first().track

    response = client.post(f"/tracks/{track.pk}/react/", {"kind": "like"}, follow=True)

    page = response.content.decode()
    assert f"Liked “{track.name}”" in page
    assert page.count('class="react like" aria-pressed="true"') == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/today/reroll/")
    page = client.get("/today/").content.decode()
    assert "Because of songs you liked:" in page


def test_reactions_answer_json_to_scripts(client, listener, ready):
    track = ready.entries.first().track

    response = client.post(f"/tracks/{track.pk}/react/", {"kind": "like"}, headers={"Accept": "application/json"})

    assert response.json() == {"track": track.pk, "kind": "like"}
    assert client.post(f"/tracks/{track.pk}/react/", {"kind": "adore"}).status_code == 400
    assert client.get(f"/tracks/{track.pk}/react/").status_code == 405


def test_reaction_redirects_only_to_this_site(client, ready):
    track = ready.entries.first().track

    response = client.post(f"/tracks/{track.pk}/react/", {"kind": "like", "next": "https://evil.example/"})

    assert response["Location"] == f"/today/#track-{track.pk}"


def test_reroll_shows_a_different_list(client, ready, django_capture_on_commit_callbacks):
    before = titles(client.get("/today/").content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/today/reroll/")
    after_page = client.get("/today/").content.decode()

    assert len(titles(after_page)) == 20 and set(titles(after_page)) != set(before)
    assert "list 2 of the day" in after_page


def test_reroll_needs_a_post(client, ready):
    assert client.get("/today/reroll/").status_code == 405


def test_another_listeners_list_and_reactions_never_show(client, listener, ready, django_capture_on_commit_callbacks):
    mine = titles(client.get("/today/").content.decode())
    other = make_listener("other", mood="dark", speed="slow", emotion="depressed")
    client.force_login(other)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/today/loading/")
    theirs_track = TodayList.objects.get(user=other).entries.first().track
    client.post(f"/tracks/{theirs_track.pk}/react/", {"kind": "like"})
    client.post(f"/tracks/{TodayList.objects.get(user=other).entries.last().track_id}/react/", {"kind": "dislike"})

    client.force_login(listener)
    page = client.get("/today/").content.decode()

    assert titles(page) == mine
    assert 'class="react like" aria-pressed="true"' not in page
    assert TrackReaction.objects.filter(user=listener).count() == 0


def test_today_page_query_count_is_bounded(client, ready, django_assert_max_num_queries):
    for entry in ready.entries.all()[:5]:
        TrackReaction.objects.create(user=ready.user, track=entry.track, kind="like")

    with django_assert_max_num_queries(10):
        response = client.get("/today/")

    assert response.status_code == 200


def test_save_as_playlist_without_spotify_says_so(client, ready):
    response = client.post("/today/save-playlist/", follow=True)

    page = response.content.decode()
    assert "Log in with Spotify to save playlists" in page or "None of these songs is on Spotify" in page


def test_premium_listeners_get_the_web_playback_sdk(client, ready, listener):
    spotify_connect(listener, FakeListener(token="token-123"), product="premium")  # a fresh token: no request

    page = client.get("/today/").content.decode()

    assert 'data-sdk="1"' in page  # the player script loads the SDK
    assert 'data-action="toggle"' in page and page.count('data-kind="sdk"') == 20
    assert page.count('data-spotify-uri="spotify:track:') == 20
    assert "token-123" not in page  # fetched by the script from the token endpoint, never in the page
    assert "<iframe" not in page
    assert client.get("/today/player-token/").json() == {"access_token": "token-123"}


def test_listeners_without_premium_get_the_embed_player(client, ready, listener):
    spotify_connect(listener, FakeListener(token="token-123"), product="free")

    page = client.get("/today/").content.decode()

    assert 'data-sdk=""' in page and page.count('data-kind="embed"') == 20


@pytest.mark.parametrize("removed", ["²", "9" * 5000, "99999999999999999999999", "abc"])
def test_an_odd_removed_parameter_is_ignored_not_an_error(client, ready, removed):
    response = client.get("/today/", {"removed": removed})

    assert response.status_code == 200 and 'class="message undo"' not in response.content.decode()
