"""Training: read the catalog, fit an engine, store its artifact and activate it, or skip when nothing changed.

A build is a `ModelVersion` row that goes building -> ready (and active) or building -> failed. The row is
activated only after every file is in storage, in one transaction that also deactivates the previous version,
so a build that raises, or a process killed half-way, leaves the previous version serving. A killed build's
row stays `building` until the next training run on any host notices its process is gone (same host) or it is
older than STALE_BUILD_AFTER, and marks it failed. After each activation, ready versions beyond the newest
KEPT_READY_VERSIONS are retired: their files are removed, their rows (and metrics) stay.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from tqdm import tqdm

from recommendations.artifacts import (
    SONG2VEC,
    EngineSpec,
    active_model,
    artifact_delete,
    artifact_prefix,
    artifact_upload,
    engine_spec,
    installed_engines,
)
from recommendations.engines import Engine
from recommendations.engines.cf import ListenerRow
from recommendations.engines.features import ARTIFACT_FORMAT, CatalogSnapshot
from recommendations.models import ModelVersion
from recommendations.selectors import catalog_snapshot, listener_rows, training_playlist_pks, training_playlists
from recommendations.services import training_blend
from recommendations.services.audio import AudioTrainingSet, audio_training_set
from recommendations.services.queueing import task_queue

logger = logging.getLogger(__name__)

KEPT_READY_VERSIONS = 3  # per engine, the active one included: enough to roll back twice
STALE_BUILD_AFTER = timedelta(hours=6)  # a build still "building" after this long died on another host
VERSION_ALLOCATION_ATTEMPTS = 3
# Builds running in this process, so a "building" row with our own pid that is not among them is known dead.
_builds_in_progress: set[int] = set()


class NothingToTrainOn(Exception):
    """The catalog lacks what the engine needs (no playlists for Song2Vec); nothing was recorded."""


class TrainingFailed(Exception):
    """A build failed; its version is marked failed and the previous version stays active."""

    def __init__(self, version: ModelVersion, reason: str) -> None:
        super().__init__(f"{version} failed: {reason}")
        self.version = version
        self.reason = reason


@dataclass
class TrainingData:
    """What engines are fitted on, read once and shared when several engines are trained in a row."""

    catalog: CatalogSnapshot
    read_at: datetime
    playlists: list[tuple[str, list[int]]] | None = None
    listeners: list[ListenerRow] | None = None  # likes and favourites kept, dislikes (collaborative filtering)
    playlist_pks: list[int] | None = None  # the pk of each of `playlists` (which ones the blend's ranker learnt on)
    audio: AudioTrainingSet | None = None  # read (and analysed) by the first engine that reads audio

    @classmethod
    def read(cls, *, with_playlists: bool, with_listeners: bool = False) -> TrainingData:
        read_at = timezone.now()  # before reading: a change made during the read counts as "after"
        playlists = training_playlists() if with_playlists else None
        pks = training_playlist_pks() if with_playlists else None
        if playlists is not None and pks is not None and len(pks) != len(playlists):
            pks = None  # a playlist filled or emptied between the two reads: the ranker names positions instead
        return cls(catalog_snapshot(), read_at, playlists, listener_rows() if with_listeners else None, pks)

    @cached_property
    def catalog_digest(self) -> bytes:
        catalog = self.catalog
        digest = hashlib.sha256()
        for array in (catalog.track_ids, catalog.features, catalog.has_features, catalog.release_ordinal,
                      catalog.popularity, catalog.hidden):  # fmt: skip
            _update_with_array(digest, array)
        for texts in (catalog.names, catalog.artist_names, ("\x1f".join(genres) for genres in catalog.genres)):
            _update_with_texts(digest, texts)
        return digest.digest()

    @cached_property
    def playlists_digest(self) -> bytes:
        digest = hashlib.sha256()
        playlists = self.playlists or []
        _update_with_texts(digest, (name for name, _ in playlists))
        _update_with_array(digest, np.array([len(tracks) for _, tracks in playlists], dtype=np.int64))
        _update_with_array(digest, np.fromiter((pk for _, tracks in playlists for pk in tracks), dtype=np.int64))
        return digest.digest()

    @cached_property
    def listeners_digest(self) -> bytes:
        digest = hashlib.sha256()
        for row in self.listeners or []:
            _update_with_array(digest, np.asarray(row.positive_ids, dtype=np.int64))
            _update_with_array(digest, np.asarray(row.negative_ids, dtype=np.int64))
        return digest.digest()

    @cached_property
    def audio_digest(self) -> bytes:
        digest = hashlib.sha256()
        audio = self.audio
        _update_with_array(digest, np.array(audio.track_ids, dtype=np.int64))
        for array in (audio.descriptors, audio.targets, audio.measured, audio.truth):
            _update_with_array(digest, np.asarray(array, dtype=np.float64))
        return digest.digest()


def _update_with_array(digest: Any, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array)
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(memoryview(array).cast("B"))


def _update_with_texts(digest: Any, texts: Iterable[str]) -> None:
    # Separators that cannot occur in names, so ["ab", "c"] and ["a", "bc"] differ.
    digest.update("\x1e".join(texts).encode("utf-8", "surrogatepass"))
    digest.update(b"\x1d")


def training_data_hash(*, spec: EngineSpec, params: dict[str, Any], data: TrainingData) -> str:
    """sha256 of what an engine would be fitted on: the catalog (and playlists if it uses them) and parameters."""
    digest = hashlib.sha256()
    header = {"engine": spec.name, "params": params, "artifact_format": ARTIFACT_FORMAT}
    digest.update(json.dumps(header, sort_keys=True).encode())
    digest.update(data.audio_digest if spec.reads_audio else data.catalog_digest)
    if spec.uses_playlists:
        digest.update(data.playlists_digest)
    if spec.uses_listeners:
        digest.update(data.listeners_digest)
    return digest.hexdigest()


def training_data_read(*, engines: Sequence[str]) -> TrainingData:
    """The catalog (and playlists, listeners, if one of `engines` uses them), read once for all of them."""
    specs = [engine_spec(name) for name in engines]
    return TrainingData.read(
        with_playlists=any(spec.uses_playlists for spec in specs),
        with_listeners=any(spec.uses_listeners for spec in specs),
    )


def recommender_train(
    *, engine: str, force: bool = False, data: TrainingData | None = None, progress: bool = False
) -> ModelVersion | None:
    """Fit `engine` on the catalog, store the artifact and make it the active version.

    Returns the new version; None when the active version was fitted on the same data and parameters; or
    the `building` version of another process already fitting the same data (both unless `force`).
    Raises TrainingFailed (the version marked failed, the previous one still active) when fitting or storing
    fails, and NothingToTrainOn (recording nothing) when the catalog lacks what the engine needs.
    Safe to re-run: an unchanged catalog is skipped; a changed one makes a new version.
    """
    spec = engine_spec(engine)
    data = data or TrainingData.read(with_playlists=spec.uses_playlists, with_listeners=spec.uses_listeners)
    if spec.uses_listeners and data.listeners is None:  # read for other engines: add what this one needs
        data.listeners = listener_rows()
    if spec.reads_audio and data.audio is None:
        data.audio = audio_training_set(progress=progress)
    _check_enough_data(spec, data)
    model_versions_fail_abandoned(engine=engine)
    params = spec.params()
    data_hash = training_data_hash(spec=spec, params=params, data=data)
    active = ModelVersion.objects.filter(engine=engine, is_active=True).first()
    if active is not None and active.data_hash == data_hash and not force:
        logger.info("%s: data unchanged since v%s (%s), skipped", engine, active.version, active.short_hash)
        return None
    running = ModelVersion.objects.filter(engine=engine, status=ModelVersion.Status.BUILDING, data_hash=data_hash)
    if (already := running.first()) is not None and not force:
        logger.info("%s: v%s is being built from this data by %s, skipped", engine, already.version, already.builder)
        return already
    version = _version_create(engine=engine, data_hash=data_hash, params=params, catalog_read_at=data.read_at)
    version = _version_finish(version, _build_or_fail(spec, version, data, progress))
    model_versions_retire(engine=engine)
    return version


def recommender_train_queue(*, engines: Iterable[str]) -> list[str]:
    """Queue a training of each installed engine of `engines`, run after the commit (without a broker on a thread
    of this process, `services.queueing`; a failure is recorded on its version, not raised). Returns the engines
    queued. Safe to repeat: a training that finds its data unchanged is skipped."""
    from recommendations.tasks import train_recommenders_task  # tasks import the services

    queued = sorted(set(engines) & set(installed_engines()))
    for engine in queued:
        task_queue(train_recommenders_task, engine)
    return queued


def song2vec_refit(*, data: TrainingData | None = None) -> ModelVersion | None:
    """Fit the active Song2Vec version to today's catalog without retraining Word2Vec, as a new active version.

    Tracks added since (new releases) get a place in the vector space from their content, and hidden flags are
    refreshed; the playlists' vectors stay as trained (`Song2VecEngine.with_catalog`). Seconds instead of the
    minutes of a retrain, so the change-triggered rebuild can do it; the weekly retrain learns from new playlists.
    Returns None when no Song2Vec version is active or the catalog is the one the active version was fitted to.
    Raises TrainingFailed like `recommender_train` (the previous version stays active). Safe to re-run.
    """
    spec = engine_spec(SONG2VEC.name)
    active = ModelVersion.objects.filter(engine=spec.name, is_active=True).first()
    if active is None:
        return None
    data = data or TrainingData.read(with_playlists=False)
    if len(data.catalog) == 0:
        return None
    trained_on = active.params.get("refit_of", active.data_hash)  # the Word2Vec training these vectors came from
    params = {**{k: v for k, v in active.params.items() if k != "refit_of"}, "refit_of": trained_on}
    digest = hashlib.sha256(json.dumps({"engine": spec.name, "params": params}, sort_keys=True).encode())
    digest.update(data.catalog_digest)
    data_hash = digest.hexdigest()
    if active.data_hash == data_hash:
        return None
    model_versions_fail_abandoned(engine=spec.name)
    base = active_model(SONG2VEC).engine
    version = _version_create(engine=spec.name, data_hash=data_hash, params=params, catalog_read_at=data.read_at)
    metrics = _build_or_fail(spec, version, data, False, fit=lambda: base.with_catalog(data.catalog))
    version = _version_finish(version, metrics)
    model_versions_retire(engine=spec.name)
    return version


def _check_enough_data(spec: EngineSpec, data: TrainingData) -> None:
    """NothingToTrainOn for an empty catalog, or no playlists for an engine fitted on them."""
    if len(data.catalog) == 0:
        raise NothingToTrainOn("the catalog is empty: import tracks (import_catalog) or run seed_demo first")
    if spec.uses_playlists and not data.playlists:
        raise NothingToTrainOn(f"{spec.name} learns from playlists and there are none: run import_playlists first")
    if spec.reads_audio and not data.audio.track_ids:
        raise NothingToTrainOn(
            f"{spec.name} learns from tracks with both audio (an audio file or a preview) and real features "
            "(from Spotify or a file), and there are none: upload audio files in the admin, or run seed_demo"
        )


def _version_create(*, engine: str, data_hash: str, params: dict, catalog_read_at: datetime) -> ModelVersion:
    """A `building` row with the next version number (retried if a concurrent build took that number)."""
    for attempt in range(VERSION_ALLOCATION_ATTEMPTS):
        try:
            with transaction.atomic():
                last = ModelVersion.objects.filter(engine=engine).aggregate(last=Max("version"))["last"] or 0
                return ModelVersion.objects.create(
                    engine=engine,
                    version=last + 1,
                    data_hash=data_hash,
                    params=params,
                    storage_path=artifact_prefix(engine=engine, version=last + 1, data_hash=data_hash),
                    builder=_builder(),
                    catalog_read_at=catalog_read_at,
                )
        except IntegrityError:
            if attempt == VERSION_ALLOCATION_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _build_or_fail(
    spec: EngineSpec, version: ModelVersion, data: TrainingData, progress: bool, fit: Callable[[], Engine] | None = None
) -> dict[str, Any]:
    """The build's metrics; on any error the version is marked failed (its stored files removed) first."""
    _builds_in_progress.add(version.pk)
    try:
        return _build(spec, version, data, progress, fit)
    except Exception as error:
        _version_fail(version, f"{type(error).__name__}: {error}")
        raise TrainingFailed(version, str(error) or type(error).__name__) from error
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C, a worker's warm shutdown; a SIGKILL runs nothing at all
        _version_fail(version, "interrupted")
        raise
    finally:
        _builds_in_progress.discard(version.pk)


