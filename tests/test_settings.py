"""Settings come from the environment through recommender_site.env; bad values stop the process with their name.

Whole-settings behaviour is checked in a fresh interpreter (settings are read once per process), with every
variable the settings read removed from its environment except the ones a test names.
"""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from recommender_site.env import env_bool, env_choice, env_int, env_list, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
_SETTINGS_PREFIXES = (
    "DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "AWS_", "SPOTIFY_", "APP_", "IMPORT_", "AUDIO_", "PREVIEW_",
    "DEEZER_", "ITUNES_",
)
_SETUP = "import django; django.setup(); from django.conf import settings; "


def run_django(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(_SETTINGS_PREFIXES)}
    environment |= {"DJANGO_SETTINGS_MODULE": "recommender_site.settings", "APP_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def django_prints(statements: str, tmp_path: Path, **env: str) -> str:
    """What `statements` print after django.setup(), with `settings` imported; the process must succeed."""
    result = run_django(_SETUP + statements, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# --- the readers ---


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("On", True), ("1", True), ("no", False), ("", False)])
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", not expected) is expected


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("SOME_FLAG", raising=False)
    assert env_bool("SOME_FLAG", True) is True


def test_env_bool_error_names_the_variable(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"SOME_FLAG='maybe' is not a boolean"):
        env_bool("SOME_FLAG", False)


