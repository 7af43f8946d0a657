"""Change-triggered rebuilds: the dataset's dirty marker, the rebuild lease, and the scheduled rebuilds.

The catalog counts its own changes (importers, crawlers and curation in the admin call
`ingestion.services.changes.catalog_changed`); the dataset is dirty while that count is past the one the last
successful rebuild started from (`DatasetState.rebuilt_change_count`). The catalog never needs to know us.

Beat runs `rebuild_if_dirty_task` every REBUILD_CHECK_SECONDS; it rebuilds the content and clusters engines only
when the dataset is dirty and the last rebuild started at least REBUILD_MIN_INTERVAL_SECONDS ago, so a burst of
changes costs one rebuild. It reads the change count *before* the catalog and afterwards remembers that count
as rebuilt: a change that arrives during the rebuild keeps the dataset dirty for the next one. Nightly, the same
engines are rebuilt whatever the count says; weekly, Song2Vec is retrained. Every catalog rebuild also fits the
active Song2Vec to the new catalog without retraining Word2Vec (`song2vec-refit`): tracks that no playlist holds
are placed in its space by their content the same day, and the weekly retrain learns from new playlists.

One rebuild at a time: each holds the `rebuild` lease, a row claimed by a conditional UPDATE and renewed by a
heartbeat thread while the rebuild runs; a worker that dies stops renewing, and the lease is free again after
REBUILD_LEASE_SECONDS. Training itself skips an engine whose data is unchanged, so every step is safe to repeat.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ingestion.services.changes import catalog_state
from recommendations.artifacts import installed_engines
from recommendations.models import DatasetState, ModelVersion, RebuildLease
from recommendations.services.queueing import task_queue
from recommendations.services.training import (
    NothingToTrainOn,
    TrainingFailed,
    recommender_train,
    song2vec_refit,
    training_data_read,
)

logger = logging.getLogger(__name__)

REBUILD_LEASE = "rebuild"
CATALOG_ENGINES = (ModelVersion.Engine.CONTENT.value, ModelVersion.Engine.CLUSTERS.value)  # rebuilt on changes
# Not an engine of its own: the active Song2Vec fitted to the new catalog without retraining (new tracks placed by
# content), part of every catalog rebuild; a no-op until Song2Vec has been trained once.
SONG2VEC_REFIT = "song2vec-refit"
CATALOG_REBUILD = (*CATALOG_ENGINES, SONG2VEC_REFIT)
PLAYLIST_ENGINES = (ModelVersion.Engine.SONG2VEC.value,)  # retrained weekly: Word2Vec is the slow one


class RebuildKind:
    CHANGES = "changes"
    NIGHTLY = "nightly"
    WEEKLY = "weekly"
    CURATOR = "curator"  # "Rebuild now" in the admin


# --- dirty or clean: the catalog's change count against the one last rebuilt ---


def dataset_state() -> DatasetState:
    """The singleton row (created clean if missing), with the catalog's change counter read.

    Notes when a change no rebuild has seen was made, the first time it finds one, so `dirty_since` stays the
    time of the first such change while more arrive (one conditional UPDATE; nothing when clean or noted).
    """
    try:
        with transaction.atomic():  # a savepoint: a concurrent creator's row makes our insert fail, not the caller
            state, _ = DatasetState.objects.get_or_create(pk=DatasetState.SINGLETON_PK)
    except IntegrityError:
        state = DatasetState.objects.get(pk=DatasetState.SINGLETON_PK)
    if state.is_dirty and state.dirty_noted_at is None:
        noted_at = state.catalog.last_change_at or timezone.now()
        DatasetState.objects.filter(pk=state.pk, dirty_noted_at__isnull=True).update(dirty_noted_at=noted_at)
        state.dirty_noted_at = noted_at
    return state


def _dataset_mark_rebuilt(*, seen_changes: int, read_at: datetime) -> bool:
    """Remember that the changes up to `seen_changes` are rebuilt; True if no change arrived since (clean now)."""
    rows = DatasetState.objects.filter(pk=DatasetState.SINGLETON_PK)
    rows.update(rebuilt_change_count=seen_changes, dirty_noted_at=None)
    if catalog_state().change_count == seen_changes:
        return True
    # Changes arrived during the rebuild: still dirty, and none of them is older than the catalog read.
    rows.update(dirty_noted_at=read_at)
    return False


@dataclass(frozen=True)
class NextRebuild:
    """When the catalog's changes reach the listeners: what changed last, and when the next rebuild starts."""

    changed_at: datetime | None
    change_reason: str
    due_by: datetime | None  # the latest time the change-triggered rebuild starts; None when nothing schedules one
    running: bool  # a rebuild holds the lease now


