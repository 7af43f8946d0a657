"""Model artifacts: which engines exist, where their files live, and the per-process cache of loaded engines.

Storage layout (Django's default storage: local media by default, S3 when configured)::

    models/<engine>/v<version>-<hash8>/   the files the engine's `save` wrote (.npy arrays, params.json, ...)
                                          and manifest.json, uploaded last: the folder is complete once it exists

Loading is lazy (never in `AppConfig.ready()`): the first request that needs an engine loads the active version,
memory-mapped, and every process re-checks the active version at most every RECOMMENDER_RELOAD_CHECK_SECONDS,
swapping in a newer one without a restart. Local storage is mapped in place; remote storage is downloaded once
per host into VAR_DIR/model-cache/<engine>/<folder> (a temp folder renamed into place, so it is whole or absent).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage

from recommendations.engines import Engine
from recommendations.models import ModelVersion

if TYPE_CHECKING:  # the classes are imported on first use (scikit-learn and gensim are heavy)
    from recommendations.engines.audio.mapping import AudioFeatureModel
    from recommendations.engines.blend import BlendEngine
    from recommendations.engines.cf import CollaborativeEngine
    from recommendations.engines.clusters import ClusterEngine
    from recommendations.engines.content import ContentEngine
    from recommendations.engines.song2vec.engine import Song2VecEngine
    from recommendations.engines.terms import TermEngine

E = TypeVar("E", bound=Engine)

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
ENGINE_PARAMS_FILE = "params.json"  # the engines' own completion mark (see engines.features.write_artifact)
STORAGE_ROOT = "models"
CACHE_DIR_NAME = "model-cache"
CACHED_VERSIONS_KEPT = 2  # per engine on each host: the one serving and the one before (still mapped elsewhere)
DOWNLOAD_CHUNK = 8 * 1024 * 1024


class ModelNotTrained(Exception):
    """No version of this engine is active yet."""

    def __init__(self, engine: str) -> None:
        super().__init__(
            f"The {engine} recommender has no trained model yet: run `manage.py train_recommenders --engine {engine}`."
        )
        self.engine = engine


class ArtifactUnavailable(Exception):
    """The active version's files cannot be read (deleted, or not reachable) and nothing older is loaded."""


# --- the engines ---


@dataclass(frozen=True)
class EngineSpec(Generic[E]):
    """How to fit and load one engine of class E. The class is imported on first use: scikit-learn and gensim are
    heavy. `active_model(CONTENT).engine` is then a ContentEngine, and so on."""

    name: str
    module: str
    class_name: str
    fit_params: dict[str, Any] = field(default_factory=dict)  # recorded on the version and part of its data hash
    uses_playlists: bool = False  # fitted on playlists (plus the catalog) rather than on the catalog alone
    uses_listeners: bool = False  # fitted on listeners' likes, favourites and dislikes too
    settings_params: dict[str, str] = field(default_factory=dict)  # fit parameter -> the setting that gives it
    reads_audio: bool = False  # fitted on the analysed audio of tracks with real features (the audio model)

    def params(self) -> dict[str, Any]:
        """The fit parameters now: fit_params, overridden by the settings named in settings_params."""
        from_settings = {name: getattr(settings, setting) for name, setting in self.settings_params.items()}
        return {**self.fit_params, **from_settings}

    def engine_class(self) -> type[E]:
        return getattr(import_module(self.module), self.class_name)

    def is_installed(self) -> bool:
        """False while the engine's module is missing or broken, so the other engines keep working."""
        try:
            self.engine_class()
        except ImportError:
            return False
        except Exception:
            logger.exception("engine %s is unavailable: %s.%s does not import", self.name, self.module, self.class_name)
            return False
        return True


