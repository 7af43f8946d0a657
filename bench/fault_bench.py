"""Fault benchmark: kill and restart parts of the production stack on this machine and check what survives.

    .venv/bin/python bench/fault_bench.py [--port 8150] [--pg-port 55433] [--redis-port 16380]
                                          [--workdir /tmp/i11a-fault] [--only a,b,c,d]

Everything is private and on loopback: the script `initdb`s its own PostgreSQL (--pg-port, data in
<workdir>/pg, run as the `postgres` user when started as root), starts its own `redis-server` (--redis-port, no
persistence), a fake Spotify (tests/fake_spotify, slowed down so a crawl takes seconds), and against them the
production processes exactly as `manage.py run_prod` runs them: gunicorn, the two Celery workers
(CELERY_WORKER_GROUPS) and beat, with short schedules and limits so each fault plays out in seconds. Then:

a. the batch worker is SIGKILLed while it builds a model version: the rebuild must finish afterwards (lease
   expiry, beat's next check), exactly one version per engine is active, and no API answer during the run came
   from a version that was not ready at that moment;
b. the batch worker is SIGKILLed mid-crawl: the crawl must be delivered again and finish, with every playlist
   and entry of the fake Spotify stored once (no duplicate tracks or playlist entries);
c. Redis is shut down and restarted under load: every request is answered, none with a 500 (the cache and the
   broker degrade), and tasks enqueued afterwards (a listener's list, a crawl) run;
d. PostgreSQL is stopped under load: pages answer the site's 503 page (never a 500), and 200 again once it is
   back.

Prints a table (one row per expectation) and exits 1 if any expectation is violated. Bounded: each wait has a
deadline; the whole run takes a few minutes on a busy 2-core machine.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
PG_DB = "todaysong_i11a_fault"
SECRET = "fault-bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-not-for-production"
STARTUP_SECONDS = 120  # Django + numpy + scikit-learn on a loaded 2-core machine


@dataclass
class Check:
    scenario: str
    expectation: str
    ok: bool
    detail: str


@dataclass
class Results:
    checks: list[Check] = field(default_factory=list)

    def add(self, scenario: str, expectation: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(scenario, expectation, bool(ok), detail))
        print(f"  [{'ok' if ok else 'VIOLATED'}] {expectation}: {detail}", flush=True)

    def table(self) -> str:
        width = max(len(c.expectation) for c in self.checks) if self.checks else 10
        lines = [f"{'':2} {'expectation':<{width}}  result    detail", "-" * (width + 40)]
        for c in self.checks:
            lines.append(f"{c.scenario:2} {c.expectation:<{width}}  {'ok' if c.ok else 'VIOLATED':<8}  {c.detail}")
        return "\n".join(lines)


def wait_until(condition: Callable[[], object], seconds: float, interval: float = 0.5) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # the database or Redis may be restarting: ask again
            value = None
        if value:
            return value
        time.sleep(interval)
    return None


# --------------------------------------------------------------------------------------------- private services


class PrivatePostgres:
    def __init__(self, workdir: Path, port: int) -> None:
        self.data = workdir / "pg"
        self.port = port
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.as_postgres = os.geteuid() == 0  # initdb refuses root

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        if self.as_postgres:
            command = ("su", "postgres", "-c", " ".join(f"'{part}'" for part in command))
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> None:
        if self.data.exists():
            self.stop()
            shutil.rmtree(self.data)
        self.data.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.data.parent, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", PG_DB)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.data / "log"),
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{PG_DB}"


class PrivateRedis:
    def __init__(self, workdir: Path, port: int) -> None:
        self.port, self.workdir = port, workdir

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "yes", "--dir", str(self.workdir), "--pidfile", str(self.workdir / "redis.pid"),
             "--logfile", str(self.workdir / "redis.log")],
            check=True, timeout=30,
        )  # fmt: skip
        if not wait_until(self.ping, 15, 0.2):
            raise RuntimeError(f"redis-server on port {self.port} did not answer")

    def ping(self) -> bool:
        result = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, timeout=5)
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True, timeout=10)
        wait_until(lambda: not self.ping(), 10, 0.2)


# --------------------------------------------------------------------------------------------- the stack


class Stack:
    """The production processes (as run_prod starts them) against the private services."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir)
        self.logs = self.workdir / "logs"
        self.env = os.environ | {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{args.pg_port}/{PG_DB}",
            "REDIS_URL": f"redis://127.0.0.1:{args.redis_port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{args.redis_port}/1",
            "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SSL_REDIRECT": "false", "DJANGO_SECURE_COOKIES": "false", "DJANGO_LOG_LEVEL": "WARNING",
            "APP_VAR_DIR": str(self.workdir / "var"), "DJANGO_MEDIA_ROOT": str(self.workdir / "media"),
            "DJANGO_STATIC_ROOT": str(self.workdir / "static"), "CELERY_BEAT_SCHEDULE_FILENAME":
                str(self.workdir / "var" / "celerybeat-schedule"),
            "GUNICORN_BIND": f"127.0.0.1:{args.port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4",
            # One listener polls for minutes: the abuse limits are not what this measures.
            "API_RATE_LIMIT_PER_IP": "off", "SEARCH_RATE_LIMIT_PER_IP": "off",
            "API_RATE_LIMIT_PER_ACCOUNT": "off", "SEARCH_RATE_LIMIT_PER_ACCOUNT": "off",
            "REBUILD_CHECK_SECONDS": "1", "REBUILD_MIN_INTERVAL_SECONDS": "0", "REBUILD_LEASE_SECONDS": "6",
            "NEW_RELEASES_CRAWL_AT": "off", "NIGHTLY_REBUILD_AT": "off", "WEEKLY_RETRAIN_AT": "off",
            "TODAY_PRECOMPUTE_AT": "off", "CRAWL_RESUME_CHECK_SECONDS": "2",
            # Short limits so a killed worker's task comes back within a minute (visibility > every hard limit).
            "CELERY_CRAWL_SOFT_TIME_LIMIT": "40", "CELERY_CRAWL_TIME_LIMIT": "45",
            "CELERY_TRAIN_SOFT_TIME_LIMIT": "80", "CELERY_TRAIN_TIME_LIMIT": "85",
            "CELERY_LISTENER_SOFT_TIME_LIMIT": "20", "CELERY_LISTENER_TIME_LIMIT": "25",
            "CELERY_DEFAULT_SOFT_TIME_LIMIT": "40", "CELERY_DEFAULT_TIME_LIMIT": "45",
            "CELERY_VISIBILITY_TIMEOUT": "90",
        }  # fmt: skip
        self.processes: dict[str, subprocess.Popen] = {}

    def connect_spotify(self, spotify) -> None:
        from tests.fake_spotify import CLIENT_ID, CLIENT_SECRET

        self.env |= {
            "SPOTIFY_API_URL": spotify.api_url, "SPOTIFY_ACCOUNTS_URL": spotify.accounts_url,
            "SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_CLIENT_SECRET": CLIENT_SECRET, "SPOTIFY_MAX_RETRIES": "3",
        }  # fmt: skip

    def manage(self, *arguments: str, timeout: int = 600) -> str:
        result = subprocess.run([PYTHON, "manage.py", *arguments], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=timeout)  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def commands(self) -> dict[str, list[str]]:
        from recommender_site.management.commands.run_prod import worker_commands

        return {
            "web": [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
            **worker_commands(concurrency={"worker": 2, "worker-batch": 2}),
            "beat": [PYTHON, "-m", "celery", "-A", "celery_app", "beat", "-l", "info"],
        }

    def start(self, name: str) -> None:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.processes[name] = subprocess.Popen(
            self.commands()[name], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children (the prefork pool): nothing of it runs any cleanup."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def restart_ended(self) -> dict[str, int]:
        """What run_prod does: a worker or beat that stopped by itself is started again. Returns who and how."""
        ended = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None and name != "web"}
        for name in ended:
            self.start(name)
        return ended

    def log_has(self, name: str, text: str) -> bool:
        path = self.logs / f"{name}.log"
        return path.exists() and text in path.read_text(errors="replace")


# --------------------------------------------------------------------------------------------- load


@dataclass
class Load:
    """Threads asking the site in a loop; every answer recorded as (monotonic time, kind, status, body marker)."""

    port: int
    listener: dict
    threads: int = 6
    answers: list[tuple[float, str, object, str]] = field(default_factory=list)
    served_versions: list[tuple[int, str]] = field(default_factory=list)  # (version, its status when served)
    stopping: threading.Event = field(default_factory=threading.Event)
    check_served: bool = False

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.workers: list[threading.Thread] = []

    def start(self) -> None:
        self.stopping.clear()
        self.workers = [threading.Thread(target=self._loop, args=(n,), daemon=True) for n in range(self.threads)]
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        self.stopping.set()
        for worker in self.workers:
            worker.join(timeout=30)

    def _loop(self, n: int) -> None:
        import httpx

        kinds = ("home", "today", "search", "api", "situation")
        cookies = {"sessionid": self.listener["session"]}
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10, cookies=cookies) as client:
            i = n
            while not self.stopping.is_set():
                kind = kinds[i % len(kinds)]
                i += 1
                try:
                    response = self._ask(client, kind)
                    status: object = response.status_code
                    marker = _marker(response)
                except Exception as error:  # refused, reset or timed out: not answered
                    status, marker = type(error).__name__, ""
                    response = None
                with self.lock:
                    self.answers.append((time.monotonic(), kind, status, marker))
                if self.check_served and kind == "api" and status == 200:
                    self._note_served(response.json())
                time.sleep(0.05)

    def _ask(self, client, kind: str):
        if kind == "home":
            return client.get("/")
        if kind == "today":
            return client.get("/today/")
        if kind == "search":
            return client.get("/taste/search/", params={"q": "so"}, headers={"Accept": "application/json"})
        if kind == "situation":
            return client.get("/situation/", params={"q": "music for a rainy drive"})
        return client.get("/api/v1/recommendations/content", params={"k": 10, "mood": "bright"},
                          headers={"Authorization": f"Bearer {self.listener['token']}"})  # fmt: skip

    def _note_served(self, answer: dict) -> None:
        from django.db import connection

        from recommendations.models import ModelVersion

        try:
            status = ModelVersion.objects.filter(engine="content", version=answer["model_version"]).values_list(
                "status", flat=True
            ).first() or "retired"
        finally:
            connection.close()
        with self.lock:
            self.served_versions.append((answer["model_version"], status))

    def between(self, start: float, end: float) -> list[tuple[float, str, object, str]]:
        with self.lock:
            return [a for a in self.answers if start <= a[0] <= end]


