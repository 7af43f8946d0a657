"""Redis (the cache) unreachable: pages and limited views keep answering without it; /health/ still tells."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "recommender_site.cache.DegradingRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def listener_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_user("listener"))
    return client


def test_an_unreachable_cache_is_a_miss_and_a_dropped_write(cache_down):
    assert cache.get("k", "fallback") == "fallback" and cache.get("k") is None
    assert cache.add("k", 1) is False and cache.set("k", 1) is None and cache.incr("k") is None
    assert cache.get_many(["a", "b"]) == {} and cache.set_many({"a": 1, "b": 2}) == ["a", "b"]


@pytest.mark.parametrize("url", ["/", "/taste/", "/accounts/profile/"])
def test_pages_still_answer_while_the_cache_is_down(cache_down, listener_client, url):
    assert listener_client.get(url).status_code == 200


@pytest.mark.usefixtures("rate_limits")
def test_rate_limited_search_lets_requests_through_while_nothing_can_count_them(cache_down, listener_client, settings):
    settings.SEARCH_RATE_LIMIT_PER_ACCOUNT = "2/m"
    TrackFactory(name="Song of the rain")
    assert settings.CACHES["default"]["LOCATION"] == "redis://127.0.0.1:9/0" and settings.RATELIMIT_ENABLE

    answers = [listener_client.get("/taste/search/", {"q": "song"}, HTTP_ACCEPT="application/json") for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200] * 4


def test_health_still_reports_the_cache_down(cache_down, client):
    response = client.get("/health/")

    assert response.status_code == 503 and not response.json()["checks"]["cache"]["ok"]


@pytest.mark.usefixtures("rate_limits")
def test_with_the_cache_up_the_limit_still_counts(listener_client, settings):
    settings.SEARCH_RATE_LIMIT_PER_ACCOUNT = "2/m"
    TrackFactory(name="Song of the rain")

    answers = [listener_client.get("/taste/search/", {"q": "song"}, HTTP_ACCEPT="application/json") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
