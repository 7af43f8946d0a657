"""Artifacts in storage and the per-process loader: memory-mapped, reloaded when a newer version is active,
and downloaded once into a local cache when storage is remote (S3)."""
from __future__ import annotations

import json
import mmap
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage

from ingestion.models import Track
from recommendations import artifacts
from recommendations.artifacts import (
    ArtifactUnavailable,
    active_model,
    artifact_delete,
    artifact_upload,
    forget_loaded_engines,
)
from recommendations.models import ModelVersion
from recommendations.services.recommending import recommend_content
from recommendations.services.training import recommender_train
from tests.factories import ArtistFactory, PlaylistFactory, TrackFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]

REMOTE_STORAGE = "tests.recommendations.test_artifacts.RemoteLikeStorage"


class RemoteLikeStorage(Storage):
    """Behaves like S3 for the loader: files only through open/save/listdir, no local path (path() raises)."""

    def __init__(self) -> None:
        self._files = FileSystemStorage(location=Path(django_settings.MEDIA_ROOT) / "bucket")
        self.opened: list[str] = []

    def _open(self, name: str, mode: str = "rb"):
        self.opened.append(name)
        return self._files.open(name, mode)

    def _save(self, name: str, content) -> str:
        return self._files.save(name, content)

    def delete(self, name: str) -> None:
        self._files.delete(name)

    def exists(self, name: str) -> bool:
        return self._files.exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        try:
            return self._files.listdir(path)
        except FileNotFoundError:
            return [], []  # like S3: an absent prefix is an empty listing

    def size(self, name: str) -> int:
        return self._files.size(name)


@pytest.fixture
def remote_storage(settings) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": REMOTE_STORAGE}}


@pytest.fixture
def catalog() -> list[Track]:
    pop = ArtistFactory(genres=["k-pop"])
    rock = ArtistFactory(genres=["rock"])
    return [
        *(TrackFactory(artists=[pop], energy=0.8 - i / 20, valence=0.7) for i in range(4)),
        *(TrackFactory(artists=[rock], energy=0.9, valence=0.2 + i / 20) for i in range(4)),
    ]


def is_memory_mapped(array: np.ndarray) -> bool:
    """Whether the array's memory is a mapped file (np.asarray of a memmap gives a plain view onto the map)."""
    while array is not None:
        if isinstance(array, np.memmap | mmap.mmap):
            return True
        array = getattr(array, "base", None)
    return False


def retrain_with_changed_catalog(track: Track) -> ModelVersion:
    Track.objects.filter(pk=track.pk).update(valence=(track.valence + 0.1) % 1)
    track.refresh_from_db()
    return recommender_train(engine="content")


# --- storage ---


def test_manifest_is_stored_last_and_lists_every_file(tmp_path: Path, monkeypatch):
    folder = tmp_path / "built"
    (folder / "nested").mkdir(parents=True)
    for name, data in {"b.npy": b"12", "params.json": b"{}", "a.npy": b"1", "nested/c.bin": b"123"}.items():
        (folder / name).write_bytes(data)
    order: list[str] = []
    real_save = FileSystemStorage.save

    def recording_save(storage: FileSystemStorage, name: str, *args, **kwargs) -> str:
        order.append(name)
        return real_save(storage, name, *args, **kwargs)

    monkeypatch.setattr(FileSystemStorage, "save", recording_save)

    total = artifact_upload(folder, "models/x/v1-abc")

    assert order == [f"models/x/v1-abc/{name}" for name in ("a.npy", "b.npy", "nested/c.bin", "params.json")] + [
        "models/x/v1-abc/manifest.json"
    ]
    manifest = json.loads(default_storage.open("models/x/v1-abc/manifest.json").read())
    assert manifest == {"files": {"a.npy": 1, "b.npy": 2, "nested/c.bin": 3, "params.json": 2}}
    assert total == 8 + default_storage.size("models/x/v1-abc/manifest.json")


def test_upload_replaces_leftovers_of_an_earlier_attempt(tmp_path: Path):
    default_storage.save("models/x/v1-abc/stale.npy", ContentFile(b"old"))
    (tmp_path / "built").mkdir()
    (tmp_path / "built" / "params.json").write_text("{}")

    artifact_upload(tmp_path / "built", "models/x/v1-abc")

    assert sorted(default_storage.listdir("models/x/v1-abc")[1]) == ["manifest.json", "params.json"]


