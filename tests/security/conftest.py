"""Two listeners over a small trained catalog, for the security tests."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.services import api_token_create
from filters.services import taste_favourite_add
from ingestion.models import Track
from recommendations.models import TodayList, TrackReaction
from recommendations.services.today import reaction_set
from tests.filters.catalog import build_listener_catalog, train_recommenders
from tests.recommendations.conftest import model_storage  # noqa: F401 (a fixture)
from tests.recommendations.today_pages import make_listener


@dataclass
class Listener:
    user: User
    client: Client
    token_key: str


@pytest.fixture
def tracks(model_storage) -> list[Track]:  # noqa: F811
    tracks = build_listener_catalog(size=40)
    train_recommenders()
    return tracks


def listener_with_history(name: str, tracks: list[Track], offset: int, capture, **taste) -> Listener:
    user = make_listener(name, **taste)
    client = Client()
    client.force_login(user)
    with capture(execute=True):
        client.get("/today/loading/")
    reaction_set(user=user, track=tracks[offset], kind=TrackReaction.Kind.LIKE)
    reaction_set(user=user, track=tracks[offset + 1], kind=TrackReaction.Kind.DISLIKE)
    taste_favourite_add(user=user, track=tracks[offset + 2])
    return Listener(user, client, api_token_create(user=user, name=f"{name}'s script"))


@pytest.fixture
def alice(tracks, django_capture_on_commit_callbacks) -> Listener:
    listener = listener_with_history("alice", tracks, 0, django_capture_on_commit_callbacks)
    assert TodayList.objects.get(user=listener.user).status == "ready"
    return listener


@pytest.fixture
def bob(tracks, django_capture_on_commit_callbacks) -> Listener:
    return listener_with_history(
        "bob", tracks, 10, django_capture_on_commit_callbacks, mood="dark", speed="slow", emotion="depressed"
    )