def _marker(response) -> str:
    """What kind of answer it is: the site's 503 page or JSON, or something else."""
    if response.status_code == 503:
        text = response.text
        if response.headers.get("Retry-After") and ("오늘의 노래" in text or "briefly unavailable" in text):
            return "site-503"
        return "other-503"
    return ""


def statuses(answers) -> Counter:
    return Counter(str(a[2]) for a in answers)


# --------------------------------------------------------------------------------------------- setup


def setup_django(stack: Stack) -> None:
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG", "DJANGO_SECRET_KEY",
                "DJANGO_ALLOWED_HOSTS", "APP_VAR_DIR", "DJANGO_MEDIA_ROOT", "DJANGO_STATIC_ROOT",
                "CELERY_VISIBILITY_TIMEOUT", "DJANGO_SSL_REDIRECT", "DJANGO_SECURE_COOKIES") + tuple(
                k for k in stack.env if k.startswith("CELERY_") and "TIME_LIMIT" in k):  # fmt: skip
        os.environ[key] = stack.env[key]
    os.environ["DJANGO_SETTINGS_MODULE"] = "recommender_site.settings"
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request of the load


def make_listener() -> dict:
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from accounts.services import api_token_create
    from filters.models import TasteProfile
    from recommendations.services.today import today_compute, today_request

    user, _ = User.objects.get_or_create(username="fault-listener")
    TasteProfile.objects.update_or_create(
        user=user, defaults={"mood": "bright", "speed": "fast", "emotion": "normal", "completed_at": timezone.now()}
    )
    today_list = today_request(user=user)
    if today_list.status != "ready":
        today_compute(today_list_id=today_list.pk)
    client = Client()
    client.force_login(user)
    return {"session": client.cookies["sessionid"].value, "token": api_token_create(user=user, name="fault bench")}