def _build(
    spec: EngineSpec, version: ModelVersion, data: TrainingData, progress: bool, fit: Callable[[], Engine] | None
) -> dict[str, Any]:
    """Fit (or `fit()`), save to a local temp folder, upload; returns the metrics."""
    started = time.perf_counter()
    model = fit() if fit is not None else _fit(spec, version.params, data, progress)
    fitted = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"train-{spec.name}-") as temporary:
        folder = Path(temporary) / "artifact"
        model.save(folder)
        artifact_bytes = artifact_upload(folder, version.storage_path)
    timings = {"fit_seconds": fitted - started, "save_seconds": time.perf_counter() - fitted}
    return _metrics(spec, model, data, timings, artifact_bytes)


def _fit(spec: EngineSpec, params: dict[str, Any], data: TrainingData, progress: bool) -> Engine:
    engine_class = spec.engine_class()
    if spec.reads_audio:
        audio = data.audio
        return engine_class.fit(audio.descriptors, audio.targets, measured=audio.measured, truth=audio.truth, **params)
    if spec.name in training_blend.FITS:  # cf, terms, blend: playlists and listeners, no catalog-only fit
        return training_blend.FITS[spec.name](data, params)
    if spec.name == ModelVersion.Engine.SONG2VEC:
        # Word2Vec is the one long fit (minutes on a large MPD slice): a bar per epoch when asked for.
        from recommendations.engines.song2vec.vectors import Word2VecParams

        epochs = Word2VecParams().epochs
        with tqdm(total=epochs, unit="epoch", desc="song2vec", disable=not progress, file=sys.stderr) as bar:
            return engine_class.fit(data.playlists, catalog=data.catalog, on_epoch=lambda _: bar.update(), **params)
    return engine_class.fit(data.catalog, **params)


