import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings

pytestmark = pytest.mark.django_db
User = get_user_model()


def page(response) -> str:
    return response.content.decode()


def sign_up(client, username="minji", email="minji@example.com", password="a-long-Passw0rd"):
    return client.post(
        "/accounts/signup/",
        {"username": username, "email": email, "password1": password, "password2": password},
        follow=True,
    )


def test_the_signup_page_has_labelled_fields(client):
    content = page(client.get("/accounts/signup/"))

    for field in ("username", "email", "password1", "password2"):
        assert f'<label for="id_{field}"' in content


def test_signing_up_logs_in_and_the_header_shows_the_name(client):
    response = sign_up(client)

    assert response.status_code == 200
    assert User.objects.filter(username="minji").exists()
    assert ">minji</a>" in page(response)
    assert 'action="/accounts/logout/"' in page(response)


def test_signing_up_without_email_works(client):
    sign_up(client, email="")

    assert User.objects.get().email == ""


def test_a_taken_username_is_explained(client):
    User.objects.create_user("minji")

    response = sign_up(client)

    assert "already" in page(response).lower()
    assert User.objects.count() == 1


def test_logging_in_with_username_or_email(client):
    User.objects.create_user("minji", "minji@example.com", "a-long-Passw0rd")

    by_name = client.post("/accounts/login/", {"login": "minji", "password": "a-long-Passw0rd"}, follow=True)
    client.post("/accounts/logout/")
    by_email = client.post("/accounts/login/", {"login": "minji@example.com", "password": "a-long-Passw0rd"})

    assert by_name.redirect_chain[-1][0] == "/" and ">minji</a>" in page(by_name)
    assert by_email.status_code == 302


def test_a_wrong_password_shows_an_error_and_stays_logged_out(client):
    User.objects.create_user("minji", "minji@example.com", "a-long-Passw0rd")

    response = client.post("/accounts/login/", {"login": "minji", "password": "wrong"})

    assert response.status_code == 200
    assert "not correct" in page(response)
    assert "_auth_user_id" not in client.session


def test_logging_out_needs_a_post(client):
    user = User.objects.create_user("minji")
    client.force_login(user)

    confirm = client.get("/accounts/logout/")
    assert confirm.status_code == 200 and "_auth_user_id" in client.session
    assert 'method="post" action="/accounts/logout/"' in page(confirm)

    response = client.post("/accounts/logout/", follow=True)
    assert "_auth_user_id" not in client.session
    assert 'href="/accounts/login/"' in page(response)


def test_password_reset_by_email_sets_a_new_password(client):
    User.objects.create_user("minji", "minji@example.com", "old-Passw0rd-1")

    done = client.post("/accounts/password/reset/", {"email": "minji@example.com"}, follow=True)
    assert "Check your email" in page(done)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["minji@example.com"]
    assert mail.outbox[0].subject.startswith("[오늘의 노래]")
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in page(form)
    changed = client.post(
        form.redirect_chain[-1][0], {"password1": "new-Passw0rd-2", "password2": "new-Passw0rd-2"}, follow=True
    )

    assert "Password changed" in page(changed)
    assert client.login(username="minji", password="new-Passw0rd-2")


def test_password_reset_for_an_unknown_address_sends_nothing_but_looks_the_same(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True)

    assert "Check your email" in page(response)
    assert mail.outbox == []


def test_a_used_reset_link_says_so(client):
    response = client.get("/accounts/password/reset/key/1-bad-token/", follow=True)

    assert "This link does not work" in page(response)


@override_settings(DEBUG=True)
def test_the_login_page_shows_the_demo_login_when_it_exists(client):
    User.objects.create_user("demo", password="demo-password")

    content = page(client.get("/accounts/login/"))

    assert "Demo login" in content and "<code>demo-password</code>" in content


@pytest.mark.parametrize("debug", [True, False])
def test_no_demo_hint_without_the_demo_user_or_in_production(client, settings, debug):
    settings.DEBUG = debug
    if not debug:
        User.objects.create_user("demo", password="demo-password")

    assert "demo-password" not in page(client.get("/accounts/login/"))


def test_without_a_spotify_app_the_login_page_says_spotify_is_off(client, settings):
    settings.SPOTIFY_CLIENT_ID = ""

    content = page(client.get("/accounts/login/"))

    assert "Spotify login is off on this server" in content
    assert "/accounts/spotify/login/" not in content


def test_with_a_spotify_app_login_and_signup_offer_a_spotify_button_that_posts(client, fake_spotify_accounts):
    for url in ("/accounts/login/", "/accounts/signup/"):
        content = page(client.get(url))
        assert re.search(r'<form method="post" action="/accounts/spotify/login/\?process=login">', content)
        assert "Log in with Spotify" in content
