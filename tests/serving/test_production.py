"""Production settings as the README gives them: `check --deploy` clean, static files served compressed with
hashed names, security headers and a Content-Security-Policy that lets Spotify's player, embeds and audio work."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from recommender_site.env import storage_origins
from tests.test_settings import BASE_DIR, run_django

README = (BASE_DIR / "README.md").read_text(encoding="utf-8")


def readme_production_variables() -> dict[str, str]:
    block = re.search(r"<!-- production-variables.*?```sh\n(.*?)```", README, re.S).group(1)
    variables = {}
    for line in block.splitlines():
        match = re.match(r"export (\w+)=('[^']*'|\S+)", line.strip())
        if match:
            variables[match.group(1)] = match.group(2).strip("'")
    return variables


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return run_django(_manage_code(args), tmp_path, **env)


def _manage_code(args: tuple[str, ...]) -> str:
    argv = ["manage.py", *args]
    return f"from django.core.management import execute_from_command_line; execute_from_command_line({argv!r})"


def test_the_readme_production_variables_pass_check_deploy_without_a_warning(tmp_path):
    variables = readme_production_variables()
    assert variables["DJANGO_DEBUG"] == "false" and len(variables["DJANGO_SECRET_KEY"]) >= 50

    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **variables)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> Path:
    """The site's static files collected as run_prod collects them: production pages need the manifest."""
    root = tmp_path_factory.mktemp("collected")
    variables = readme_production_variables() | {
        "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(root / "static"),
    }
    # The admin's many files would only make compressing them slower here (20 s); they are served the same way.
    collected = manage(root, "collectstatic", "--noinput", "-v0", "--ignore", "admin", **variables)
    assert collected.returncode == 0, collected.stderr
    return root / "static"


def test_production_serves_collected_static_files_compressed_and_forever_cacheable(tmp_path, collected_static):
    variables = readme_production_variables() | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(collected_static),
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
    code = """
import django, json; django.setup()
from django.templatetags.static import static
from django.test import Client
url = static("css/site.css")
client = Client()
plain = client.get(url, secure=True)
brotli = client.get(url, secure=True, HTTP_ACCEPT_ENCODING="br")
missing = client.get("/static/css/nothing.css", secure=True)
print(json.dumps({"url": url, "status": plain.status_code, "cache": plain["Cache-Control"],
                  "encoding": brotli.get("Content-Encoding"), "missing": missing.status_code}))
"""
    result = run_django(code, tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", served["url"])
    assert served["status"] == 200 and "immutable" in served["cache"]
    assert served["encoding"] == "br" and served["missing"] == 404


def test_with_the_readme_production_variables_health_is_200_and_thirty_wrong_passwords_meet_a_429(
    tmp_path, collected_static
):
    """The issue's "done when", in one production process: DEBUG off, the README's host, proxy and https settings
    (only the database, cache and broker are local: SQLite, per-process memory, in-process tasks)."""
    (tmp_path / "media").mkdir()  # local media storage; a deployment with S3 has the bucket instead
    variables = readme_production_variables() | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(collected_static),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
    }
    code = """
import django, json; django.setup()
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
call_command("migrate", verbosity=0)
User.objects.create_user("listener", password="the-right-password")
host = settings.ALLOWED_HOSTS[0]
proxy = {"HTTP_HOST": host, "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
client = Client(**proxy)
health = client.get("/health/")
css = client.get(static("css/site.css"))
logins = [client.post("/accounts/login/", {"login": "listener", "password": f"wrong-{n}"}) for n in range(30)]
print(json.dumps({"debug": settings.DEBUG, "host": host, "health": health.status_code,
                  "health_status": health.json()["status"], "css": css.status_code, "css_url": static("css/site.css"),
                  "logins": [response.status_code for response in logins],
                  "retry_after": logins[-1].get("Retry-After")}))
"""
    result = run_django(code, tmp_path, **variables)

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["debug"] is False and outcome["host"] == "songs.example.com"
    assert outcome["health"] == 200 and outcome["health_status"] == "ok"
    assert outcome["css"] == 200 and re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", outcome["css_url"])
    assert 429 in outcome["logins"] and outcome["logins"][-1] == 429
    assert set(outcome["logins"][: outcome["logins"].index(429)]) == {200}  # wrong passwords until the limit
    assert int(outcome["retry_after"]) > 0


