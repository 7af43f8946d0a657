import os
import uuid
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real datasets beside the project; tests using them skip on a fresh clone without ../shared."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (a fresh clone has no shared data)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """PBKDF2 costs ~0.3 s per hash by design; tests only need passwords to round-trip."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def ci_services_are_real() -> None:
    """In CI (CI=true), a run pointed at PostgreSQL and Redis must really use them, never quietly fall back."""
    if os.environ.get("CI", "").lower() != "true":
        return
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        from django.db import connection

        assert connection.vendor == "postgresql", f"DATABASE_URL is PostgreSQL but Django uses {connection.vendor}"
    if os.environ.get("REDIS_URL"):
        from django.core.cache import cache

        key = f"ci-check-{uuid.uuid4().hex}"
        cache.set(key, "ok", timeout=30)
        assert cache.get(key) == "ok", "REDIS_URL is set but the cache did not round-trip through Redis"
        cache.delete(key)


@pytest.fixture(autouse=True)
def celery_join_allowed() -> None:
    """Celery marks "inside a task" in one process-wide flag that eager tasks set and restore. Eager tasks run by
    two threads at once (the concurrent-crawl test) can restore it in the wrong order and leave it set, and every
    later `result.get()` in that process would then refuse to run; each test starts with it cleared."""
    from celery.result import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def rate_limits_off(settings) -> None:
    """Rate limits count in the cache, which outlives a test (and is shared by both pytest workers on Redis): a
    suite that logs in hundreds of times from 127.0.0.1 would meet them. Tests of the limits turn them on with a
    cache of their own (the `rate_limits` fixture)."""
    settings.RATELIMIT_ENABLE = False
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.fixture
def rate_limits(settings) -> None:
    """The site's rate limits as configured, counted in a fresh in-memory cache of this test's own."""
    import recommender_site.settings as site_settings  # the module's values, not this test's overrides

    settings.RATELIMIT_ENABLE = True
    settings.ACCOUNT_RATE_LIMITS = dict(site_settings.ACCOUNT_RATE_LIMITS)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"rl-{uuid.uuid4().hex}"}
    }



@pytest.fixture(autouse=True)
def queued_tasks_inline(settings) -> None:
    """Without a broker, admin-queued retrains run on a background thread (recommendations.services.queueing);
    a test's own transaction is invisible to such a thread, so tests run them inline after the commit. The tests of
    the background path turn it on in a transactional test."""
    settings.TASKS_IN_BACKGROUND_WITHOUT_BROKER = False
