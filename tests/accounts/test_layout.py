import contextlib

import pytest
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db
User = get_user_model()

SECTIONS = {
    "filters:wizard": "Your taste",
    "recommendations:today": "Today's songs",
    "recommendations:situation": "Songs for a situation",
    "recommendations:playlist-picks": "Playlist picks",
    "api-docs": "API",
}
PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


def existing_sections() -> dict[str, str]:
    found = {}
    for name, label in SECTIONS.items():
        with contextlib.suppress(NoReverseMatch):  # sections written by others may not exist yet
            found[reverse(name)] = label
    return found


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_the_navigation_and_the_language_switcher(client, url):
    content = client.get(url).content.decode()

    assert 'class="skip-link" href="#main"' in content
    assert '<nav class="site-nav"' in content
    assert 'action="/i18n/setlang/"' in content
    assert 'name="language" value="ko"' in content and 'name="language" value="en"' in content
    for href, label in existing_sections().items():
        assert f'<a href="{href}"' in content and label in content


def test_the_current_section_is_marked(client):
    content = client.get("/").content.decode()

    assert '<a href="/" aria-current="page">' in content


def test_pages_render_while_other_sections_are_missing(client, settings):
    settings.ROOT_URLCONF = "tests.accounts.urls_without_sections"

    response = client.get("/accounts/login/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Playlist picks" not in content and "Today's songs" not in content
    assert '<a href="/"' in content


def test_visitors_see_log_in_and_sign_up(client):
    content = client.get("/").content.decode()

    assert 'href="/accounts/login/"' in content and 'href="/accounts/signup/"' in content
    assert "Log out" not in content


def test_listeners_see_their_name_their_account_and_a_logout_form(client):
    client.force_login(User.objects.create_user("minji"))

    content = client.get("/").content.decode()

    assert 'href="/accounts/profile/"' in content and ">minji</a>" in content
    assert 'method="post" action="/accounts/logout/"' in content
    assert 'href="/accounts/signup/"' not in content


def test_the_layout_needs_no_external_css_or_scripts(client):
    content = client.get("/accounts/login/").content.decode()

    assert 'href="/static/css/site.css"' in content
    assert "https://" not in content and "http://" not in content.replace("http://testserver", "")


@pytest.mark.parametrize("url", ["/accounts/password/change/", "/accounts/email/", "/accounts/3rdparty/"])
def test_allauths_other_account_pages_use_the_site_layout(client, url):
    client.force_login(User.objects.create_user("minji", "minji@example.com", "a-long-Passw0rd"))

    response = client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert '<nav class="site-nav"' in content and 'href="/static/css/site.css"' in content
    assert "<title>" in content and " · 오늘의 노래</title>" in content