def _version_finish(version: ModelVersion, metrics: dict[str, Any]) -> ModelVersion:
    """Mark ready and activate, unless a newer version finished first (then it stays ready, not active)."""
    with transaction.atomic():
        if ModelVersion.objects.select_for_update().get(pk=version.pk).status != ModelVersion.Status.BUILDING:
            # Another run took it for abandoned (it ran past STALE_BUILD_AFTER) and removed its files.
            raise TrainingFailed(version, "marked failed by another run while it was still building")
        current = ModelVersion.objects.select_for_update().filter(engine=version.engine, is_active=True).first()
        newer_is_active = current is not None and current.version > version.version
        if current is not None and not newer_is_active:
            current.is_active = False
            current.save(update_fields=["is_active"])
        version.status = ModelVersion.Status.READY
        version.is_active = not newer_is_active
        version.metrics = metrics
        version.finished_at = timezone.now()
        version.save(update_fields=["status", "is_active", "metrics", "finished_at"])
    logger.info("%s v%s (id %s) ready%s", version.engine, version.version, version.pk,
                " and active" if version.is_active else "; a newer version is active")  # fmt: skip
    return version


def _version_fail(version: ModelVersion, reason: str) -> None:
    """Record the failure and remove whatever part of the artifact was stored. Never raises."""
    logger.error("%s v%s (id %s) failed: %s", version.engine, version.version, version.pk, reason)
    try:
        ModelVersion.objects.filter(pk=version.pk, status=ModelVersion.Status.BUILDING).update(
            status=ModelVersion.Status.FAILED, error=reason[:10_000], finished_at=timezone.now()
        )
        version.refresh_from_db()
        artifact_delete(version.storage_path)
    except Exception:
        logger.exception("could not clean up failed build %s (id %s)", version, version.pk)


