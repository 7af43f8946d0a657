"""/health/ for load balancers, and the site while the database or cache cannot be reached: 503, never 500."""
from __future__ import annotations

import contextlib

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.test import Client

from accounts.services import api_token_create
from recommendations.models import ModelVersion

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def database_down():
    """Every query on this thread's connection fails as when PostgreSQL is stopped or restarting."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def unreachable_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers there
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }


def test_health_is_200_and_lists_active_models_with_their_age(client):
    ModelVersion.objects.create(engine="content", version=3, status="ready", is_active=True)

    response = client.get("/health/")

    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    report = response.json()
    assert report["status"] == "ok"
    assert {name: check["ok"] for name, check in report["checks"].items()} == {
        "database": True, "cache": True, "broker": True, "storage": True
    }
    [model] = report["models"]
    assert model["engine"] == "content" and model["version"] == 3 and model["age_seconds"] >= 0


def test_health_answers_any_host_and_plain_http(settings, client):
    settings.ALLOWED_HOSTS = ["songs.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/health/", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.3.7:8000").status_code == 400  # every other page checks the host


def test_health_is_503_while_the_database_is_down(client):
    with database_down():
        response = client.get("/health/")

    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "unavailable" and not report["checks"]["database"]["ok"]
    assert "could not connect" in report["checks"]["database"]["detail"]


def test_health_is_503_when_the_cache_is_unreachable(client, unreachable_cache):
    response = client.get("/health/")

    assert response.status_code == 503 and not response.json()["checks"]["cache"]["ok"]


def test_health_is_503_when_the_broker_is_unreachable(settings, client):
    from celery_app import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    try:
        response = client.get("/health/")
    finally:
        app.conf.broker_url = previous

    assert response.status_code == 503 and not response.json()["checks"]["broker"]["ok"]


@pytest.mark.parametrize("url", ["/", "/today/", "/situation/?q=rain", "/accounts/profile/", "/taste/"])
def test_pages_answer_503_not_500_while_the_database_is_down(url):
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_user("listener"))

    with database_down():
        response = client.get(url)

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "Back in a moment" in response.content.decode()


def test_the_api_answers_503_json_while_the_database_is_down():
    client = Client(raise_request_exception=False)
    key = api_token_create(user=User.objects.create_user("listener"))

    with database_down():
        response = client.get("/api/v1/recommendations/situation?q=rain", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert response.json()["retry_after"] > 0


def test_a_real_bug_is_still_a_500(monkeypatch):
    from recommendations import views

    def broken(**kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(views, "catalog_overview", broken)
    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 500