CONTENT: EngineSpec[ContentEngine] = EngineSpec(
    ModelVersion.Engine.CONTENT.value, "recommendations.engines.content", "ContentEngine"
)
CLUSTERS: EngineSpec[ClusterEngine] = EngineSpec(
    ModelVersion.Engine.CLUSTERS.value,
    "recommendations.engines.clusters",
    "ClusterEngine",
    settings_params={"n_clusters": "RECOMMENDER_CLUSTERS"},
)
SONG2VEC: EngineSpec[Song2VecEngine] = EngineSpec(
    ModelVersion.Engine.SONG2VEC.value, "recommendations.engines.song2vec.engine", "Song2VecEngine", uses_playlists=True
)
AUDIO: EngineSpec[AudioFeatureModel] = EngineSpec(
    ModelVersion.Engine.AUDIO.value,
    "recommendations.engines.audio.mapping",
    "AudioFeatureModel",
    reads_audio=True,
    settings_params={"min_tracks": "AUDIO_MIN_TRAINING_TRACKS"},
)
CF: EngineSpec[CollaborativeEngine] = EngineSpec(
    ModelVersion.Engine.CF.value,
    "recommendations.engines.cf",
    "CollaborativeEngine",
    uses_playlists=True,
    uses_listeners=True,
)
TERMS: EngineSpec[TermEngine] = EngineSpec(
    ModelVersion.Engine.TERMS.value, "recommendations.engines.terms", "TermEngine", uses_playlists=True
)
# The ranker over the other engines' candidates; it serves with the active song2vec, cf and terms versions.
# Fit parameters: BlendParams fields, plus the Word2Vec epochs of the Song2Vec the ranker learns from (the serving
# one keeps its 40). The training budget that keeps the demo's training in seconds (BENCHMARKS.md, issue-10a): two
# request shapes per playlist, LightGBM on one thread (two spin against each other on a busy machine: 0.7 CPU-s on
# one, 2.4 on two), 10 epochs. 200 candidates per generator and lambdarank 200 deep as the engine's defaults: with
# 60 and 30 this budget was below Song2Vec alone on mpd-dev (validation 0.1045 against 0.1103; BENCHMARKS.md,
# issue-10q), and the extra rows cost seconds, not minutes.
BLEND: EngineSpec[BlendEngine] = EngineSpec(
    ModelVersion.Engine.BLEND.value,
    "recommendations.engines.blend",
    "BlendEngine",
    fit_params={
        "candidates": 200,
        "shapes_per_playlist": 2,
        "truncation": 200,
        "num_threads": 1,
        "base_epochs": 10,
        # The budget as issue-10q measured it; BlendParams' defaults became 0.1 and 100 misses (issue-10h).
        "learning_rate": 0.05,
        "training_negatives": 150,
    },
    uses_playlists=True,
    settings_params={"ranker_playlists": "RECOMMENDER_BLEND_RANKER_PLAYLISTS", "rounds": "RECOMMENDER_BLEND_ROUNDS"},
)
# Every engine, by name, in training order (the blend last: it combines the others). A new one: a module in
# recommendations/engines/, a spec here, a ModelVersion.Engine choice.
ENGINES: dict[str, EngineSpec[Engine]] = {
    spec.name: spec for spec in (CONTENT, CLUSTERS, SONG2VEC, AUDIO, CF, TERMS, BLEND)
}


def installed_engines() -> list[str]:
    return [name for name, spec in ENGINES.items() if spec.is_installed()]


def engine_spec(name: str) -> EngineSpec[Engine]:
    """The spec of an engine that can be used here, or ValueError naming the ones that can."""
    name = str(name)  # a ModelVersion.Engine member reads as its value
    spec = ENGINES.get(name)
    if spec is None or not spec.is_installed():
        state = "is not installed" if spec else "is unknown"
        raise ValueError(f"engine {name!r} {state}; available: {', '.join(installed_engines())}")
    return spec


# --- writing ---


def artifact_prefix(*, engine: str, version: int, data_hash: str) -> str:
    return f"{STORAGE_ROOT}/{engine}/v{version}-{data_hash[:8]}"