def test_delete_refuses_anything_but_a_model_folder():
    with pytest.raises(ValueError, match="not a model artifact folder"):
        artifact_delete("")
    with pytest.raises(ValueError):
        artifact_delete("models/../imports")


# --- loading ---


def test_active_engine_is_memory_mapped_from_storage(catalog):
    version = recommender_train(engine="content")

    engine = active_model("content").engine

    assert is_memory_mapped(engine.unit_features) and is_memory_mapped(engine.track_ids)
    assert Path(np.asarray(engine.unit_features).base.filename).parent == Path(
        default_storage.path(version.storage_path)
    )


def test_every_engine_loads_memory_mapped(catalog):
    PlaylistFactory(name="gym", tracks=catalog[:5])
    for engine in ("content", "clusters", "song2vec"):
        recommender_train(engine=engine)

    assert is_memory_mapped(active_model("clusters").engine.cluster_rows)
    assert is_memory_mapped(active_model("song2vec").engine.vectors)


def test_engine_is_loaded_once_per_process(catalog):
    recommender_train(engine="content")

    assert active_model("content").engine is active_model("content").engine


def test_newer_active_version_is_picked_up_after_the_check_interval(catalog, settings):
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 0
    recommender_train(engine="content")
    assert active_model("content").version == 1

    retrain_with_changed_catalog(catalog[0])

    assert active_model("content").version == 2
    assert recommend_content(k=1).version == 2


def test_within_the_check_interval_the_loaded_version_keeps_serving(catalog, settings, django_assert_num_queries):
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 3600
    recommender_train(engine="content")
    active_model("content")
    retrain_with_changed_catalog(catalog[0])

    with django_assert_num_queries(0):
        assert active_model("content").version == 1


def test_unloadable_newer_version_leaves_the_loaded_one_serving(catalog, settings):
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 0
    recommender_train(engine="content")
    active_model("content")
    second = retrain_with_changed_catalog(catalog[0])
    artifact_delete(second.storage_path)  # e.g. removed from the bucket by hand

    assert active_model("content").version == 1
    forget_loaded_engines()
    with pytest.raises(ArtifactUnavailable, match="content v2 has no complete artifact"):
        active_model("content")


# --- remote storage (S3) ---


def test_remote_artifact_is_downloaded_into_the_cache_and_memory_mapped(catalog, remote_storage, settings):
    version = recommender_train(engine="content")

    engine = active_model("content").engine

    cached = Path(settings.VAR_DIR) / "model-cache" / "content" / f"v1-{version.data_hash[:8]}"
    assert (cached / "manifest.json").is_file() and (cached / "unit_features.npy").is_file()
    assert is_memory_mapped(engine.unit_features)
    assert Path(np.asarray(engine.unit_features).base.filename).parent == cached
    assert not list(cached.parent.glob(".download-*"))  # the temp folder was renamed into place


def test_a_cached_download_is_reused_by_the_next_process(catalog, remote_storage):
    recommender_train(engine="content")
    active_model("content")
    forget_loaded_engines()
    default_storage.opened.clear()

    active_model("content")

    assert default_storage.opened == []  # nothing fetched again


def test_interrupted_download_is_not_mistaken_for_a_finished_one(catalog, remote_storage, monkeypatch, settings):
    version = recommender_train(engine="content")

    def broken_copy(*args, **kwargs):
        raise ConnectionError("network dropped")

    monkeypatch.setattr(artifacts.shutil, "copyfileobj", broken_copy)
    with pytest.raises(ArtifactUnavailable, match="network dropped"):
        active_model("content")
    monkeypatch.undo()

    engine_cache = Path(settings.VAR_DIR) / "model-cache" / "content"
    assert list(engine_cache.iterdir()) == []  # no half folder left, nothing cached
    assert len(active_model("content").engine) == len(catalog) and version.is_active


def test_old_cached_versions_are_pruned(catalog, remote_storage, settings):
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 0
    for step in range(3):
        if step:
            retrain_with_changed_catalog(catalog[step])
        else:
            recommender_train(engine="content")
        active_model("content")

    cached = sorted(path.name for path in (Path(settings.VAR_DIR) / "model-cache" / "content").iterdir())
    assert [name.split("-")[0] for name in cached] == ["v2", "v3"]


def test_training_writes_through_remote_storage(catalog, remote_storage, settings):
    version = recommender_train(engine="content")

    bucket = Path(settings.MEDIA_ROOT) / "bucket" / version.storage_path
    assert (bucket / "manifest.json").is_file()
    assert not (Path(settings.MEDIA_ROOT) / "models").exists()
