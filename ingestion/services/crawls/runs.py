"""CrawlRun bookkeeping: start a run (taking over the previous run's gaps), collect what happens, finish it."""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone

from ingestion.importers.records import ArtistRecord
from ingestion.models import CrawlRun
from ingestion.services.catalog import UpsertSummary
from ingestion.services.changes import catalog_changed
from ingestion.spotify import SpotifyClient, SpotifyDeferred

logger = logging.getLogger(__name__)

MAX_STORED_ERRORS = 200
# Units a run re-crawls (playlists; new-release albums) and items it fetches again when it meets them.
GAP_KINDS = ("playlists", "albums", "tracks", "album_details", "artists", "audio_features")


@dataclass
class CrawlContext:
    """What one run knows while it works; the filler and the crawlers write into it."""

    run: CrawlRun
    client: SpotifyClient
    summary: UpsertSummary = field(default_factory=UpsertSummary)
    inherited: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    gaps: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    refused: set[str] = field(default_factory=set)  # endpoints Spotify refused this run: use the fallback
    to_estimate: set[str] = field(default_factory=set)  # track ids still without Spotify's features
    full_artists: dict[str, ArtistRecord] = field(default_factory=dict)  # fetched this run, by id
    full_albums: dict[str, dict] = field(default_factory=dict)  # album objects fetched this run, by id
    estimated: int = 0

    def gap(self, kind: str, ids: Iterable[str]) -> None:
        self.gaps[kind].update(ids)

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(message)

    def forced(self, kind: str, item_id: str) -> bool:
        """The previous run could not fetch this item: fetch it again even if the catalog looks complete."""
        return item_id in self.inherited.get(kind, ())


def crawl_run_start(
    *, kind: str, parameters: dict, client: SpotifyClient, resumes: CrawlRun | None = None, task_id: str = ""
) -> CrawlContext:
    """Create a running CrawlRun that takes over the gaps of the latest earlier run of the same kind (and, when it
    resumes a deferred run, that run's gaps too).

    They are written on the new run at once, so a run killed midway still hands them on. A run left running by
    the same task (delivered again because its worker died) or by an earlier resume of the same deferred run is
    marked failed as abandoned: it will never finish.
    """
    now = timezone.now()
    if task_id:
        _abandon(CrawlRun.objects.filter(task_id=task_id, status=CrawlRun.Status.RUNNING), now)
    if resumes is not None and resumes.resumed_by_id is not None:
        _abandon(CrawlRun.objects.filter(pk=resumes.resumed_by_id, status=CrawlRun.Status.RUNNING), now)
    previous = CrawlRun.objects.filter(kind=kind).order_by("-id").values_list("gaps", flat=True).first() or {}
    inherited: dict[str, set[str]] = defaultdict(set)
    for gaps in (previous, resumes.gaps if resumes is not None else {}):
        for gap_kind, ids in gaps.items():
            if gap_kind in GAP_KINDS:
                inherited[gap_kind].update(ids)
    if resumes is not None:
        parameters = {**parameters, "resumes": resumes.pk}
    run = CrawlRun.objects.create(
        kind=kind, parameters=parameters, started=now, gaps=_as_json(inherited), task_id=task_id[:50]
    )
    if resumes is not None:
        CrawlRun.objects.filter(pk=resumes.pk).update(resumed_by=run)
    return CrawlContext(run=run, client=client, inherited=inherited)


def _abandon(runs, now) -> None:
    for run in runs:
        run.status, run.finished = CrawlRun.Status.FAILED, now
        run.errors = [*run.errors, "abandoned: its worker stopped before the run finished; a later run took it over"]
        run.save(update_fields=["status", "finished", "errors"])
        logger.warning("crawl run %s abandoned (its worker stopped)", run.pk)


