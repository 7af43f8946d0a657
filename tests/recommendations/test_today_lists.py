"""Lists a person would keep (issue 9): new releases first and counted, nothing the listener has, two songs per
artist, reasons that differ and name something, matched playlists named once."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone, translation

from recommendations.engines import ReasonKind, reason_parts_from_json
from recommendations.reasons import new_releases_text, stored_reason_text
from recommendations.services.lists import MAX_PER_ARTIST
from recommendations.services.recommending import recommend_situation
from recommendations.services.today import reaction_set, today_items, today_new_releases
from recommendations.services.training import recommender_train
from tests.factories import AlbumFactory, PlaylistFactory, TrackFactory
from tests.filters.catalog import build_listener_catalog, train_recommenders
from tests.recommendations.catalogs import add_situation_playlists, build_small_catalog
from tests.recommendations.test_today_service import make_listener, request_list, track_ids

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]


@pytest.fixture
def tracks():
    return build_listener_catalog()


def copy_of(track, **changes):
    """Another catalog id for the same song (a single and its album version): same title, artist and sound."""
    features = {name: getattr(track, name) for name in ("danceability", "energy", "valence", "acousticness", "tempo")}
    album = AlbumFactory(artist=track.album.artist, release_date=timezone.localdate() - dt.timedelta(days=3))
    fields = {"name": track.name, **features, **changes}
    return TrackFactory(album=album, artists=list(track.artists.all()), **fields)


def test_new_releases_come_first_and_the_page_says_how_many(tracks, client, django_capture_on_commit_callbacks):
    train_recommenders()
    user = make_listener(favourites=[tracks[1]])
    today_list = request_list(user, django_capture_on_commit_callbacks)
    items = today_items(today_list=today_list, user=user)
    new = sum(item.is_new for item in items)

    client.force_login(user)
    page = client.get("/today/").content.decode()

    assert new > 0 and [item.is_new for item in items] == [True] * new + [False] * (len(items) - new)
    expected = f"{new} new releases, first on the list." if new > 1 else "1 new release, first on the list."
    assert expected in page


def test_few_new_releases_are_explained(tracks, django_capture_on_commit_callbacks):
    old = timezone.localdate() - dt.timedelta(days=400)
    for track in tracks[2:]:  # two new releases at most are left
        track.album.release_date = old
        track.album.save()
    train_recommenders()
    user = make_listener(favourites=[tracks[40]])
    today_list = request_list(user, django_capture_on_commit_callbacks)

    summary = today_new_releases(today_list=today_list, items=today_items(today_list=today_list, user=user))

    catalog_new = sum(1 for track in tracks[:2] if (timezone.localdate() - track.album.release_date).days <= 90)
    assert summary["few"] and summary["catalog_new"] == catalog_new and summary["new"] <= catalog_new
    with translation.override("en"):
        text = new_releases_text(summary)
    with translation.override("ko"):
        korean = new_releases_text(summary)
    assert "released in the last 90 days" in text or "your taste" in text or "came out" in text
    assert "90" in korean or "취향" in korean


@pytest.mark.parametrize(
    ("summary", "english", "korean"),
    [
        ({"new": 12, "songs": 20, "catalog_new": 40, "days": 90, "few": False},
         "12 new releases, first on the list.", "신곡 12곡을 맨 앞에 두었습니다."),
        ({"new": 2, "songs": 20, "catalog_new": 40, "days": 90, "few": True},
         "2 new releases, first on the list. Only 2 of the catalog's 40 new releases match your taste.",
         "신곡 2곡을 맨 앞에 두었습니다. 카탈로그의 신곡 40곡 중 취향에 맞는 곡은 2곡뿐입니다."),
        ({"new": 2, "songs": 20, "catalog_new": 2, "days": 90, "few": True},
         "2 new releases, first on the list. The catalog has only 2 songs released in the last 90 days.",
         "신곡 2곡을 맨 앞에 두었습니다. 카탈로그에는 최근 90일 동안 나온 곡이 2곡뿐입니다."),
        ({"new": 0, "songs": 20, "catalog_new": 0, "days": 90, "few": True},
         "No new releases on this list. No song in the catalog came out in the last 90 days.",
         "이 목록에는 신곡이 없습니다. 카탈로그에 최근 90일 동안 나온 곡이 없습니다."),
        ({"new": 0, "songs": 20, "catalog_new": 7, "days": 90, "few": True},
         "No new releases on this list. None of the catalog's 7 new releases matches your taste yet.",
         "이 목록에는 신곡이 없습니다. 카탈로그의 신곡 7곡 중 아직 취향에 맞는 곡이 없습니다."),
    ],
)  # fmt: skip
def test_the_new_release_line_in_both_languages(summary, english, korean):
    with translation.override("en"):
        assert new_releases_text(summary) == english
    with translation.override("ko"):
        assert new_releases_text(summary) == korean


def test_no_favourite_or_liked_song_comes_back_even_under_another_id(tracks, django_capture_on_commit_callbacks):
    favourite, liked = tracks[1], tracks[2]
    favourite_copy, liked_copy = copy_of(favourite), copy_of(liked)
    train_recommenders()
    user = make_listener(favourites=[favourite])
    reaction_set(user=user, track=liked, kind="like")

    shown = set(track_ids(request_list(user, django_capture_on_commit_callbacks)))
    for _ in range(3):
        shown |= set(track_ids(request_list(user, django_capture_on_commit_callbacks, reroll=True)))

    assert not {favourite.pk, liked.pk, favourite_copy.pk, liked_copy.pk} & shown


def test_at_most_two_songs_per_artist(tracks, django_capture_on_commit_callbacks):
    favourite = tracks[1]
    # Six near-copies of the favourite's sound by its own artist: without the rule they would fill the top.
    look_alikes = [copy_of(favourite, name=f"Look-alike {n}", energy=favourite.energy) for n in range(6)]
    train_recommenders()
    user = make_listener(favourites=[favourite])

    today_list = request_list(user, django_capture_on_commit_callbacks)
    items = today_items(today_list=today_list, user=user)

    per_artist = Counter(credit.artist_id for item in items for credit in item.track.credits.all())
    assert max(per_artist.values()) <= MAX_PER_ARTIST
    assert len({item.track.pk for item in items} & {track.pk for track in look_alikes}) <= MAX_PER_ARTIST
    assert len(items) == 20


def test_reasons_differ_and_name_a_song_the_listener_has(tracks, django_capture_on_commit_callbacks):
    train_recommenders()
    user = make_listener(favourites=[tracks[1], tracks[5]])
    for track in tracks[10:13]:
        reaction_set(user=user, track=track, kind="like")

    today_list = request_list(user, django_capture_on_commit_callbacks)
    entries = list(today_list.entries.order_by("position"))
    with translation.override("en"):
        texts = [stored_reason_text(entry.reason_data) for entry in entries]

    assert max(Counter(texts).values()) <= 2, texts
    liked_titles = {track.name for track in tracks[10:13]}
    for entry, text in zip(entries, texts, strict=True):
        parts = reason_parts_from_json(entry.reason_data)
        if entry.engine == "clusters":  # from the liked songs: names the liked song it sounds most like
            assert parts[0].kind == ReasonKind.RESEMBLES_LIKED and parts[0].values["favourite"]["title"] in liked_titles
        else:  # from the taste: names a favourite or liked song, or a filter that matched
            assert any(kind in {part.kind for part in parts} for kind in (
                ReasonKind.SAME_GENRES, ReasonKind.CLOSE_GENRES, ReasonKind.SOUNDS_LIKE, ReasonKind.OTHER_GENRES,
                ReasonKind.RESEMBLES_LIKED, ReasonKind.FITS_FILTERS)), text  # fmt: skip


def test_a_list_made_in_korean_reads_in_english_after_switching(tracks, client, django_capture_on_commit_callbacks):
    train_recommenders()
    user = make_listener(favourites=[tracks[1]])
    with translation.override("ko"):
        request_list(user, django_capture_on_commit_callbacks)
    client.force_login(user)

    english = client.get("/today/", headers={"accept-language": "en"}).content.decode()
    korean = client.get("/today/", headers={"accept-language": "ko"}).content.decode()

    assert "For your taste:" in english and "same genres as" in english
    assert "same genres as" not in korean and "장르" in korean


def test_matched_playlists_are_named_once_and_each_song_names_its_own():
    catalog = build_small_catalog()
    add_situation_playlists(catalog)
    PlaylistFactory(name="Rainy  Day", tracks=[catalog["jazz_1"], catalog["jazz_2"]])  # the same name, twice
    PlaylistFactory(name="rainy day", tracks=[catalog["jazz_2"], catalog["no_genres"]])
    recommender_train(engine="song2vec")

    answer = recommend_situation(text="rainy day", k=3)

    assert [name.casefold().split() for name in answer.playlists].count(["rainy", "day"]) == 1
    assert all(item.reason[0].kind == ReasonKind.FROM_PLAYLIST for item in answer.tracks)