def test_env_int_error_names_the_variable(monkeypatch):
    monkeypatch.setenv("SOME_COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match=r"SOME_COUNT='ten' is not a whole number"):
        env_int("SOME_COUNT", 1)


def test_env_int_below_minimum_names_the_variable(monkeypatch):
    monkeypatch.setenv("SOME_COUNT", "0")
    with pytest.raises(ImproperlyConfigured, match=r"SOME_COUNT=0 is below the minimum of 1"):
        env_int("SOME_COUNT", 5, minimum=1)


def test_env_int_blank_means_default(monkeypatch):
    monkeypatch.setenv("SOME_COUNT", " ")
    assert env_int("SOME_COUNT", 7) == 7


def test_env_url_error_names_the_variable_and_allowed_schemes(monkeypatch):
    monkeypatch.setenv("SOME_URL", "mysql://x")
    with pytest.raises(ImproperlyConfigured, match=r"SOME_URL='mysql://x' is not a URL starting with sqlite://"):
        env_url("SOME_URL", "", schemes=("sqlite", "postgres"))


def test_env_url_accepts_an_allowed_scheme(monkeypatch):
    monkeypatch.setenv("SOME_URL", "postgres://u@db:5432/app")
    assert env_url("SOME_URL", "", schemes=("postgres",)) == "postgres://u@db:5432/app"


def test_env_choice_error_names_the_variable_and_choices(monkeypatch):
    monkeypatch.setenv("SOME_LEVEL", "LOUD")
    with pytest.raises(ImproperlyConfigured, match=r"SOME_LEVEL='LOUD' must be one of: INFO, ERROR"):
        env_choice("SOME_LEVEL", "INFO", choices=("INFO", "ERROR"))


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("SOME_HOSTS", "a.example, b.example,,")
    assert env_list("SOME_HOSTS", ["x"]) == ["a.example", "b.example"]


# --- the settings module, in a fresh process ---


def test_laptop_defaults_need_no_environment(tmp_path):
    shown = django_prints(
        "print((settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND'], "
        "settings.STORAGES['default']['BACKEND']))",
        tmp_path,
    )
    assert shown == (
        "(True, 'django.db.backends.sqlite3', 'django.core.cache.backends.locmem.LocMemCache', "
        "'django.core.files.storage.FileSystemStorage')"
    )


def test_production_refuses_the_default_secret_key(tmp_path):
    result = run_django("import django; django.setup()", tmp_path, DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = run_django("import django; django.setup()", tmp_path, DJANGO_DEBUG="false", DJANGO_SECRET_KEY="short")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret_key(tmp_path):
    shown = django_prints(
        "print((settings.DEBUG, settings.SESSION_COOKIE_SECURE))",
        tmp_path,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=uuid.uuid4().hex + uuid.uuid4().hex,
    )
    assert shown == "(False, True)"


def test_bad_database_url_fails_naming_the_variable(tmp_path):
    result = run_django("import django; django.setup()", tmp_path, DATABASE_URL="mysql://x")

    assert result.returncode != 0
    assert "DATABASE_URL='mysql://x'" in result.stderr


def test_postgres_database_url_selects_postgresql(tmp_path):
    shown = django_prints(
        "print((settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME']))",
        tmp_path,
        DATABASE_URL="postgres://app@db.internal:5432/todaysong",
    )
    assert shown == "('django.db.backends.postgresql', 'todaysong')"


def test_postgres_connections_are_kept_and_checked_before_reuse(tmp_path):
    show = "d = settings.DATABASES['default']; print((d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']))"
    url = "postgres://app@db.internal:5432/todaysong"

    assert django_prints(show, tmp_path, DATABASE_URL=url) == "(60, True)"
    assert django_prints(
        show, tmp_path, DATABASE_URL=url, DATABASE_CONN_MAX_AGE="0", DATABASE_CONN_HEALTH_CHECKS="false"
    ) == "(0, False)"


def test_bad_debug_value_fails_naming_the_variable(tmp_path):
    result = run_django("import django; django.setup()", tmp_path, DJANGO_DEBUG="maybe")

    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe'" in result.stderr


def test_bucket_name_selects_s3_storage(tmp_path):
    shown = django_prints(
        "print(settings.STORAGES['default']['BACKEND']); "
        "from django.core.files.storage import storages; print(type(storages['default']).__name__)",
        tmp_path,
        AWS_STORAGE_BUCKET_NAME="todaysong-media",
        AWS_S3_REGION_NAME="ap-northeast-2",
    )
    assert shown.splitlines() == ["storages.backends.s3.S3Storage", "S3Storage"]


def test_redis_url_selects_the_redis_cache_that_degrades_when_redis_is_down(tmp_path):
    shown = django_prints(
        "from django.core.cache import caches; from django.core.cache.backends.redis import RedisCache; "
        "cache = caches['default']; "
        "print(settings.CACHES['default']['LOCATION'], isinstance(cache, RedisCache), type(cache).__name__)",
        tmp_path, REDIS_URL="redis://127.0.0.1:6379/1",
    )  # fmt: skip
    assert shown == "redis://127.0.0.1:6379/1 True DegradingRedisCache"


def test_without_a_broker_tasks_run_in_process(tmp_path):
    shown = django_prints(
        "print(settings.CELERY_TASK_ALWAYS_EAGER); from celery_app import app; print(app.conf.task_always_eager)",
        tmp_path,
    )
    assert shown.splitlines() == ["True", "True"]


def test_with_a_broker_tasks_are_queued(tmp_path):
    shown = django_prints(
        "print(settings.CELERY_TASK_ALWAYS_EAGER); from celery_app import app; print(app.conf.broker_url)",
        tmp_path,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert shown.splitlines() == ["False", "redis://127.0.0.1:6379/0"]


# --- the services this run was pointed at (CI sets DATABASE_URL and REDIS_URL; a laptop run skips these) ---


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="DATABASE_URL is not PostgreSQL"
)
@pytest.mark.django_db
def test_database_url_postgres_really_uses_postgresql():
    from django.contrib.auth import get_user_model
    from django.db import connection

    get_user_model().objects.create(username="pg-check")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM auth_user WHERE username = %s", ["pg-check"])
        assert cursor.fetchone() == (1,)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_redis_url_cache_round_trips_through_redis():
    from django.core.cache import caches

    cache = caches["default"]
    key = f"settings-test-{uuid.uuid4().hex}"
    cache.set(key, {"track": "오늘의 노래"}, timeout=30)
    try:
        assert cache.get(key) == {"track": "오늘의 노래"}
        assert cache.__class__.__name__ == "DegradingRedisCache"  # Redis, a miss instead of an error when it is down
    finally:
        cache.delete(key)


# --- preview lookup (issue 12) ---


def test_preview_lookup_is_off_by_default_and_its_sources_play_through_the_csp_when_on(tmp_path):
    show = (
        "print(settings.PREVIEW_SOURCES, settings.PREVIEW_KEEP_FILES, "
        "' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['media-src']))"
    )

    assert django_prints(show, tmp_path) == "[] False 'self' https://p.scdn.co"
    on = django_prints(show, tmp_path, PREVIEW_SOURCES="deezer,itunes", DEEZER_API_URL="http://127.0.0.1:9/")
    assert on.startswith("['deezer', 'itunes'] False") and "https://*.dzcdn.net" in on and "mzstatic" in on
    kept = django_prints(show, tmp_path, PREVIEW_SOURCES="deezer", PREVIEW_KEEP_FILES="true")
    assert "dzcdn" not in kept  # kept previews play from the site's own media


def test_an_unknown_preview_source_fails_naming_it(tmp_path):
    result = run_django(_SETUP, tmp_path, PREVIEW_SOURCES="deezer,spotify")

    assert result.returncode != 0 and "PREVIEW_SOURCES names spotify" in result.stderr
