"""Abuse limits: logins, sign-ups and password resets (allauth's limits), API calls and search-as-you-type
(django-ratelimit) answer 429 with Retry-After: a page in the site's look for people, JSON for scripts."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.services import api_token_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rate_limits")]


def wrong_login(client: Client, n: int, login: str = "listener"):
    return client.post("/accounts/login/", {"login": login, "password": f"wrong-{n}"})


def test_thirty_wrong_passwords_in_a_minute_meet_a_429_with_retry_after(client):
    User.objects.create_user("listener", password="right-password")

    responses = [wrong_login(client, n) for n in range(30)]

    statuses = [response.status_code for response in responses]
    assert statuses[:5] == [200] * 5  # allauth's 5 failures per account in 5 minutes, then 429s
    assert set(statuses[5:]) == {429}
    assert int(responses[5]["Retry-After"]) == 300
    assert int(wrong_login(client, 31)["Retry-After"]) == 60  # past 30 logins a minute from one address
    page = responses[-1].content.decode()
    assert "Too many tries" in page and 'class="site-header"' in page  # the site's own look
    # Even the right password waits until the window has passed: that is what stops guessing.
    assert client.post("/accounts/login/", {"login": "listener", "password": "right-password"}).status_code == 429


def test_failed_logins_across_accounts_are_limited_per_ip(client):
    statuses = [wrong_login(client, n, login=f"someone{n}").status_code for n in range(12)]

    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]


def test_the_429_page_speaks_korean(client):
    for n in range(6):
        response = client.post(
            "/accounts/login/", {"login": "x", "password": f"p{n}"}, HTTP_ACCEPT_LANGUAGE="ko"
        )
    assert response.status_code == 429
    assert "너무 많이" in response.content.decode()


def test_signups_are_limited_per_ip(client):
    statuses = []
    for n in range(21):
        data = {"username": f"new{n}", "password1": "a-long-password-1", "password2": "a-long-password-1"}
        statuses.append(client.post("/accounts/signup/", data).status_code)
        client.logout()
    assert 429 not in statuses[:20] and statuses[20] == 429
    assert User.objects.count() == 20


def test_password_resets_are_limited_per_address(client):
    User.objects.create_user("listener", email="l@example.com", password="pw")

    statuses = [client.post("/accounts/password/reset/", {"email": "l@example.com"}).status_code for _ in range(6)]

    assert statuses[:5] == [302] * 5 and statuses[5] == 429


def test_api_calls_are_limited_per_account_with_json_and_retry_after(settings, client):
    settings.API_RATE_LIMIT_PER_ACCOUNT = "3/m"
    user = User.objects.create_user("listener", password="pw")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user)}"}
    other = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=User.objects.create_user('other'))}"}
    url = "/api/v1/recommendations/situation?q=rain"

    statuses = [client.get(url, **headers).status_code for _ in range(4)]

    assert 429 not in statuses[:3] and statuses[3] == 429
    limited = client.get(url, **headers)
    assert limited["Content-Type"] == "application/json"
    assert 0 < int(limited["Retry-After"]) <= 60 and limited.json()["retry_after"] == int(limited["Retry-After"])
    # Another account from the same address is counted apart.
    assert client.get(url, **other).status_code != 429


def test_a_second_token_of_the_same_account_shares_its_limit(settings, client):
    settings.API_RATE_LIMIT_PER_ACCOUNT = "2/m"
    user = User.objects.create_user("listener", password="pw")
    first, second = api_token_create(user=user), api_token_create(user=user)
    url = "/api/v1/recommendations/situation?q=rain"

    client.get(url, HTTP_AUTHORIZATION=f"Bearer {first}")
    client.get(url, HTTP_AUTHORIZATION=f"Bearer {first}")

    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 429


def test_api_calls_are_limited_per_ip_even_with_wrong_tokens(settings, client):
    settings.API_RATE_LIMIT_PER_IP = "5/m"
    url = "/api/v1/recommendations/situation?q=rain"

    statuses = [client.get(url, HTTP_AUTHORIZATION=f"Bearer guess-{n}").status_code for n in range(6)]

    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    other_ip = client.get(url, HTTP_AUTHORIZATION="Bearer guess", REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 401


def test_search_as_you_type_is_limited_per_account(settings, client):
    settings.SEARCH_RATE_LIMIT_PER_ACCOUNT = "4/m"
    client.force_login(User.objects.create_user("listener"))

    statuses = [client.get("/taste/search/", {"q": f"so{n}"}).status_code for n in range(5)]

    assert statuses == [200, 200, 200, 200, 429]
    assert client.get("/taste/search/", {"q": "song"}).json()["retry_after"] > 0


def test_limits_follow_the_forwarded_address_behind_a_trusted_proxy(settings, client):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.API_RATE_LIMIT_PER_IP = "2/m"
    url = "/api/v1/recommendations/situation?q=rain"

    def call(ip: str) -> int:
        return client.get(url, HTTP_AUTHORIZATION="Bearer x", HTTP_X_FORWARDED_FOR=ip).status_code

    assert [call("203.0.113.5") for _ in range(3)] == [401, 401, 429]
    assert call("198.51.100.7") == 401  # a different listener behind the same proxy