def active_per_engine() -> dict[str, int]:
    from django.db.models import Count

    from recommendations.models import ModelVersion

    rows = ModelVersion.objects.filter(is_active=True).values("engine").annotate(n=Count("id"))
    return {row["engine"]: row["n"] for row in rows}


def close_db() -> None:
    from django.db import connection

    connection.close()


# --------------------------------------------------------------------------------------------- scenarios


def scenario_rebuild(stack: Stack, load: Load, results: Results) -> None:
    """(a) SIGKILL the batch worker while it builds a model version."""
    from ingestion.models import Track
    from ingestion.services.changes import catalog_changed
    from recommendations.models import ModelVersion

    print("\n(a) worker killed mid-rebuild", flush=True)
    before = ModelVersion.objects.filter(engine="content", is_active=True).values_list("version", flat=True).first()
    load.check_served = True
    load.start()
    time.sleep(3)
    # A real change (one track's energy), so training has new data to build from, then the change is counted.
    track = Track.objects.exclude(energy__isnull=True).order_by("pk").first()
    Track.objects.filter(pk=track.pk).update(energy=round(1 - track.energy, 3))
    catalog_changed(reason="fault bench: a change to rebuild")
    building = wait_until(
        lambda: ModelVersion.objects.filter(status=ModelVersion.Status.BUILDING).values_list("pk", flat=True).first(),
        90, 0.05,
    )  # fmt: skip
    if not building:
        results.add("a", "a rebuild started", False, "no version was ever building within 90 s")
        load.stop()
        return
    stack.kill("worker-batch")
    killed = ModelVersion.objects.get(pk=building)
    results.add("a", "worker SIGKILLed while a version was building", True,
                f"{killed.engine} v{killed.version} (content was v{before})")  # fmt: skip
    time.sleep(2)
    stack.start("worker-batch")

    def rebuilt() -> bool:
        close_db()
        newer = ModelVersion.objects.filter(engine="content", is_active=True, version__gt=before or 0)
        return newer.exists() and not ModelVersion.objects.filter(status=ModelVersion.Status.BUILDING).exists()

    started = time.monotonic()
    finished = wait_until(rebuilt, 180, 1)
    new_version = ModelVersion.objects.filter(engine="content", is_active=True).values_list("version", flat=True)[0]
    # The web processes notice the newer active version and serve it (the load keeps polling until they do).
    switched = wait_until(lambda: any(v == new_version for v, _ in load.served_versions), 60, 0.5)
    load.stop()
    load.check_served = False
    killed.refresh_from_db()
    content = ModelVersion.objects.get(engine="content", is_active=True)
    results.add("a", "the rebuild finished afterwards", bool(finished),
                f"content v{content.version} active {time.monotonic() - started:.0f} s after the restart")  # fmt: skip
    results.add("a", "the killed build is failed, not left building", killed.status == ModelVersion.Status.FAILED,
                f"{killed.engine} v{killed.version}: {killed.status} ({(killed.error or '')[:60]})")  # fmt: skip
    active = active_per_engine()
    results.add("a", "exactly one active version per engine", all(n == 1 for n in active.values())
                and {"content", "clusters"} <= set(active), json.dumps(active))  # fmt: skip
    results.add("a", "the web then served the new version", bool(switched),
                f"v{new_version} served" if switched else f"v{new_version} not served within 60 s")  # fmt: skip
    served = Counter(load.served_versions)
    not_ready = [f"v{v} ({s})" for (v, s) in served if s != ModelVersion.Status.READY]
    results.add("a", "no answer came from a version not ready", bool(served) and not not_ready,
                f"{sum(served.values())} API answers from " + ", ".join(f"v{v}×{n}" for (v, _), n in served.items())
                + (f"; NOT READY: {not_ready}" if not_ready else ""))  # fmt: skip
    errors = {k: v for k, v in statuses(load.answers).items() if k != "200"}
    results.add("a", "the site answered 200 throughout", not errors, f"{len(load.answers)} requests; other: {errors}")


