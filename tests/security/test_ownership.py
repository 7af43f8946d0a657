"""One listener can neither read nor change another's taste, reactions, lists, tokens or playlists: every URL and
form that carries an id is tried with someone else's id."""
from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import ApiToken
from accounts.services import api_token_user
from filters.models import TasteProfile
from ingestion.models import Track
from recommendations.models import TodayList, TrackReaction

pytestmark = pytest.mark.django_db

# Every site URL whose path carries an id (admin and allauth's own, keyed by the session, are not listeners' data).
ID_URLS_CHECKED_HERE = {
    "tracks/<int:track_id>/react/": "test_reacting_to_a_track_changes_only_your_own_reactions",
    "accounts/profile/api-tokens/<int:token_id>/revoke/": "test_nobody_can_revoke_someone_elses_api_token",
    # A song's audio is the catalog's, not a listener's: anyone who may see the song may hear it, nobody a hidden one.
    "tracks/<int:track_id>/audio/": "test_a_songs_audio_plays_for_anyone_who_can_see_it_and_never_when_hidden",
}


def site_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str]]:
    """(route, module of the view) for every URL pattern, admin's included."""
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += site_routes(entry, route)
        elif isinstance(entry, URLPattern):
            routes.append((route, getattr(entry.callback, "__module__", "")))
    return routes


def test_every_url_with_an_id_is_checked_for_ownership():
    with_ids = {
        route
        for route, module in site_routes()
        if "<" in route and not route.startswith("admin/") and not module.startswith("allauth")
        and not re.search(r"\(\?P<", route)
    }
    assert with_ids == set(ID_URLS_CHECKED_HERE), "a new URL carries an id: add a test that another listener's fails"


def test_nobody_can_revoke_someone_elses_api_token(alice, bob):
    token = ApiToken.objects.get(user=alice.user)

    response = bob.client.post(f"/accounts/profile/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert ApiToken.objects.filter(pk=token.pk).exists() and api_token_user(key=alice.token_key) == alice.user


def test_the_profile_lists_only_your_own_tokens(alice, bob):
    page = bob.client.get("/accounts/profile/").content.decode()

    assert "bob&#x27;s script" in page and "alice" not in page
    assert ApiToken.objects.get(user=alice.user).prefix not in page


def test_reacting_to_a_track_changes_only_your_own_reactions(alice, bob, tracks):
    alice_reactions = set(TrackReaction.objects.filter(user=alice.user).values_list("track_id", "kind"))

    for kind in ("clear", "like", "dislike", "clear"):
        for track in tracks[:2]:
            bob.client.post(f"/tracks/{track.pk}/react/", {"kind": kind})

    assert set(TrackReaction.objects.filter(user=alice.user).values_list("track_id", "kind")) == alice_reactions


def test_the_undo_line_never_shows_someone_elses_dislike(alice, bob, tracks):
    alice_disliked = tracks[1]

    response = bob.client.get(f"/today/?removed={alice_disliked.pk}")
    page = response.content.decode()

    # Each card carries its own "… is gone" sentence for reactions.js; the server's Undo line is the status block.
    assert response.status_code == 200 and "data-reaction" in page
    assert 'class="message undo"' not in page and "data-undo-form" not in page
    assert f'action="/tracks/{alice_disliked.pk}/react/" data-undo-form' not in page


def test_a_songs_audio_plays_for_anyone_who_can_see_it_and_never_when_hidden(alice, bob, tracks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    shown, hidden = tracks[0], tracks[1]
    for track in (shown, hidden):
        track.audio_file.save(f"{track.pk}.wav", ContentFile(b"RIFF" + bytes(40)), save=True)
    Track.objects.filter(pk=hidden.pk).update(is_hidden=True)

    heard_by_bob = bob.client.get(f"/tracks/{shown.pk}/audio/")
    heard_signed_out = Client().get(f"/tracks/{shown.pk}/audio/")

    assert heard_by_bob.status_code == 200 and b"".join(heard_by_bob.streaming_content).startswith(b"RIFF")
    assert heard_signed_out.status_code == 200
    for client in (alice.client, bob.client, Client()):
        assert client.get(f"/tracks/{hidden.pk}/audio/").status_code == 404
    assert bob.client.get(f"/tracks/{tracks[-1].pk + 1000}/audio/").status_code == 404


def test_today_and_its_status_show_only_your_own_list(alice, bob):
    alice_list = TodayList.objects.get(user=alice.user)
    bob_list = TodayList.objects.get(user=bob.user)
    alice_only = set(alice_list.entries.values_list("track__name", flat=True)) - set(
        bob_list.entries.values_list("track__name", flat=True)
    )

    page = bob.client.get("/today/").content.decode()
    status = bob.client.get("/today/status/").json()
    bob.client.post("/today/reroll/")

    assert status["status"] == "ready"
    assert alice_only and not any(f">{name}" in page for name in alice_only)
    assert TodayList.objects.filter(user=alice.user).count() == 1  # Bob's reroll made Bob a list, not Alice


def test_the_taste_wizard_reads_and_changes_only_your_own_taste(alice, bob, tracks):
    alice_favourite = tracks[2]

    page = bob.client.get("/taste/").content.decode()
    bob.client.post("/taste/", {"remove": alice_favourite.pk})
    bob.client.post("/taste/mood/", {"choice": "dark"})
    bob.client.post("/taste/reset/")

    alice_taste = TasteProfile.objects.get(user=alice.user)
    assert alice_favourite.name not in page
    assert list(alice_taste.favourite_tracks.all()) == [alice_favourite] and alice_taste.mood == "bright"


def test_playlist_picks_from_liked_songs_use_your_own_likes(alice, bob, tracks):
    response = bob.client.get("/picks/", {"source": "liked"})

    chosen = response.context["chosen"]
    assert chosen.track_ids == [tracks[10].pk]  # Bob's like, not Alice's tracks[0]


def test_the_api_uses_the_token_owners_dislikes(alice, bob, tracks):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bob.token_key}"}
    answer = bob.client.get("/api/v1/recommendations/content?k=40&mood=bright", **headers).json()

    ids = {track["id"] for track in answer["tracks"]}
    assert tracks[11].pk not in ids  # Bob's dislike is left out…
    assert tracks[1].pk in ids  # …and Alice's is not (it is Alice's taste, not Bob's)


def test_saving_to_spotify_acts_only_for_the_session_user(alice, bob):
    response = bob.client.post("/today/save-playlist/", follow=True)

    assert "Spotify" in response.content.decode()  # Bob has no Spotify login: told so, nothing saved for Alice
    assert "today_playlist_url" not in alice.client.session
