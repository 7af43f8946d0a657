import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from accounts.services import (
    DEMO_CURATOR_PASSWORD,
    DEMO_CURATOR_USERNAME,
    DEMO_LISTENER_PASSWORD,
    DEMO_LISTENER_USERNAME,
    demo_logins_ensure,
    demo_user_ensure,
)

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_demo_listener_can_log_in_but_not_reach_admin(client):
    login = demo_user_ensure()

    assert (login.username, login.password, login.created) == (DEMO_LISTENER_USERNAME, DEMO_LISTENER_PASSWORD, True)
    assert client.login(username="demo", password="demo-password")
    assert client.get("/admin/").status_code == 302


@override_settings(DEBUG=True)
def test_demo_curator_can_open_admin(client):
    login = demo_user_ensure(curator=True)

    assert (login.username, login.password, login.is_curator) == (DEMO_CURATOR_USERNAME, DEMO_CURATOR_PASSWORD, True)
    assert client.login(username="curator", password="curator-password")
    assert client.get("/admin/").status_code == 200


@override_settings(DEBUG=True)
def test_rerun_restores_published_password_and_flags():
    demo_logins_ensure()
    listener = get_user_model().objects.get(username="demo")
    listener.set_password("changed-by-someone")
    listener.is_staff = True
    listener.is_active = False
    listener.save()

    logins = demo_logins_ensure()

    listener.refresh_from_db()
    assert [login.created for login in logins] == [False, False]
    assert listener.check_password("demo-password")
    assert (listener.is_active, listener.is_staff, listener.is_superuser) == (True, False, False)
    assert get_user_model().objects.count() == 2


@override_settings(DEBUG=False)
def test_demo_accounts_refused_without_debug():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        demo_user_ensure()

    assert not get_user_model().objects.exists()