def production_headers(tmp_path: Path, static_root: Path, **extra: str) -> dict:
    variables = readme_production_variables() | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        **extra,
    }
    code = """
import django, json; django.setup()
from django.test import Client
response = Client().get("/health/", secure=True)
redirect = Client().get("/api/", HTTP_X_FORWARDED_PROTO="http")
page = Client().get("/api/", secure=True)
print(json.dumps({"csp": page["Content-Security-Policy"], "hsts": page["Strict-Transport-Security"],
                  "frame": page["X-Frame-Options"], "redirect": redirect.status_code,
                  "location": redirect["Location"]}))
"""
    result = run_django(code, tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def csp_directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_production_pages_carry_hsts_and_a_csp_that_lets_spotify_play(tmp_path, collected_static):
    headers = production_headers(tmp_path, collected_static)

    assert headers["redirect"] == 301 and headers["location"].startswith("https://")
    assert headers["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["frame"] == "DENY"
    csp = csp_directives(headers["csp"])
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert "https://sdk.scdn.co" in csp["script-src"] and "'unsafe-inline'" not in csp["script-src"]
    assert {"https://open.spotify.com", "https://sdk.scdn.co"} <= set(csp["frame-src"])
    assert {"https://api.spotify.com", "https://open.spotify.com"} <= set(csp["connect-src"])  # the embed's probe
    assert "https://accounts.spotify.com" in csp["form-action"]
    assert csp["media-src"] == ["'self'", "https://p.scdn.co"]
    assert csp["frame-ancestors"] == ["'none'"]


def test_with_s3_the_csp_lets_audio_play_from_the_bucket(tmp_path, collected_static):
    on_aws = csp_directives(
        production_headers(
            tmp_path, collected_static, AWS_STORAGE_BUCKET_NAME="songs-media", AWS_S3_REGION_NAME="ap-northeast-2"
        )["csp"]
    )

    assert "https://songs-media.s3.ap-northeast-2.amazonaws.com" in on_aws["media-src"]
    assert storage_origins(
        bucket="songs", endpoint_url="https://minio.example.com:9000/", region=None, custom_domain=None
    ) == ["https://minio.example.com:9000"]
    assert storage_origins(bucket="songs", endpoint_url=None, region=None, custom_domain="cdn.example.com") == [
        "https://cdn.example.com"
    ]


def test_gunicorn_runs_two_workers_per_core_by_default_and_reads_the_environment(tmp_path):
    code = (
        "import runpy, json, os; c = runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ('bind', 'workers', 'threads', 'worker_class', 'timeout')} "
        "| {'cores': len(os.sched_getaffinity(0))}))"
    )
    default = json.loads(subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, capture_output=True,
                                        text=True, check=True, env={"PATH": "/usr/bin"}).stdout)
    tuned = json.loads(subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, capture_output=True, text=True,
                                      check=True, env={"GUNICORN_WORKERS": "3", "GUNICORN_THREADS": "1",
                                                       "GUNICORN_BIND": "0.0.0.0:9000"}).stdout)

    assert default["workers"] == 2 * default["cores"] and default["threads"] == 4
    assert default["worker_class"] == "gthread" and default["bind"] == "127.0.0.1:8000"
    assert (tuned["workers"], tuned["threads"], tuned["worker_class"], tuned["bind"]) == (3, 1, "sync", "0.0.0.0:9000")


def test_run_prod_refuses_a_laptop_configuration(tmp_path):
    result = manage(tmp_path, "run_prod")

    assert result.returncode == 1
    for problem in ("DJANGO_DEBUG is on", "DATABASE_URL is not PostgreSQL", "CELERY_BROKER_URL is not set"):
        assert problem in result.stderr


@pytest.mark.parametrize("value", ["fast", "10/minute", "0/m"])
def test_a_bad_rate_limit_stops_the_process_with_its_name(tmp_path, value):
    result = run_django("import django; django.setup()", tmp_path, API_RATE_LIMIT_PER_IP=value)

    assert result.returncode != 0 and "API_RATE_LIMIT_PER_IP" in result.stderr
