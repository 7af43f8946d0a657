"""CSRF on every state change, and `next=` never leading off the site."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import Resolver404, resolve

from recommendations.models import TrackReaction
from tests.factories import TrackFactory
from tests.security.test_ownership import site_routes

pytestmark = pytest.mark.django_db

# Views that are meant to take a POST without a CSRF token: none.
CSRF_EXEMPT: set[str] = set()


def concrete_path(route: str) -> str | None:
    """A path that resolves to `route`, ids as 1 and names as "x"; None for routes no simple value fills."""
    path = re.sub(r"<int:\w+>", "1", route)
    path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "auth", path)
    path = "/" + path.replace("^", "").replace("$", "").replace("\\Z", "")
    try:
        resolve(path)
    except Resolver404:
        return None
    return path


def test_every_url_refuses_a_post_without_a_csrf_token():
    user = User.objects.create_superuser("curator", password="pw")  # staff: the admin's views are reached too
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    paths = sorted({path for route, _ in site_routes() if (path := concrete_path(route))})

    accepted = {path: status for path in paths if (status := client.post(path, {"kind": "like"}).status_code) != 403}

    assert len(paths) > 60  # the site's, allauth's and the admin's
    assert set(accepted) == CSRF_EXEMPT, accepted


def test_with_its_token_the_same_post_works():
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_user("listener", password="pw"))
    track = TrackFactory()
    token = client.get("/accounts/profile/").cookies["csrftoken"].value

    response = client.post(f"/tracks/{track.pk}/react/", {"kind": "like", "csrfmiddlewaretoken": token})

    assert response.status_code == 302 and TrackReaction.objects.filter(track=track, kind="like").exists()


ELSEWHERE = [
    "https://evil.example/", "//evil.example/path", "/\\evil.example", "https:evil.example", "javascript:alert(1)"
]


@pytest.mark.parametrize("next_url", ELSEWHERE)
def test_logging_in_with_next_elsewhere_stays_on_the_site(client, next_url):
    User.objects.create_user("listener", password="a-long-Passw0rd")

    response = client.post(f"/accounts/login/?next={next_url}", {"login": "listener", "password": "a-long-Passw0rd"})

    assert response.status_code == 302 and _on_site(response["Location"])


@pytest.mark.parametrize("next_url", ELSEWHERE)
def test_reacting_with_next_elsewhere_stays_on_the_site(client, next_url):
    client.force_login(User.objects.create_user("listener"))

    response = client.post(f"/tracks/{TrackFactory().pk}/react/", {"kind": "like", "next": next_url})

    assert _on_site(response["Location"])


@pytest.mark.parametrize("next_url", ELSEWHERE)
def test_switching_language_with_next_elsewhere_stays_on_the_site(client, next_url):
    response = client.post("/i18n/setlang/", {"language": "ko", "next": next_url})

    assert _on_site(response["Location"])


@pytest.mark.parametrize("next_url", ELSEWHERE)
def test_logging_out_with_next_elsewhere_stays_on_the_site(client, next_url):
    client.force_login(User.objects.create_user("listener"))

    response = client.post("/accounts/logout/", {"next": next_url})

    assert _on_site(response["Location"])


def test_a_next_on_the_site_is_followed(client):
    User.objects.create_user("listener", password="a-long-Passw0rd")

    response = client.post("/accounts/login/?next=/situation/", {"login": "listener", "password": "a-long-Passw0rd"})

    assert response["Location"] == "/situation/"


def _on_site(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\"))
