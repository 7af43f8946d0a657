"""The scheduled pipeline for real: a Celery worker and beat as separate processes, against Redis and the test
PostgreSQL database. Beat sends the new-release crawl (to the fake Spotify on 127.0.0.1) and the rebuild check
every few seconds; the crawl stores new tracks and marks the dataset dirty, the debounced rebuild makes an active
model version that covers the whole catalog.

Needs TEST_CELERY_BROKER_URL (Redis) and DATABASE_URL pointing at PostgreSQL: SQLite's test database lives in
this process's memory and cannot be shared with a worker.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ingestion.models import CrawlRun, Playlist, Track
from ingestion.services.changes import catalog_changed
from ingestion.services.crawls import crawl_playlists
from recommendations.models import ModelVersion
from recommendations.services.rebuilds import dataset_state
from tests.factories import ArtistFactory, TrackFactory
from tests.fake_spotify import CLIENT_ID, CLIENT_SECRET, FakeSpotify, Fault, Faults, small_catalog
from tests.fake_spotify.helpers import connect

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "")
CELERY = str(Path(settings.BASE_DIR) / ".venv" / "bin" / "celery")
STARTUP_SECONDS = 60  # importing Django, numpy and scikit-learn on a busy 2-core machine
OUTCOME_SECONDS = 150  # a wait ends as soon as its condition holds; the margin is for a loaded 2-core machine
STOP_SECONDS = 30

pytestmark = [
    pytest.mark.skipif(not BROKER_URL, reason="TEST_CELERY_BROKER_URL is not set: no Redis to run a worker against"),
    pytest.mark.django_db(transaction=True),  # committed rows: the worker is another process
]


@dataclass
class Processes:
    worker: subprocess.Popen
    beat: subprocess.Popen
    logs: Path

    def log_text(self) -> str:
        return "\n".join(
            f"--- {path.name} (last 60 lines) ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-60:])
            for path in sorted(self.logs.glob("*.log"))
        )


def database_url() -> str:
    """The test database pytest-django created (test_<name>, with a worker suffix under xdist)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def fake_spotify() -> Iterator[FakeSpotify]:
    with FakeSpotify(small_catalog(), page_limit=7) as server:
        yield server


@pytest.fixture
def worker_and_beat(request, transactional_db, tmp_path: Path, fake_spotify: FakeSpotify) -> Iterator[Processes]:
    """A worker consuming every queue of a fresh queue name, and beat; `@pytest.mark.beat_env(...)` overrides."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs the test database in PostgreSQL (SQLite's test database is in memory)")
    queue = f"test-worker-beat-{uuid.uuid4().hex[:12]}"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "APP_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "REBUILD_CHECK_SECONDS": "1",
        "REBUILD_MIN_INTERVAL_SECONDS": "0",
        "NEW_RELEASES_CRAWL_AT": "every 3s",
        "NIGHTLY_REBUILD_AT": "off",
        "WEEKLY_RETRAIN_AT": "off",
        "TODAY_PRECOMPUTE_AT": "off",
        "SPOTIFY_API_URL": fake_spotify.api_url,
        "SPOTIFY_ACCOUNTS_URL": fake_spotify.accounts_url,
        "SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SPOTIFY_CLIENT_SECRET": CLIENT_SECRET,
        "CRAWL_RESUME_CHECK_SECONDS": "1",
    }
    marker = request.node.get_closest_marker("beat_env")
    environment.update(marker.kwargs if marker else {})
    queues = [queue, *(f"{queue}.{kind}" for kind in ("crawl", "train", "listener"))]
    (tmp_path / "var").mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(name: str, *arguments: str) -> subprocess.Popen:
        log = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process below
        return subprocess.Popen(
            [CELERY, "-A", "celery_app", *arguments, "--loglevel", "INFO"],
            cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    worker = start(
        "worker", "worker", "--pool", "solo", "--queues", ",".join(queues), "--hostname", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    )  # fmt: skip
    beat = start("beat", "beat", "--schedule", str(tmp_path / "var" / "celerybeat-schedule"), "--max-interval", "1")
    processes = Processes(worker, beat, logs)
    try:
        wait_for(lambda: "ready." in (logs / "worker.log").read_text(errors="replace"), STARTUP_SECONDS, processes,
                 "the worker to start")  # fmt: skip
        yield processes
    finally:
        for process in (beat, worker):
            stop(process)
        for name in queues:
            delete_queue(name)


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown (the running task finishes and is acknowledged), then kill if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def delete_queue(queue: str) -> None:
    """Leave nothing of this run in the broker: the queue, and the binding keys kombu keeps per exchange."""
    import redis
    from kombu import Connection

    with Connection(BROKER_URL, connect_timeout=5) as broker:
        broker.default_channel.queue_delete(queue)
    redis.Redis.from_url(BROKER_URL).delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def wait_for(condition, seconds: float, processes: Processes, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        for process in (processes.worker, processes.beat):
            if process.poll() is not None:
                pytest.fail(f"{process.args[3]} exited with {process.returncode}\n{processes.log_text()}")
        time.sleep(0.5)
    pytest.fail(f"waited {seconds} s for {what}\n{processes.log_text()}")


def test_beat_and_worker_crawl_new_releases_and_rebuild_the_recommenders(worker_and_beat, fake_spotify):
    seeded = [TrackFactory(artists=[ArtistFactory(genres=["k-pop"])], energy=n / 10) for n in range(6)]
    catalog_changed(reason="seeded by the test")

    def crawled_and_rebuilt() -> bool:
        crawled = CrawlRun.objects.filter(
            kind=CrawlRun.Kind.NEW_RELEASES, status__in=[CrawlRun.Status.SUCCEEDED, CrawlRun.Status.PARTIAL]
        ).exists()
        active = ModelVersion.objects.filter(engine="content", is_active=True).first()
        return crawled and active is not None and active.track_count == Track.objects.count() > len(seeded)

    wait_for(crawled_and_rebuilt, OUTCOME_SECONDS, worker_and_beat, "a crawl and a rebuild covering its tracks")

    assert fake_spotify.count("new-releases") + fake_spotify.count("search") > 0
    assert ModelVersion.objects.filter(engine="clusters", is_active=True).exists()
    assert dataset_state().last_rebuild_kind == "changes"


@pytest.mark.beat_env(NEW_RELEASES_CRAWL_AT="off", REBUILD_CHECK_SECONDS="3600")
def test_beat_resumes_a_deferred_crawl_once_when_its_time_has_come(worker_and_beat, fake_spotify, settings):
    connect(settings, fake_spotify)
    fake_spotify.faults = Faults([Fault("rate_limit", on={1}, retry_after=7200)])
    deferred = crawl_playlists(playlist_ids=list(fake_spotify.catalog.playlists))
    fake_spotify.faults = Faults()
    assert deferred.status == CrawlRun.Status.DEFERRED
    CrawlRun.objects.filter(pk=deferred.pk).update(resume_at=timezone.now())  # as if the two hours had passed

    def resumed() -> bool:
        deferred.refresh_from_db()
        return deferred.resume_at is None and deferred.resumed_by is not None

    wait_for(resumed, OUTCOME_SECONDS, worker_and_beat, "beat to resume the deferred crawl")
    time.sleep(3)  # three more beat checks: none may resume it again

    assert deferred.resumed_by.status == CrawlRun.Status.SUCCEEDED
    assert CrawlRun.objects.count() == 2
    assert Playlist.objects.filter(source=Playlist.Source.SPOTIFY).count() == len(fake_spotify.catalog.playlists)