def artifact_upload(local_dir: Path, prefix: str, *, storage: Storage | None = None) -> int:
    """Copy a saved artifact folder into storage under `prefix`; returns its bytes.

    The engine's params.json goes after its arrays and our manifest after everything, so a reader that finds
    the manifest finds every file whole. Leftovers under the prefix (a database reset) are removed first.
    """
    storage = storage or default_storage
    artifact_delete(prefix, storage=storage)
    files = sorted(_relative_files(local_dir), key=lambda name: (name == ENGINE_PARAMS_FILE, name))
    sizes = {}
    for name in files:
        with open(local_dir / name, "rb") as handle:
            _save_exactly(storage, f"{prefix}/{name}", File(handle))
        sizes[name] = (local_dir / name).stat().st_size
    manifest = json.dumps({"files": sizes}, indent=1).encode()
    _save_exactly(storage, f"{prefix}/{MANIFEST}", ContentFile(manifest))
    return sum(sizes.values()) + len(manifest)


def _relative_files(directory: Path) -> Iterator[str]:
    for path in directory.rglob("*"):
        if path.is_file():
            yield path.relative_to(directory).as_posix()


def _save_exactly(storage: Storage, name: str, content: File) -> None:
    saved = storage.save(name, content)
    if saved != name:
        # Storage renamed it to avoid a clash: the manifest's names would point at someone else's file.
        storage.delete(saved)
        raise RuntimeError(f"storage saved {name} as {saved}: a file of that name already exists")


def artifact_delete(prefix: str, *, storage: Storage | None = None) -> None:
    """Remove every file under `prefix` (missing ones are fine), and on local storage the folder too."""
    if not prefix.startswith(f"{STORAGE_ROOT}/") or ".." in PurePosixPath(prefix).parts:
        raise ValueError(f"refusing to delete {prefix!r}: not a model artifact folder")
    storage = storage or default_storage
    try:
        folder = Path(storage.path(prefix))
    except NotImplementedError:  # remote storage: folders are only name prefixes
        for name in _stored_files(storage, prefix):
            storage.delete(name)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _stored_files(storage: Storage, prefix: str) -> list[str]:
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return []
    names = [f"{prefix}/{name}" for name in files]
    for directory in directories:
        names += _stored_files(storage, f"{prefix}/{directory}")
    return names


# --- loading ---


def version_load(version: ModelVersion, *, storage: Storage | None = None) -> Engine:
    """The engine of one ready version, its arrays memory-mapped from local files."""
    directory = _local_artifact_dir(version, storage or default_storage)
    return ENGINES[version.engine].engine_class().load(directory, mmap=True)


def _local_artifact_dir(version: ModelVersion, storage: Storage) -> Path:
    try:
        directory = Path(storage.path(version.storage_path))
    except NotImplementedError:  # remote storage (S3): no local path
        return _cached_download(version, storage)
    if not (directory / MANIFEST).is_file():
        raise ArtifactUnavailable(f"{version} has no complete artifact at {directory}: retrain it")
    return directory


def _cached_download(version: ModelVersion, storage: Storage) -> Path:
    """This host's copy of a remote artifact, downloaded once into a temp folder and renamed into place."""
    engine_cache = Path(settings.VAR_DIR) / CACHE_DIR_NAME / version.engine
    target = engine_cache / PurePosixPath(version.storage_path).name
    if not (target / MANIFEST).is_file():
        engine_cache.mkdir(parents=True, exist_ok=True)
        temporary = engine_cache / f".download-{uuid.uuid4().hex}"
        try:
            _download(storage, version, temporary)
            os.replace(temporary, target)
        except OSError:
            if not (target / MANIFEST).is_file():  # not another process's finished copy: a real failure
                raise
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        _prune_cache(engine_cache, keep=target)
    return target