def rebuild_due_at(state: DatasetState, *, now: datetime) -> datetime:
    """When a dirty dataset may be rebuilt: now, or REBUILD_MIN_INTERVAL_SECONDS after the last rebuild started."""
    interval = timedelta(seconds=settings.REBUILD_MIN_INTERVAL_SECONDS)
    if state.last_rebuild_started_at and now < state.last_rebuild_started_at + interval:
        return state.last_rebuild_started_at + interval
    return now


def dataset_next_rebuild(*, now: datetime | None = None) -> NextRebuild | None:
    """None when the listeners already see the whole catalog (clean); else when the next rebuild starts: the first
    beat check (every REBUILD_CHECK_SECONDS) after the debounce allows it. Without a broker no beat runs, so
    nothing starts it (`due_by` None) until a curator asks (`dataset_rebuild_queue`) or the command is run."""
    now = now or timezone.now()
    # Read only (an admin page's frame asks): no row made, nothing noted; a missing row is a catalog never rebuilt.
    state = DatasetState.objects.filter(pk=DatasetState.SINGLETON_PK).first() or DatasetState()
    if not state.is_dirty:
        return None
    lease = RebuildLease.objects.filter(name=REBUILD_LEASE).first()
    due_by = None
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        due_by = rebuild_due_at(state, now=now) + timedelta(seconds=settings.REBUILD_CHECK_SECONDS)
    return NextRebuild(
        changed_at=state.last_change_at,
        change_reason=state.last_change_reason,
        due_by=due_by,
        running=bool(lease and lease.is_held()),
    )


def dataset_rebuild_queue() -> None:
    """Queue a rebuild of the catalog engines now, whatever the debounce says (the admin's "Rebuild now"); runs
    after the commit, on a worker or without a broker on a thread of this process. Safe to repeat: a second one
    finds the lease taken or the data unchanged."""
    from recommendations.tasks import rebuild_now_task  # tasks import the services

    task_queue(rebuild_now_task)


# --- the lease ---


@dataclass(frozen=True)
class Lease:
    name: str
    token: str
    holder: str


def lease_claim(*, name: str, holder: str, seconds: int) -> Lease | None:
    """Take the lease `name` for `seconds` if it is free or expired; None while someone else holds it."""
    try:
        with transaction.atomic():
            RebuildLease.objects.get_or_create(name=name)
    except IntegrityError:
        pass  # created by a concurrent claimant
    now = timezone.now()
    token = uuid.uuid4().hex
    free = Q(expires_at__isnull=True) | Q(expires_at__lte=now)
    claimed = RebuildLease.objects.filter(free, name=name).update(
        holder=holder[:300], token=token, acquired_at=now, expires_at=now + timedelta(seconds=seconds)
    )
    return Lease(name, token, holder) if claimed else None


def lease_renew(lease: Lease, *, seconds: int) -> bool:
    """Push the lease's expiry forward; False if it was lost (it expired and someone else took it)."""
    expires_at = timezone.now() + timedelta(seconds=seconds)
    return bool(RebuildLease.objects.filter(name=lease.name, token=lease.token).update(expires_at=expires_at))


def lease_release(lease: Lease) -> None:
    """Free the lease if we still hold it; safe to call twice."""
    RebuildLease.objects.filter(name=lease.name, token=lease.token).update(holder="", token="", expires_at=None)


@contextmanager
def rebuild_lease(*, kind: str) -> Iterator[Lease | None]:
    """Hold the rebuild lease (renewed in the background) for the block; yields None if it is taken."""
    seconds = settings.REBUILD_LEASE_SECONDS
    lease = lease_claim(name=REBUILD_LEASE, holder=f"{socket.gethostname()}:{os.getpid()} {kind}", seconds=seconds)
    if lease is None:
        yield None
        return
    heartbeat = _Heartbeat(lease, seconds)
    heartbeat.start()
    try:
        yield lease
    finally:
        heartbeat.stop()
        lease_release(lease)


class _Heartbeat(threading.Thread):
    """Renews a lease every third of its duration until stopped; uses (and closes) its own DB connection."""

    def __init__(self, lease: Lease, seconds: int) -> None:
        super().__init__(name=f"lease-{lease.name}", daemon=True)
        self.lease, self.seconds = lease, seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.seconds / 3):
                if not lease_renew(self.lease, seconds=self.seconds):
                    logger.warning("lease %s lost by %s", self.lease.name, self.lease.holder)
                    return
        except Exception:  # a failed renewal must not kill the rebuild; the lease just expires
            logger.exception("renewing lease %s failed", self.lease.name)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