def model_versions_fail_abandoned(*, engine: str) -> int:
    """Mark failed the builds of `engine` whose process is gone; returns how many. Safe to run any time."""
    building = ModelVersion.objects.filter(engine=engine, status=ModelVersion.Status.BUILDING)
    abandoned = [row for row in building if _is_abandoned(row)]
    for row in abandoned:
        _version_fail(row, f"abandoned: the build ({row.builder or 'unknown process'}) stopped before finishing")
    return len(abandoned)


def _builder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _is_abandoned(row: ModelVersion) -> bool:
    if timezone.now() - row.created_at > STALE_BUILD_AFTER:
        return True
    host, _, pid = row.builder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's build: only its age can tell
    if int(pid) == os.getpid():
        return row.pk not in _builds_in_progress
    return not _process_exists(int(pid))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def model_versions_retire(*, engine: str, keep: int = KEPT_READY_VERSIONS) -> int:
    """Remove the files of ready versions beyond the newest `keep` (the active one always stays); returns how many.

    Processes that still map a removed version keep their open files; none loads it again. Safe to re-run.
    """
    inactive = ModelVersion.objects.filter(engine=engine, status=ModelVersion.Status.READY, is_active=False)
    has_active = ModelVersion.objects.filter(engine=engine, is_active=True).exists()
    retired = 0
    for version in inactive.order_by("-version")[keep - 1 if has_active else keep :]:
        # Conditional: a version activated meanwhile (a rollback) is not retired.
        claimed = ModelVersion.objects.filter(pk=version.pk, status=ModelVersion.Status.READY, is_active=False).update(
            status=ModelVersion.Status.RETIRED
        )
        if claimed:
            artifact_delete(version.storage_path)
            retired += 1
    return retired