def crawl_run_finish(context: CrawlContext, *, deferred: SpotifyDeferred | None = None,
                     failure: BaseException | None = None) -> CrawlRun:
    """Write the run's outcome; if the catalog changed, record the change (and export a snapshot). Returns the run.

    A deferred run gets `resume_at` (beat resumes it then); the deferred run this one resumed, if any, is done
    waiting whatever this one's outcome (its work is this run's now, gaps included).
    """
    run = context.run
    run.finished = timezone.now()
    run.counts = crawl_counts(context)
    run.errors = context.errors
    run.gaps = _as_json(context.gaps)
    if failure is not None:
        run.status = CrawlRun.Status.FAILED
        context.error(f"the run failed: {type(failure).__name__}: {failure}")
        run.gaps = _as_json({**context.inherited, **context.gaps})  # nothing inherited was done for sure
        run.errors = context.errors
    elif deferred is not None:
        run.status = CrawlRun.Status.DEFERRED
        run.deferred_until = run.resume_at = deferred.until
    elif context.gaps or context.error_count:
        run.status = CrawlRun.Status.PARTIAL
    else:
        run.status = CrawlRun.Status.SUCCEEDED
    run.save()
    CrawlRun.objects.filter(resumed_by=run).update(resume_at=None)
    if _changed_the_catalog(context.summary):
        # The reason is a record, kept in English whatever the language of the request that ran the crawl.
        catalog_changed(reason=f"{run.kind.replace('_', ' ')} crawl #{run.pk}", export_snapshot=True)
    return run


def crawl_counts(context: CrawlContext) -> dict:
    return {
        **context.summary.as_dict(),
        "requests": context.client.stats.requests,
        "retries": context.client.stats.retries,
        "features_estimated": context.estimated,
        "errors": context.error_count,
        "refused_endpoints": sorted(context.refused),
    }


def _changed_the_catalog(summary: UpsertSummary) -> bool:
    kinds = (summary.tracks, summary.artists, summary.albums, summary.playlists)
    return any(counts.created or counts.updated for counts in kinds)


def _as_json(gaps: dict[str, set[str]]) -> dict[str, list[str]]:
    return {kind: sorted(ids) for kind, ids in gaps.items() if ids}


def crawl_run_summary(run: CrawlRun) -> list[str]:
    """The lines the commands print (and the admin's message) for a finished run."""
    counts = run.counts
    lines = [f"{run.get_kind_display().capitalize()} crawl #{run.pk}: {run.get_status_display()}"]
    if run.deferred_until:
        lines.append(f"  deferred until {run.deferred_until.isoformat()} (Spotify's rate limit)" + (
            "; beat resumes it then" if run.resume_at else ""
        ))
    for kind in ("playlists", "tracks", "artists", "albums"):
        found = counts.get(kind, {})
        lines.append(
            f"  {kind + ':':<10} {found.get('created', 0)} created, {found.get('updated', 0)} updated, "
            f"{found.get('unchanged', 0)} unchanged"
        )
    lines.append(f"  features:  {counts.get('features_estimated', 0)} estimated from similar tracks")
    lines.append(f"  requests:  {counts.get('requests', 0)} ({counts.get('retries', 0)} retries)")
    if counts.get("refused_endpoints"):
        lines.append(f"  refused:   {', '.join(counts['refused_endpoints'])} (fallbacks used)")
    if run.gaps:
        left = ", ".join(f"{len(ids)} {kind}" for kind, ids in run.gaps.items())
        lines.append(f"  left for the next run: {left}")
    for error in run.errors:
        lines.append(f"  error: {error}")
    return lines


def crawl_run_as_json(run: CrawlRun) -> dict:
    return {
        "run": run.pk,
        "kind": run.kind,
        "status": run.status,
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat() if run.finished else None,
        "deferred_until": run.deferred_until.isoformat() if run.deferred_until else None,
        "resume_at": run.resume_at.isoformat() if run.resume_at else None,
        "resumed_by": run.resumed_by_id,
        "counts": run.counts,
        "gaps": run.gaps,
        "errors": run.errors,
    }
