"""Services that write accounts.

The demo logins exist only for `manage.py run_demo` on a laptop: their passwords are published in the
README and printed on the console, so they are refused whenever DEBUG is off.
"""
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    created: bool
    is_curator: bool = False


# Fixed and documented on purpose: the banner, the README and a tester's memory agree on them.
DEMO_LISTENER_USERNAME = "demo"
DEMO_LISTENER_PASSWORD = "demo-password"
DEMO_CURATOR_USERNAME = "curator"
DEMO_CURATOR_PASSWORD = "curator-password"


def demo_user_ensure(*, curator: bool = False) -> DemoLogin:
    """Create the demo listener (or, with curator=True, the demo curator) or reset it to its published state.

    Sets the published password and the account's flags every time (a listener is never staff; the curator is
    staff and superuser so the admin is reachable), so a re-run is safe and the printed login is always true.
    Refuses with ImproperlyConfigured when DEBUG is off: demo accounts must never exist in production.
    """
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "Demo accounts have published passwords and are only created when DJANGO_DEBUG is true."
        )
    username, password = (
        (DEMO_CURATOR_USERNAME, DEMO_CURATOR_PASSWORD) if curator else (DEMO_LISTENER_USERNAME, DEMO_LISTENER_PASSWORD)
    )
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.select_for_update().get_or_create(
            **{user_model.USERNAME_FIELD: username}
        )
        user.is_active = True
        user.is_staff = curator
        user.is_superuser = curator
        user.set_password(password)
        user.save()
    return DemoLogin(username=username, password=password, created=created, is_curator=curator)


def demo_logins_ensure() -> list[DemoLogin]:
    """Ensure both demo accounts (listener first, then curator); safe to re-run, see demo_user_ensure."""
    return [demo_user_ensure(curator=False), demo_user_ensure(curator=True)]