def model_version_activate(*, version_id: int) -> ModelVersion:
    """Make a ready version the active one of its engine (e.g. roll back). Re-running changes nothing."""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
        if version.status != ModelVersion.Status.READY:
            # Worded in the language of whoever asked: the admin shows it as its message.
            raise ValueError(gettext("%(version)s is %(status)s: only a ready version can be activated") % {
                "version": version, "status": version.get_status_display()})
        if not version.is_active:
            ModelVersion.objects.filter(engine=version.engine, is_active=True).update(is_active=False)
            version.is_active = True
            version.save(update_fields=["is_active"])
    return version


# --- metrics: what is cheap to know about a build ---


def _metrics(
    spec: EngineSpec, model: Any, data: TrainingData, timings: dict[str, float], artifact_bytes: int
) -> dict[str, Any]:
    catalog = data.catalog
    metrics: dict[str, Any] = {
        "tracks": len(catalog),
        "tracks_with_features": int(np.count_nonzero(catalog.has_features)),
        "hidden_tracks": int(np.count_nonzero(catalog.hidden)),
        **{name: round(seconds, 3) for name, seconds in timings.items()},
        "artifact_bytes": artifact_bytes,
    }
    if spec.uses_playlists:
        metrics["playlists"] = len(data.playlists or [])
    if spec.name == ModelVersion.Engine.CONTENT:
        metrics["genre_lists"] = int(model.genres.doc_tfidf.shape[0])
        metrics["genre_vocabulary"] = len(model.genres.vocabulary)
    if spec.name == ModelVersion.Engine.CLUSTERS:
        metrics["cluster_sizes"] = [profile.size for profile in model.profiles]
        metrics["mean_squared_distance"] = _cluster_mean_squared_distance(model, catalog)
    if spec.name == ModelVersion.Engine.SONG2VEC:
        metrics.update(_song2vec_metrics(model))
    if spec.reads_audio:
        metrics.update(model.metrics(), audio_unreadable=data.audio.failed)
    metrics.update(training_blend.metrics(spec.name, model, data))
    return metrics


def _song2vec_metrics(model: Any) -> dict[str, Any]:
    """How many tracks Song2Vec can recommend, and how it placed them (playlists or, for new ones, content)."""
    from recommendations.engines.song2vec.placement import PLACED_BY_CONTENT, PLACED_BY_PLAYLISTS

    placement = np.bincount(np.asarray(model.placement, dtype=np.int64), minlength=3)
    return {
        "placed_by_playlists": int(placement[PLACED_BY_PLAYLISTS]),
        "placed_by_content": int(placement[PLACED_BY_CONTENT]),
        "word2vec_seconds": model.stats.get("train_seconds"),
    }


def _cluster_mean_squared_distance(model: Any, catalog: CatalogSnapshot) -> float | None:
    """k-means inertia per featured track, in standardised units: lower is tighter clusters."""
    rows = np.flatnonzero(catalog.has_features & (np.asarray(model.labels) >= 0))
    if len(rows) == 0:
        return None
    features = catalog.features[rows].astype(np.float64)
    medians = np.nan_to_num(np.nanmedian(features, axis=0)) if np.isnan(features).any() else 0.0
    features = np.where(np.isnan(features), medians, features)
    standardised = (features - model.scaler_mean) / model.scaler_scale
    gaps = standardised - np.asarray(model.centroids)[np.asarray(model.labels)[rows]]
    return round(float(np.mean(np.sum(gaps**2, axis=1))), 4)