# --- the rebuilds ---


@dataclass
class RebuildOutcome:
    """What a scheduled rebuild did: `status` is rebuilt, failed, clean, debounced or locked."""

    kind: str
    status: str
    engines: dict[str, str] = field(default_factory=dict)  # engine -> what training did
    detail: str = ""

    def __str__(self) -> str:
        parts = [f"{self.kind} rebuild: {self.status}"]
        parts += [f"{engine} {result}" for engine, result in self.engines.items()]
        return "; ".join(parts + ([self.detail] if self.detail else []))


def dataset_rebuild_if_dirty(*, now: datetime | None = None) -> RebuildOutcome:
    """Rebuild the catalog engines if the dataset is dirty and the last rebuild started long enough ago.

    Changes: new model versions (activated), the dirty flag cleared for the changes seen. Safe to run at any
    time and twice at once: a clean dataset, a recent rebuild or a held lease make it return without work.
    """
    now = now or timezone.now()
    state = dataset_state()
    if not state.is_dirty:
        return RebuildOutcome(RebuildKind.CHANGES, "clean")
    next_at = rebuild_due_at(state, now=now)
    if next_at > now:
        return RebuildOutcome(RebuildKind.CHANGES, "debounced", detail=f"next rebuild after {next_at:%H:%M:%S}")
    return _rebuild(kind=RebuildKind.CHANGES, engines=CATALOG_REBUILD, only_if_dirty=True)


def dataset_rebuild(*, kind: str, engines: Sequence[str], force: bool = False) -> RebuildOutcome:
    """Rebuild `engines` now, dirty or not (the nightly and weekly runs); an engine whose data is unchanged is
    skipped unless `force`. Waits for no one: returns `locked` if another rebuild holds the lease."""
    return _rebuild(kind=kind, engines=engines, force=force)


def _rebuild(*, kind: str, engines: Sequence[str], force: bool = False, only_if_dirty: bool = False) -> RebuildOutcome:
    with rebuild_lease(kind=kind) as lease:
        if lease is None:
            holder = RebuildLease.objects.filter(name=REBUILD_LEASE).values_list("holder", flat=True).first()
            return RebuildOutcome(kind, "locked", detail=f"held by {holder}")
        read_at = timezone.now()
        state = dataset_state()  # read under the lease: a rebuild that just finished may have cleaned it
        if only_if_dirty and not state.is_dirty:
            return RebuildOutcome(kind, "clean")
        DatasetState.objects.filter(pk=state.pk).update(last_rebuild_started_at=read_at, last_rebuild_kind=kind)
        outcome = _train(kind=kind, engines=engines, force=force)
        if outcome.status == "rebuilt" and set(CATALOG_ENGINES) <= set(engines):
            _dataset_mark_rebuilt(seen_changes=state.change_count, read_at=read_at)
        DatasetState.objects.filter(pk=state.pk).update(
            last_rebuild_finished_at=timezone.now(), last_rebuild_summary=str(outcome)
        )
    logger.info("%s", outcome)
    return outcome


def _train(*, kind: str, engines: Sequence[str], force: bool) -> RebuildOutcome:
    """Train each installed engine of `engines` on one read of the catalog; failures are recorded per engine."""
    installed = installed_engines()
    song2vec = ModelVersion.Engine.SONG2VEC.value
    refit = (
        SONG2VEC_REFIT in engines
        and song2vec in installed
        and ModelVersion.objects.filter(engine=song2vec, is_active=True).exists()  # else: the weekly run trains it
    )
    engines = [engine for engine in engines if engine in installed] + ([SONG2VEC_REFIT] if refit else [])
    outcome = RebuildOutcome(kind, "rebuilt")
    data = training_data_read(engines=[engine for engine in engines if engine != SONG2VEC_REFIT])
    for engine in engines:
        try:
            if engine == SONG2VEC_REFIT:
                version = song2vec_refit(data=data)
            else:
                version = recommender_train(engine=engine, force=force, data=data)
        except NothingToTrainOn as error:
            outcome.engines[engine] = f"nothing to train on ({error})"
        except TrainingFailed as error:
            outcome.status = "failed"
            outcome.engines[engine] = f"failed: {error.reason}"
        else:
            outcome.engines[engine] = "unchanged" if version is None else f"v{version.version} {version.status}"
    return outcome
