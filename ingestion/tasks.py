"""Background work of the catalog; each task takes ids, calls one service and is safe to run twice."""
from __future__ import annotations

from celery import Task, shared_task

from ingestion.models import CrawlRun
from ingestion.services.audio_uploads import audio_upload_execute
from ingestion.services.crawls import crawl_new_releases, crawl_playlists, crawl_run_resume_due, crawl_runs_due
from ingestion.services.imports import import_run_execute
from ingestion.services.previews import previews_look_up
from ingestion.services.snapshots import snapshot_export


@shared_task
def run_import_task(import_run_id: int) -> str:
    """Run a queued import. A second delivery finds the run already claimed and changes nothing."""
    run = import_run_execute(run_id=import_run_id)
    return f"import run {run.pk}: {run.status}"


@shared_task
def upload_audio_task(audio_upload_id: int) -> str:
    """Match and store a queued audio upload's files. A second delivery finds it claimed and changes nothing."""
    upload = audio_upload_execute(upload_id=audio_upload_id)
    return f"audio upload {upload.pk}: {upload.status}"


@shared_task
def look_up_previews_task(track_ids: list[int] | None = None, limit: int | None = None) -> dict:
    """Look up public previews (the admin action: these tracks; else those without real features, at most
    `limit`). Safe to repeat: tracks that got a link are skipped. Returns the summary's counts."""
    summary = previews_look_up(track_ids=track_ids, limit=limit)
    return summary.as_dict()


@shared_task(bind=True)
def crawl_playlists_task(self: Task, playlist_ids: list[str]) -> str:
    """Crawl these Spotify playlists; when rate-limited for long, the run is deferred and beat resumes it."""
    run = crawl_playlists(playlist_ids=list(playlist_ids), task_id=self.request.id or "")
    return _status(run)


@shared_task(bind=True)
def crawl_new_releases_task(self: Task, limit: int | None = None) -> str:
    """The daily new-release crawl; a deferred run waits in the database until beat resumes it."""
    run = crawl_new_releases(limit=limit, task_id=self.request.id or "")
    return _status(run)


@shared_task(bind=True)
def resume_deferred_crawls_task(self: Task) -> str:
    """Resume one deferred crawl whose time has come (beat sends this every CRAWL_RESUME_CHECK_SECONDS). Two at
    once never resume the same run; when more runs are due, it sends itself again for the next one."""
    run = crawl_run_resume_due(task_id=self.request.id or "")
    if run is None:
        return "no deferred crawl is due"
    if not self.app.conf.task_always_eager and crawl_runs_due().exists():
        self.apply_async()
    return f"resumed as {_status(run)}"


def _status(run: CrawlRun) -> str:
    status = f"crawl run {run.pk}: {run.status}"
    if run.status == CrawlRun.Status.DEFERRED:
        status += f", resumed by beat after {run.resume_at.isoformat()}"
    return status


@shared_task
def export_snapshot_task(reason: str) -> str:
    """Export the catalog as a JSON snapshot to storage. Safe to repeat: each run adds one complete file."""
    return f"snapshot {snapshot_export(reason=reason)}"
