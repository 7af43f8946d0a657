from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.test import override_settings

from accounts.management.commands.run_demo import site_url

pytestmark = pytest.mark.django_db

needs_seed_demo = pytest.mark.skipif(
    "seed_demo" not in get_commands(),
    reason="seed_demo is not written yet (ingestion/management/commands/seed_demo.py); run_demo calls it",
)


@pytest.fixture(autouse=True)
def model_files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"


def run_demo(*args: str, train: bool = False) -> str:
    """run_demo --no-serve; training (9 s on the demo catalog) only where a test is about it."""
    out = StringIO()
    flags = () if train else ("--no-train",)
    call_command("run_demo", "--no-serve", "--previews=skip", *flags, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def login_lines(output: str) -> list[str]:
    return [line.split("[")[0].strip() for line in output.splitlines() if " / " in line]


@needs_seed_demo
@override_settings(DEBUG=True)
def test_run_demo_creates_logins_and_prints_them_with_urls(client):
    output = run_demo()

    assert "http://127.0.0.1:8000/" in output
    assert "http://127.0.0.1:8000/admin/" in output
    assert "demo / demo-password" in output
    assert "curator / curator-password" in output
    assert client.login(username="curator", password="curator-password")
    assert client.get("/admin/").status_code == 200


@needs_seed_demo
@override_settings(DEBUG=True)
def test_second_run_works_and_prints_the_same_logins(client):
    first = run_demo()
    second = run_demo()

    assert login_lines(second) == login_lines(first)
    assert get_user_model().objects.filter(username__in=["demo", "curator"]).count() == 2
    assert client.login(username="demo", password="demo-password")


@needs_seed_demo
@override_settings(DEBUG=True)
def test_addrport_changes_the_printed_url():
    output = run_demo("--addrport", "0.0.0.0:8123")

    assert "http://127.0.0.1:8123/admin/" in output


@override_settings(DEBUG=False)
def test_run_demo_refuses_when_debug_is_off():
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        run_demo()

    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    ("addrport", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000/"),
        ("8001", "http://127.0.0.1:8001/"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000/"),
        ("[::1]:8000", "http://[::1]:8000/"),
    ],
)
def test_site_url_points_a_local_browser_at_the_server(addrport, url):
    assert site_url(addrport) == url


def test_bad_addrport_is_refused():
    with pytest.raises(CommandError, match="--addrport"):
        site_url("127.0.0.1:http")


@needs_seed_demo
@override_settings(DEBUG=True)
def test_run_demo_trains_the_recommenders_once():
    from recommendations.models import ModelVersion

    first = run_demo(train=True)
    second = run_demo(train=True)

    assert "Training the recommenders" in first and "unchanged" in second
    # The audio model has no previews to learn from here (--previews=skip): nothing to train on, no version.
    assert set(ModelVersion.objects.filter(is_active=True).values_list("engine", flat=True)) == {
        "content", "clusters", "song2vec", "cf", "terms", "blend"
    }


@needs_seed_demo
@override_settings(DEBUG=True)
def test_while_previews_are_made_in_the_background_the_audio_model_is_trained_after_them(monkeypatch):
    from accounts.management.commands import run_demo as command
    from recommendations.models import ModelVersion

    started: list[list[str]] = []
    monkeypatch.setattr(command, "demo_previews_missing", lambda: 12)
    monkeypatch.setattr(command.subprocess, "Popen", lambda args, **kwargs: started.append(args))
    out = StringIO()

    call_command("run_demo", "--no-serve", stdout=out, stderr=StringIO())

    [(shell, flag, script)] = started
    assert (shell, flag) == ("sh", "-c")
    previews, audio = script.split(" && ")
    assert previews.endswith("seed_demo --previews-only") and audio.endswith("train_recommenders --engine audio")
    trained = set(ModelVersion.objects.values_list("engine", flat=True))
    assert "audio" not in trained and {"content", "clusters", "song2vec"} <= trained
    assert "Making 12 audio previews in the background" in out.getvalue()
