"""Background work of the catalog; each task takes ids, calls one service and is safe to run twice."""
from celery import shared_task

from ingestion.services.imports import import_run_execute


@shared_task
def run_import_task(import_run_id: int) -> str:
    """Run a queued import. A second delivery finds the run already claimed and changes nothing."""
    run = import_run_execute(run_id=import_run_id)
    return f"import run {run.pk}: {run.status}"
