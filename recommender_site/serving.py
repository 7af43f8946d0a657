"""How many gunicorn processes and threads to run, from the environment with a default per CPU core.

Read by `gunicorn.conf.py` (so `gunicorn -c gunicorn.conf.py` and `manage.py run_prod` agree) and shown by run_prod.
Each worker process holds the site and its memory-mapped models (mapped pages are shared between processes);
threads let a worker wait on PostgreSQL or Redis for one request while another runs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from recommender_site.env import env_int, env_str


def cpu_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class GunicornSettings:
    bind: str
    workers: int
    threads: int
    timeout: int
    max_requests: int

    @property
    def worker_class(self) -> str:
        return "gthread" if self.threads > 1 else "sync"


def gunicorn_settings() -> GunicornSettings:
    """GUNICORN_BIND, GUNICORN_WORKERS (default 2 per core), GUNICORN_THREADS (4), GUNICORN_TIMEOUT (30 s) and
    GUNICORN_MAX_REQUESTS (0: never recycle a worker)."""
    return GunicornSettings(
        bind=env_str("GUNICORN_BIND", "127.0.0.1:8000"),
        workers=env_int("GUNICORN_WORKERS", 2 * cpu_cores(), minimum=1),
        threads=env_int("GUNICORN_THREADS", 4, minimum=1),
        timeout=env_int("GUNICORN_TIMEOUT", 30, minimum=1),
        max_requests=env_int("GUNICORN_MAX_REQUESTS", 0, minimum=0),
    )
