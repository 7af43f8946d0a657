"""Error pages a listener can reach by typing or keeping an address: never blank, in their language, with a way on."""
import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_opening_an_action_address_in_the_browser_explains_it_and_links_home(client):
    client.force_login(get_user_model().objects.create_user("reader", password="pw-12345678"))

    response = client.get("/today/reroll/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "This address is a button" in page and 'href="/"' in page


def test_the_405_page_is_in_korean_for_a_korean_browser(client):
    client.force_login(get_user_model().objects.create_user("reader", password="pw-12345678"))

    page = client.get("/taste/reset/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "이 주소는 버튼입니다" in page


def test_the_api_keeps_its_bare_405(client):
    response = client.post("/api/v1/recommendations/content", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 405
    assert b"This address is a button" not in response.content


def test_a_missing_page_links_back_into_the_site(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and 'href="/"' in page
