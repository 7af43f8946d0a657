"""Today's songs as a service: one list per listener, day and reroll, computed once, never a disliked track."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from filters.models import TasteProfile
from recommendations.engines import reason_parts_from_json
from recommendations.models import TodayEntry, TodayList, TrackReaction
from recommendations.services.today import (
    NEW_RELEASE_DAYS,
    RerollLimitReached,
    reaction_set,
    today_compute,
    today_items,
    today_precompute_all,
    today_request,
)
from tests.filters.catalog import build_listener_catalog, train_recommenders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]


@pytest.fixture
def tracks():
    tracks = build_listener_catalog()
    train_recommenders()
    return tracks


def make_listener(name: str = "listener", *, favourites=(), mood="bright", speed="fast", emotion="excited") -> User:
    user = User.objects.create_user(name, password="pw", last_login=timezone.now())
    taste = TasteProfile.objects.create(user=user, mood=mood, speed=speed, emotion=emotion, completed_at=timezone.now())
    taste.favourite_tracks.set(favourites)
    return user


def request_list(user: User, capture, *, reroll: bool = False) -> TodayList:
    with capture(execute=True):
        today_list = today_request(user=user, reroll=reroll)
    today_list.refresh_from_db()
    return today_list


def track_ids(today_list: TodayList) -> list[int]:
    return list(today_list.entries.order_by("position").values_list("track_id", flat=True))


def test_first_request_makes_a_ready_list_of_twenty_songs(tracks, django_capture_on_commit_callbacks):
    user = make_listener(favourites=[tracks[1]])

    today_list = request_list(user, django_capture_on_commit_callbacks)

    assert (today_list.status, today_list.progress, today_list.reroll) == ("ready", 100, 0)
    assert today_list.day == timezone.localdate()
    assert today_list.entries.count() == 20
    assert all(reason_parts_from_json(entry.reason_data) for entry in today_list.entries.all())
    assert tracks[1].pk not in track_ids(today_list)  # the favourite itself is not recommended


def test_the_list_is_stable_through_the_day(tracks, django_capture_on_commit_callbacks):
    user = make_listener(favourites=[tracks[1]])
    first = request_list(user, django_capture_on_commit_callbacks)

    again = request_list(user, django_capture_on_commit_callbacks)

    assert again.pk == first.pk and TodayList.objects.count() == 1
    assert track_ids(again) == track_ids(first)


def test_computing_the_same_day_and_reroll_again_gives_the_same_songs(tracks, django_capture_on_commit_callbacks):
    user = make_listener(favourites=[tracks[1]])
    today_list = request_list(user, django_capture_on_commit_callbacks)
    before = track_ids(today_list)
    TodayList.objects.filter(pk=today_list.pk).update(status=TodayList.Status.PENDING)  # as if a worker died

    today_compute(today_list_id=today_list.pk)

    assert track_ids(today_list) == before


def test_computing_twice_changes_nothing(tracks, django_capture_on_commit_callbacks):
    user = make_listener()
    today_list = request_list(user, django_capture_on_commit_callbacks)
    entry_ids = list(today_list.entries.values_list("pk", flat=True))

    status = today_compute(today_list_id=today_list.pk)

    assert "skipped" in status
    assert list(today_list.entries.values_list("pk", flat=True)) == entry_ids


def test_reroll_gives_another_list_of_the_same_size(tracks, django_capture_on_commit_callbacks):
    user = make_listener(favourites=[tracks[1]])
    first = request_list(user, django_capture_on_commit_callbacks)

    second = request_list(user, django_capture_on_commit_callbacks, reroll=True)

    assert second.reroll == 1 and second.status == "ready"
    assert len(track_ids(second)) == 20
    assert not set(track_ids(first)) & set(track_ids(second))  # the day's earlier songs stay out


def test_reroll_while_the_list_is_computed_makes_no_second_list(tracks):
    user = make_listener()
    first = today_request(user=user)  # on_commit never runs here: the list stays pending

    assert today_request(user=user, reroll=True).pk == first.pk
    assert TodayList.objects.filter(user=user).count() == 1


def test_rerolls_are_limited_per_day(tracks, monkeypatch):
    monkeypatch.setattr("recommendations.services.today.MAX_REROLLS_PER_DAY", 1)
    user = make_listener()
    TodayList.objects.create(user=user, day=timezone.localdate(), reroll=1, status="ready")

    with pytest.raises(RerollLimitReached):
        today_request(user=user, reroll=True)


def test_disliked_track_leaves_the_list_and_never_comes_back(tracks, django_capture_on_commit_callbacks):
    user = make_listener(favourites=[tracks[1]])
    first = request_list(user, django_capture_on_commit_callbacks)
    disliked = first.entries.order_by("position").first().track

    reaction_set(user=user, track=disliked, kind="dislike")

    assert disliked.pk not in [item.track.pk for item in today_items(today_list=first, user=user)]
    assert len(today_items(today_list=first, user=user)) == 19
    for _ in range(3):
        rerolled = request_list(user, django_capture_on_commit_callbacks, reroll=True)
        assert disliked.pk not in track_ids(rerolled)
    TodayEntry.objects.all().delete()  # even with every earlier list forgotten
    TodayList.objects.update(day=timezone.localdate() - dt.timedelta(days=1))
    tomorrow = request_list(user, django_capture_on_commit_callbacks)
    assert disliked.pk not in track_ids(tomorrow)


def test_clearing_a_dislike_brings_the_song_back_to_the_list(tracks, django_capture_on_commit_callbacks):
    user = make_listener()
    today_list = request_list(user, django_capture_on_commit_callbacks)
    track = today_list.entries.first().track
    reaction_set(user=user, track=track, kind="dislike")

    reaction_set(user=user, track=track, kind="clear")

    assert track.pk in [item.track.pk for item in today_items(today_list=today_list, user=user)]
    assert not TrackReaction.objects.exists()


def test_liked_songs_feed_the_clusters_recommender(tracks, django_capture_on_commit_callbacks):
    user = make_listener()
    first = request_list(user, django_capture_on_commit_callbacks)
    liked = [entry.track for entry in first.entries.order_by("position")[:3]]
    for track in liked:
        reaction_set(user=user, track=track, kind="like")

    rerolled = request_list(user, django_capture_on_commit_callbacks, reroll=True)

    engines = list(rerolled.entries.values_list("engine", flat=True))
    assert engines.count("clusters") == 10 and engines.count("content") == 10
    assert not {track.pk for track in liked} & set(track_ids(rerolled))
    assert all(item.liked for item in today_items(today_list=first, user=user)[:3])


def test_new_releases_come_first(tracks, django_capture_on_commit_callbacks):
    user = make_listener(favourites=[tracks[1]])

    items = today_items(today_list=request_list(user, django_capture_on_commit_callbacks), user=user)

    newness = [item.is_new for item in items]
    assert any(newness) and newness == sorted(newness, reverse=True)
    oldest_new = timezone.localdate() - dt.timedelta(days=NEW_RELEASE_DAYS)
    assert all(item.track.album.release_date >= oldest_new for item in items if item.is_new)


def test_the_taste_steers_the_songs(tracks, django_capture_on_commit_callbacks):
    bright = make_listener("bright", mood="bright", speed="", emotion="")
    dark = make_listener("dark", mood="dark", speed="", emotion="")

    def mean_valence(user: User) -> float:
        items = today_items(today_list=request_list(user, django_capture_on_commit_callbacks), user=user)
        return sum(item.track.valence for item in items) / len(items)

    assert mean_valence(bright) > mean_valence(dark) + 0.2


def test_hidden_songs_never_appear(tracks, django_capture_on_commit_callbacks):
    user = make_listener(favourites=[tracks[0]])
    today_list = request_list(user, django_capture_on_commit_callbacks)
    shown = today_list.entries.first().track
    shown.is_hidden = True
    shown.updated_at = timezone.now()
    shown.save()

    assert shown.pk not in [item.track.pk for item in today_items(today_list=today_list, user=user)]
    rerolled = request_list(user, django_capture_on_commit_callbacks, reroll=True)
    assert not rerolled.entries.filter(track__is_hidden=True).exists()


def test_without_a_trained_model_the_list_fails_with_what_to_do(db, model_storage, django_capture_on_commit_callbacks):
    build_listener_catalog(size=10)
    user = make_listener()

    today_list = request_list(user, django_capture_on_commit_callbacks)

    assert today_list.status == "failed"
    assert "train_recommenders" in today_list.error
    assert not today_list.entries.exists()


def test_a_failed_list_is_retried_on_the_next_request(db, model_storage, django_capture_on_commit_callbacks):
    build_listener_catalog(size=30)
    user = make_listener()
    failed = request_list(user, django_capture_on_commit_callbacks)
    train_recommenders()

    retried = request_list(user, django_capture_on_commit_callbacks)

    assert retried.pk == failed.pk and retried.status == "ready" and retried.error == ""


def test_lists_belong_to_their_listener(tracks, django_capture_on_commit_callbacks):
    alice, bob = make_listener("alice", mood="bright"), make_listener("bob", mood="dark")
    alices = request_list(alice, django_capture_on_commit_callbacks)
    reaction_set(user=alice, track=alices.entries.first().track, kind="dislike")

    bobs = request_list(bob, django_capture_on_commit_callbacks)

    assert bobs.pk != alices.pk and bobs.user == bob
    assert len(today_items(today_list=bobs, user=bob)) == 20  # alice's dislike hides nothing of bob's
    assert not any(item.liked for item in today_items(today_list=bobs, user=bob))


def test_precompute_makes_lists_for_active_listeners_with_a_taste_only(tracks):
    make_listener("active")
    away = make_listener("away")
    User.objects.filter(pk=away.pk).update(last_login=timezone.now() - dt.timedelta(days=90))
    User.objects.create_user("no-taste", password="pw", last_login=timezone.now())
    half = User.objects.create_user("half-done", password="pw", last_login=timezone.now())
    TasteProfile.objects.create(user=half, mood="dark")

    assert today_precompute_all() == 1

    assert list(TodayList.objects.values_list("user__username", "status")) == [("active", "ready")]
    assert today_precompute_all() == 0  # a re-run keeps the list the listener may have seen


def test_precompute_for_a_given_day(tracks):
    make_listener()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    today_precompute_all(day=tomorrow)

    assert TodayList.objects.get().day == tomorrow


def test_precompute_without_a_model_makes_no_lists(db, model_storage):
    make_listener()

    assert today_precompute_all() == 0
    assert not TodayList.objects.exists()


def test_reaction_set_rejects_an_unknown_kind(tracks):
    user = make_listener()

    with pytest.raises(ValueError, match="like, dislike or clear"):
        reaction_set(user=user, track=tracks[0], kind="love")


def test_liking_a_disliked_song_replaces_the_dislike(tracks):
    user = make_listener()
    reaction_set(user=user, track=tracks[0], kind="dislike")

    reaction_set(user=user, track=tracks[0], kind="like")

    assert list(TrackReaction.objects.values_list("kind", flat=True)) == ["like"]


def test_a_waiting_list_is_enqueued_again_only_when_its_task_seems_lost(tracks, django_capture_on_commit_callbacks):
    user = make_listener()
    with django_capture_on_commit_callbacks() as first:
        today_list = today_request(user=user)
    with django_capture_on_commit_callbacks() as soon_after:
        today_request(user=user)
    TodayList.objects.filter(pk=today_list.pk).update(created=timezone.now() - dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True) as later:
        today_request(user=user)

    assert (len(first), len(soon_after), len(later)) == (1, 0, 1)
    assert TodayList.objects.get().status == "ready"


def test_a_stuck_list_is_enqueued_again_once_not_on_every_page_load(tracks, django_capture_on_commit_callbacks):
    user = make_listener()
    with django_capture_on_commit_callbacks():
        today_list = today_request(user=user)
    TodayList.objects.filter(pk=today_list.pk).update(created=timezone.now() - dt.timedelta(minutes=5))

    with django_capture_on_commit_callbacks() as loads:
        for _ in range(5):  # the loading page refreshing itself while no worker runs
            today_request(user=user)

    assert len(loads) == 1


def test_a_list_claimed_by_a_worker_that_died_is_computed_again(tracks):
    user = make_listener()
    stuck = TodayList.objects.create(
        user=user, day=timezone.localdate(), status="running", started=timezone.now() - dt.timedelta(hours=1)
    )

    today_compute(today_list_id=stuck.pk)

    stuck.refresh_from_db()
    assert stuck.status == "ready" and stuck.entries.count() == 20


def test_a_list_computed_before_the_taste_changed_is_replaced_on_the_next_request(
    tracks, django_capture_on_commit_callbacks
):
    user = make_listener()
    first = request_list(user, django_capture_on_commit_callbacks)
    TasteProfile.objects.filter(user=user).update(mood="dark", updated_at=timezone.now())

    second = request_list(user, django_capture_on_commit_callbacks)
    third = request_list(user, django_capture_on_commit_callbacks)

    assert (first.reroll, second.reroll, third.reroll) == (0, 1, 1)
    assert second.status == "ready" and track_ids(second) != track_ids(first)


def test_a_changed_taste_after_the_days_last_list_keeps_the_latest(
    tracks, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("recommendations.services.today.MAX_REROLLS_PER_DAY", 0)
    user = make_listener()
    first = request_list(user, django_capture_on_commit_callbacks)
    TasteProfile.objects.filter(user=user).update(mood="dark", updated_at=timezone.now())

    assert request_list(user, django_capture_on_commit_callbacks).pk == first.pk