def scenario_crawl(stack: Stack, spotify, results: Results) -> None:
    """(b) SIGKILL the batch worker mid-crawl; the crawl is delivered again and finishes without duplicates."""
    from celery_app import app
    from ingestion.models import CrawlRun, Playlist, PlaylistTrack, Track

    print("\n(b) worker killed mid-crawl", flush=True)
    playlists = list(spotify.catalog.playlists)
    spotify.requests.clear()
    first_run = (CrawlRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
    app.send_task("ingestion.tasks.crawl_playlists_task", args=[playlists])
    running = wait_until(lambda: CrawlRun.objects.filter(pk__gt=first_run, status="running").first(), 60, 0.1)
    if not running or not wait_until(lambda: len(spotify.requests) >= 6, 60, 0.05):
        results.add("b", "a crawl started", False, f"run {running}, {len(spotify.requests)} Spotify requests")
        return
    stack.kill("worker-batch")
    asked = len(spotify.requests)
    results.add("b", "worker SIGKILLed mid-crawl", True, f"run #{running.pk} after {asked} Spotify requests")
    time.sleep(2)
    stack.start("worker-batch")
    started = time.monotonic()

    def finished() -> CrawlRun | None:
        close_db()
        return CrawlRun.objects.filter(pk__gt=running.pk, status__in=["succeeded", "partial"]).first()

    done = wait_until(finished, 240, 1)
    running.refresh_from_db()
    results.add("b", "the crawl was delivered again and finished", bool(done),
                f"run #{done.pk} {done.status} {time.monotonic() - started:.0f} s after the restart" if done
                else "no later run finished within 240 s")  # fmt: skip
    results.add("b", "the killed run is marked abandoned", running.status == "failed"
                and "abandoned" in " ".join(running.errors), f"run #{running.pk}: {running.status}")  # fmt: skip
    expected_entries = sum(len(p["track_ids"]) for p in spotify.catalog.playlists.values())
    stored = Playlist.objects.filter(source="spotify", external_id__in=playlists)
    entries = PlaylistTrack.objects.filter(playlist__in=stored)
    positions = list(entries.values_list("playlist_id", "position"))
    track_ids = list(Track.objects.filter(spotify_id__in=spotify.catalog.tracks).values_list("spotify_id", flat=True))
    results.add("b", "every playlist and entry stored once",
                stored.count() == len(playlists) and len(positions) == len(set(positions)) == expected_entries,
                f"{stored.count()}/{len(playlists)} playlists, "
                f"{len(positions)}/{expected_entries} entries")  # fmt: skip
    results.add("b", "no duplicated tracks", len(track_ids) == len(set(track_ids)) == len(spotify.catalog.tracks),
                f"{len(track_ids)} tracks stored of {len(spotify.catalog.tracks)} served")  # fmt: skip


def scenario_redis(stack: Stack, redis: PrivateRedis, load: Load, spotify, results: Results) -> None:
    """(c) Redis shut down for a few seconds under load; then new tasks must still run."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from celery_app import app
    from filters.models import TasteProfile
    from ingestion.models import CrawlRun, Track
    from ingestion.services.changes import catalog_changed
    from recommendations.models import ModelVersion, TodayList

    print("\n(c) Redis restarted under load, while a rebuild runs", flush=True)
    load.start()
    time.sleep(4)
    # A task in progress when Redis goes away (the case where a Celery worker itself may stop).
    track = Track.objects.exclude(energy__isnull=True).order_by("pk").first()
    Track.objects.filter(pk=track.pk).update(energy=round(1 - track.energy, 3))
    catalog_changed(reason="fault bench: a rebuild running while Redis restarts")
    building = wait_until(lambda: ModelVersion.objects.filter(status="building").values_list("pk", flat=True).first(),
                          90, 0.1)  # fmt: skip
    down_at = time.monotonic()
    redis.stop()
    time.sleep(6)
    redis.start()
    up_at = time.monotonic()
    time.sleep(6)
    load.stop()
    during = load.between(down_at, up_at)
    counts = statuses(during)
    results.add("c", "pages answered 200 while Redis was down", bool(during) and set(counts) == {"200"},
                f"{len(during)} requests in {up_at - down_at:.1f} s: {dict(counts)}")  # fmt: skip
    results.add("c", "no 500 while Redis was down or after", "500" not in statuses(load.answers),
                f"all: {dict(statuses(load.answers))}")  # fmt: skip
    ended = stack.restart_ended()

    def rebuilt() -> bool:
        close_db()
        return bool(building) and ModelVersion.objects.get(pk=building).status != "building" and not (
            ModelVersion.objects.filter(status="building").exists()) and ModelVersion.objects.filter(
            engine="content", is_active=True, pk__gte=building).exists()

    finished = wait_until(rebuilt, 180, 1)
    results.add("c", "the rebuild running when Redis went away finishes", bool(finished),
                f"version id {building} {'then a newer one active' if finished else 'not finished within 180 s'}")
    results.add("c", "the web server stayed up; workers/beat running or started again", stack.processes["web"].poll()
                is None, f"started again as run_prod would (exit codes): {ended}" if ended else "none stopped")
    # Tasks enqueued afterwards: a listener's list (enqueued by the web) and a crawl (sent from here).
    user, _ = User.objects.get_or_create(username="fault-after-redis")
    TasteProfile.objects.update_or_create(
        user=user, defaults={"mood": "dark", "speed": "slow", "emotion": "excited", "completed_at": timezone.now()}
    )
    import httpx
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    page = httpx.get(f"http://127.0.0.1:{stack.args.port}/today/", cookies=cookies, timeout=20, follow_redirects=True)
    ready = wait_until(lambda: TodayList.objects.filter(user=user, status="ready").exists(), 90, 1)
    results.add("c", "a listener's list enqueued afterwards is computed", bool(ready),
                f"/today/ answered {page.status_code}; list {'ready' if ready else 'not ready within 90 s'}")
    last = CrawlRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    spotify.latency = 0.0
    app.send_task("ingestion.tasks.crawl_playlists_task", args=[list(spotify.catalog.playlists)[:1]])
    crawled = wait_until(lambda: CrawlRun.objects.filter(pk__gt=last, status__in=["succeeded", "partial"]).first(),
                         90, 1)  # fmt: skip
    results.add("c", "a crawl enqueued afterwards runs", bool(crawled),
                f"run #{crawled.pk} {crawled.status}" if crawled else "no run within 90 s")  # fmt: skip


def scenario_postgres(stack: Stack, pg: PrivatePostgres, load: Load, results: Results) -> None:
    """(d) PostgreSQL stopped under load: the site's 503 page, never a 500; 200 again after the restart."""
    print("\n(d) PostgreSQL stopped under load", flush=True)
    close_db()
    load.start()
    time.sleep(4)
    pg.stop()
    down_at = time.monotonic()
    time.sleep(8)
    start_at = time.monotonic()  # until here PostgreSQL is surely down; it may answer before pg_ctl returns
    pg.start()
    up_at = time.monotonic()
    recovered = wait_until(lambda: any(a[2] == 200 for a in load.between(up_at, time.monotonic())), 60, 0.5)
    time.sleep(5)
    load.stop()
    end = time.monotonic()
    during = load.between(down_at + 0.5, start_at)  # requests in flight at the stop may still have been served
    counts = statuses(during)
    markers = Counter(a[3] for a in during if a[2] == 503)
    results.add("d", "answered 503 while PostgreSQL was down", bool(during) and set(counts) <= {"503"},
                f"{len(during)} requests in {start_at - down_at:.1f} s: {dict(counts)}")  # fmt: skip
    site_pages = markers.get("site-503", 0)
    results.add("d", "the 503 is the site's page (Retry-After)", site_pages == sum(markers.values()) > 0,
                repr(dict(markers)))  # fmt: skip
    results.add("d", "never a 500", "500" not in statuses(load.answers), f"all: {dict(statuses(load.answers))}")
    after = load.between(up_at, end)
    first_ok = next((a[0] for a in after if a[2] == 200), None)
    tail = statuses(load.between(end - 4, end))
    ended = stack.restart_ended()
    results.add("d", "the web server stayed up; workers/beat running or started again", stack.processes["web"].poll()
                is None, f"started again as run_prod would (exit codes): {ended}" if ended else "none stopped")
    first = f"first 200 {first_ok - up_at:.1f} s after the restart; " if first_ok else ""
    results.add("d", "200 again after the restart", bool(recovered) and set(tail) == {"200"},
                f"{first}last 4 s: {dict(tail)}")


# --------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument("--pg-port", type=int, default=55433)
    parser.add_argument("--redis-port", type=int, default=16380)
    parser.add_argument("--workdir", default="/tmp/i11a-fault")
    parser.add_argument("--only", default="a,b,c,d", help="Scenarios to run, comma-separated (default all).")
    args = parser.parse_args()
    only = set(args.only.split(","))
    workdir = Path(args.workdir)
    for sub in ("logs", "var", "media"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    stack = Stack(args)
    setup_django(stack)  # the fake Spotify's catalog code imports the models
    from tests.fake_spotify import FakeSpotify, small_catalog

    spotify = FakeSpotify(small_catalog(), page_limit=3).start()
    stack.connect_spotify(spotify)
    pg, redis = PrivatePostgres(workdir, args.pg_port), PrivateRedis(workdir, args.redis_port)
    results = Results()
    started = time.monotonic()
    try:
        print(f"private PostgreSQL :{args.pg_port}, Redis :{args.redis_port}, site :{args.port}, "
              f"fake Spotify {spotify.root} ({workdir})", flush=True)  # fmt: skip
        pg.init()
        redis.start()
        stack.manage("migrate", "--no-input")
        stack.manage("collectstatic", "--no-input")
        stack.manage("seed_demo", "--scale", "0.1", "--no-previews")
        stack.manage("train_recommenders", "--engine", "content", "--engine", "clusters")
        listener = make_listener()
        for name in ("web", "worker", "worker-batch", "beat"):
            stack.start(name)
        import httpx

        up = wait_until(lambda: httpx.get(f"http://127.0.0.1:{args.port}/health/", timeout=5).status_code == 200,
                        STARTUP_SECONDS, 1)  # fmt: skip
        workers = wait_until(lambda: stack.log_has("worker", "ready.") and stack.log_has("worker-batch", "ready."),
                             STARTUP_SECONDS, 1)  # fmt: skip
        if not (up and workers):
            results.add("-", "the stack started", False, f"health 200: {bool(up)}, workers ready: {bool(workers)}")
            return report(results, started)
        print(f"stack up after {time.monotonic() - started:.0f} s", flush=True)
        load = Load(args.port, listener)
        if "a" in only:
            scenario_rebuild(stack, load, results)
        if "b" in only:
            spotify.latency = 0.4
            scenario_crawl(stack, spotify, results)
            spotify.latency = 0.0
        if "c" in only:
            scenario_redis(stack, redis, Load(args.port, listener), spotify, results)
        if "d" in only:
            scenario_postgres(stack, pg, Load(args.port, listener), results)
    finally:
        stack.stop_all()
        redis.stop()
        pg.stop()
        spotify.stop()
    return report(results, started)


def report(results: Results, started: float) -> int:
    print(f"\nFault results ({time.monotonic() - started:.0f} s; load average {os.getloadavg()[0]:.1f}):\n")
    print(results.table())
    violated = [c for c in results.checks if not c.ok]
    print(f"\n{len(results.checks) - len(violated)} of {len(results.checks)} expectations met")
    return 1 if violated or not results.checks else 0


if __name__ == "__main__":
    sys.exit(main())
