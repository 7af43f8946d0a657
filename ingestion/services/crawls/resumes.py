"""Resuming deferred crawls: the deferral waits in the database (`CrawlRun.resume_at`), beat asks for due runs.

A broker ETA would not do: Redis hands out again any message unacknowledged past its visibility timeout, and an
ETA message is held unacknowledged by a worker until its time, so a deferral of hours was delivered twice. Here
each due run is claimed by a conditional UPDATE of its `resume_at` (moved one lease ahead): of two beats or two
workers asking at once only one wins. The resuming run clears `resume_at` when it ends, whatever its outcome; if
its worker dies instead, the run comes due again when the lease runs out (CRAWL_RESUME_LEASE_SECONDS, longer than
a crawl's hard time limit), or at once when the broker delivers the same resume task again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ingestion.models import CrawlRun
from ingestion.services.crawls.new_releases import crawl_new_releases
from ingestion.services.crawls.playlists import crawl_playlists
from ingestion.spotify import SpotifyClient

logger = logging.getLogger(__name__)

CANDIDATES = 20  # due runs looked at per claim; more than two claimants racing for the same few is unlikely


def crawl_runs_due(*, now: datetime | None = None):
    """Deferred runs whose time has come and that nobody is resuming (oldest first)."""
    now = now or timezone.now()
    return CrawlRun.objects.filter(status=CrawlRun.Status.DEFERRED, resume_at__lte=now).order_by("resume_at", "pk")


def crawl_run_resume_claim(*, task_id: str = "", now: datetime | None = None) -> CrawlRun | None:
    """Claim one deferred run to resume, or None. Changes: its `resume_at`, moved one lease ahead.

    A task delivered again (its worker died while resuming) takes its own run back at once; otherwise the due run
    waiting longest. The UPDATE only matches the `resume_at` that was read, so a concurrent claim makes it 0 rows.
    """
    now = now or timezone.now()
    until = now + timedelta(seconds=settings.CRAWL_RESUME_LEASE_SECONDS)
    candidates: list[CrawlRun] = []
    if task_id:
        candidates += CrawlRun.objects.filter(
            status=CrawlRun.Status.DEFERRED, resume_at__isnull=False,
            resumed_by__task_id=task_id, resumed_by__status=CrawlRun.Status.RUNNING,
        )  # fmt: skip
    candidates += crawl_runs_due(now=now)[:CANDIDATES]
    for run in candidates:
        claimed = CrawlRun.objects.filter(pk=run.pk, status=CrawlRun.Status.DEFERRED, resume_at=run.resume_at)
        if claimed.update(resume_at=until):
            run.resume_at = until
            return run
    return None


def crawl_run_resume(
    *, run: CrawlRun, task_id: str = "", client: SpotifyClient | None = None,
    sleep: Callable[[float], None] | None = None,
) -> CrawlRun:  # fmt: skip
    """Crawl what the claimed deferred `run` left (its gaps; for new releases, its limit too); returns the new run.

    The new run may itself end deferred (Spotify still refuses), and then waits for its own `resume_at`.
    """
    logger.info("resuming deferred crawl run %s", run.pk)
    if run.kind == CrawlRun.Kind.PLAYLISTS:
        return crawl_playlists(playlist_ids=[], client=client, sleep=sleep, resumes=run, task_id=task_id)
    limit = run.parameters.get("limit") if isinstance(run.parameters.get("limit"), int) else None
    return crawl_new_releases(limit=limit, client=client, sleep=sleep, resumes=run, task_id=task_id)


def crawl_run_resume_due(*, task_id: str = "", client: SpotifyClient | None = None) -> CrawlRun | None:
    """Resume one due deferred run, if any; returns the run that resumed it. Safe to call twice at once."""
    run = crawl_run_resume_claim(task_id=task_id)
    return None if run is None else crawl_run_resume(run=run, task_id=task_id, client=client)
