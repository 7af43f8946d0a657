"""Start the whole production stack on one machine: gunicorn, two Celery workers and beat, and watch over them.

One worker takes the listeners' work and the default queue (imports, snapshots), the other the long batch work
(crawls, training), so a rebuild or a crawl waiting out Spotify never keeps a listener's list waiting.

Refuses to start with DEBUG on, without PostgreSQL or without a broker: those are what production means here.
Migrates and collects static files first (both safe to repeat), then runs the three processes until one of them
stops or it is told to stop (Ctrl-C or SIGTERM), and then stops the others.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from recommender_site.serving import cpu_cores, gunicorn_settings

BASE_DIR = Path(settings.BASE_DIR)
STOP_SECONDS = 30


class Command(BaseCommand):
    help = "Run gunicorn + one Celery worker + beat against PostgreSQL and Redis (production on one machine)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-migrate", action="store_true", help="Skip `migrate` (another machine runs it).")
        parser.add_argument("--no-beat", action="store_true", help="No beat here: exactly one per deployment.")
        parser.add_argument(
            "--worker-concurrency", type=int, default=cpu_cores(),
            help="Processes of the worker for listeners and the default queue (default: cores).",
        )  # fmt: skip
        parser.add_argument(
            "--batch-concurrency", type=int, default=2,
            help="Processes of the worker for crawls and training (default 2: one rebuild runs at a time anyway).",
        )  # fmt: skip

    def handle(self, *args, **options) -> None:
        self._refuse_unless_production()
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        call_command("collectstatic", interactive=False, verbosity=0)
        serving = gunicorn_settings()
        commands = {
            "web": [sys.executable, "-m", "gunicorn", "-c", str(BASE_DIR / "gunicorn.conf.py")],
            **worker_commands(
                concurrency={"worker": options["worker_concurrency"], "worker-batch": options["batch_concurrency"]}
            ),
        }
        if not options["no_beat"]:
            commands["beat"] = [sys.executable, "-m", "celery", "-A", "celery_app", "beat", "-l", "info"]
        self.stdout.write(
            f"Serving http://{serving.bind}/ with {serving.workers} gunicorn workers × {serving.threads} threads "
            f"({cpu_cores()} cores); Celery workers ×{options['worker_concurrency']} (listeners) and "
            f"×{options['batch_concurrency']} (crawls, training)"
            + ("" if options["no_beat"] else " and beat")
            + ". Ctrl-C stops everything."
        )
        supervise(commands, self.stdout)

    def _refuse_unless_production(self) -> None:
        problems = []
        if settings.DEBUG:
            problems.append("DJANGO_DEBUG is on: set DJANGO_DEBUG=false (and DJANGO_SECRET_KEY)")
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            problems.append("DATABASE_URL is not PostgreSQL: set DATABASE_URL=postgres://…")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            problems.append("CELERY_BROKER_URL is not set: set it to redis://… so the worker gets tasks")
        if not settings.REDIS_URL:
            problems.append("REDIS_URL is not set: web processes need one shared cache (sessions, rate limits)")
        if problems:
            raise CommandError("run_prod runs production only:\n  - " + "\n  - ".join(problems))


def worker_commands(*, concurrency: dict[str, int]) -> dict[str, list[str]]:
    """One `celery worker` per group of queues in CELERY_WORKER_GROUPS, each consuming exactly its queues."""
    return {
        name: [
            sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-l", "info",
            "--concurrency", str(concurrency[name]), "--queues", ",".join(queues), "--hostname", f"{name}@%h",
        ]
        for name, queues in settings.CELERY_WORKER_GROUPS.items()
    }  # fmt: skip


def supervise(commands: dict[str, list[str]], out) -> int:
    """Run every command; when one ends (or SIGINT/SIGTERM arrives) stop the rest, SIGTERM then SIGKILL."""
    processes = {name: subprocess.Popen(command, cwd=BASE_DIR) for name, command in commands.items()}
    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            ended = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
            if ended:
                out.write(f"stopped by itself: {ended}; stopping the others")
                break
            time.sleep(0.5)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    failed = [name for name, p in processes.items() if p.returncode not in (0, -signal.SIGTERM)]
    if failed and not stopping:
        raise CommandError(f"{', '.join(failed)} stopped with an error; see the log above")
    return 0