def _download(storage: Storage, version: ModelVersion, destination: Path) -> None:
    prefix = version.storage_path
    try:
        with storage.open(f"{prefix}/{MANIFEST}", "rb") as handle:
            manifest = handle.read()
    except FileNotFoundError as error:
        raise ArtifactUnavailable(f"{version} has no complete artifact at {prefix}: retrain it") from error
    for name, size in json.loads(manifest)["files"].items():
        if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
            raise ArtifactUnavailable(f"{prefix}/{MANIFEST} names a file outside the artifact: {name!r}")
        path = destination / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(f"{prefix}/{name}", "rb") as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target, DOWNLOAD_CHUNK)
        if path.stat().st_size != size:
            raise ArtifactUnavailable(f"{prefix}/{name} is {path.stat().st_size} bytes, the manifest says {size}")
    (destination / MANIFEST).write_bytes(manifest)  # last: marks the copy complete


def _prune_cache(engine_cache: Path, *, keep: Path) -> None:
    """Drop all but the newest cached versions; a process still mapping a dropped one keeps its open files."""
    folders = sorted(
        (path for path in engine_cache.iterdir() if path.is_dir() and not path.name.startswith(".")),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    for folder in folders[CACHED_VERSIONS_KEPT:]:
        if folder != keep:
            shutil.rmtree(folder, ignore_errors=True)


# --- the per-process cache of active engines ---


@dataclass
class LoadedModel(Generic[E]):
    """An engine loaded for one version, and when this process last checked that it is still the active one."""

    engine_name: str
    version_id: int
    version: int
    created_at: datetime
    catalog_read_at: datetime | None
    engine: E
    checked_at: float  # time.monotonic()

    def is_for(self, row: ModelVersion) -> bool:
        # created_at too: a test database can hand out the same primary key again.
        return (self.version_id, self.created_at) == (row.pk, row.created_at)


_loaded: dict[str, LoadedModel[Any]] = {}
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@overload
def active_model(engine: EngineSpec[E]) -> LoadedModel[E]: ...


@overload
def active_model(engine: str) -> LoadedModel[Engine]: ...


def active_model(engine: EngineSpec[Any] | str) -> LoadedModel[Any]:
    """The active version of an engine (a spec such as CONTENT, or a name), loaded once per process and re-checked
    every few seconds.

    Raises ModelNotTrained when no version is active. If a newer active version cannot be loaded, the one
    already loaded keeps serving (logged; retried at the next check).
    """
    name = engine.name if isinstance(engine, EngineSpec) else str(engine)  # an Engine member reads as its value
    current = _loaded.get(name)
    if current is not None and not _check_due(current):
        return current
    with _lock_for(name):  # one thread per process loads; the others wait and reuse its result
        current = _loaded.get(name)
        if current is not None and not _check_due(current):
            return current
        return _refresh(name, current)


def forget_loaded_engines() -> None:
    """Drop every loaded engine (tests; a process after fork would simply reload)."""
    _loaded.clear()


def _check_due(loaded: LoadedModel[Any]) -> bool:
    return time.monotonic() - loaded.checked_at >= settings.RECOMMENDER_RELOAD_CHECK_SECONDS


def _lock_for(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


def _refresh(name: str, current: LoadedModel[Any] | None) -> LoadedModel[Any]:
    row = ModelVersion.objects.filter(engine=name, is_active=True).first()
    if row is None:
        _loaded.pop(name, None)
        raise ModelNotTrained(name)
    if current is not None and current.is_for(row):
        current.checked_at = time.monotonic()
        return current
    try:
        engine = version_load(row)
    except Exception as error:
        if current is None:
            if isinstance(error, ArtifactUnavailable):
                raise
            raise ArtifactUnavailable(f"{row} could not be loaded: {error}") from error
        logger.exception("keeping %s v%s: could not load v%s (id %s)", name, current.version, row.version, row.pk)
        current.checked_at = time.monotonic()
        return current
    loaded = LoadedModel(
        engine_name=name,
        version_id=row.pk,
        version=row.version,
        created_at=row.created_at,
        catalog_read_at=row.catalog_read_at,
        engine=engine,
        checked_at=time.monotonic(),
    )
    _loaded[name] = loaded
    logger.info("loaded %s v%s (id %s) from %s", name, row.version, row.pk, row.storage_path)
    return loaded
