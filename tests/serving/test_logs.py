"""Production logs: one JSON object per line with request id, user id and duration; never a password or token."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from accounts.services import api_token_create
from recommender_site.logs import JsonLogFormatter, RequestContextFilter, SecretRedactingFilter

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def json_log():
    """What the production handler writes, for every logger, while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(SecretRedactingFilter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_each_request_is_one_json_line_with_its_id_user_and_duration(json_log, client):
    user = User.objects.create_user("listener", password=PASSWORD)
    client.force_login(user)

    response = client.get("/situation/?q=rain", HTTP_X_REQUEST_ID="lb-req-0001abcd")

    assert response["X-Request-ID"] == "lb-req-0001abcd"
    [line] = [line for line in lines(json_log) if line["logger"] == "recommender_site.requests"]
    assert line["method"] == "GET" and line["path"] == "/situation/" and line["status"] == 200
    assert line["request_id"] == "lb-req-0001abcd" and line["user_id"] == user.pk
    assert line["duration_ms"] >= 0 and line["level"] == "INFO" and "time" in line


def test_a_request_without_an_id_gets_a_fresh_one(json_log, client):
    first, second = client.get("/"), client.get("/")

    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"]) and first["X-Request-ID"] != second["X-Request-ID"]


def test_passwords_tokens_reset_keys_and_oauth_codes_never_reach_the_log(json_log, client, settings):
    settings.SPOTIFY_CLIENT_SECRET = "spotify-app-secret-value"
    user = User.objects.create_user("listener", email="l@example.com", password=PASSWORD)
    key = api_token_create(user=user)
    secrets = [PASSWORD, key, "spotify-app-secret-value"]

    client.post("/accounts/login/", {"login": "listener", "password": PASSWORD})
    client.post("/accounts/login/", {"login": "listener", "password": PASSWORD + "x"})
    client.get("/api/v1/recommendations/situation?q=rain", HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get("/api/v1/recommendations/situation?q=rain", HTTP_AUTHORIZATION=f"Bearer {key}x")
    client.post("/accounts/profile/api-tokens/", {"name": "script"})
    new_key = client.session.get("new_api_key")
    client.get("/accounts/profile/")
    client.post("/accounts/password/reset/", {"email": "l@example.com"})
    reset_link = re.search(r"(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    client.get(reset_link)
    settings.SPOTIFY_CLIENT_ID = "spotify-app"  # so the callback view runs (and refuses the unknown state)
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "spotify": {
            **settings.SOCIALACCOUNT_PROVIDERS["spotify"],
            "APPS": [{"client_id": "spotify-app", "secret": "spotify-app-secret-value"}],
        },
    }
    client.get("/accounts/spotify/login/callback/?code=oauth-code-abcdef123&state=state-xyz987")
    logging.getLogger("careless").warning("Spotify said %s", {"access_token": "BQD-leaked-token", "expires_in": 1})
    secrets += [new_key, reset_link.split("/key/")[1].strip("/"), "oauth-code-abcdef123", "BQD-leaked-token"]

    text = json_log.getvalue()
    assert len(lines(json_log)) >= 10
    for secret in secrets:
        assert secret and secret not in text, f"{secret!r} is in the log"
    assert "/accounts/password/reset/key/[redacted]/" in text


def test_an_error_in_a_view_is_logged_with_its_request_id_as_json(json_log, monkeypatch):
    from recommendations import views

    def broken():
        raise RuntimeError("catalog overview failed for token=abcdefgh12345")

    monkeypatch.setattr(views, "catalog_overview", broken)
    response = Client(raise_request_exception=False).get("/")

    errors = [line for line in lines(json_log) if line["level"] == "ERROR"]
    assert response.status_code == 500 and errors
    assert errors[0]["request_id"] == response["X-Request-ID"]
    assert "RuntimeError" in errors[0]["exc_info"] and "abcdefgh12345" not in json_log.getvalue()
