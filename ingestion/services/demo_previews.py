"""Synthesized audio previews for the demo catalog's tracks, in default storage (`Track.audio_file`).

Each demo track gets a short preview made from its own audio features (ingestion.demo.audio); a demo track
without features sounds like its main artist's first track that has some. File names are content-addressed
(`audio/demo/<hash of the synthesizer version, the features and the track's name>.ogg`), so:

- a re-run makes nothing anew: files already in storage are kept and only the missing ones are made;
- `seed_demo --reset` rebuilds the rows and reuses the same files; files no demo track points to any more
  (another scale, changed features, an older synthesizer) are deleted, so storage and rows agree;
- a track's `audio_file` is set only once its file is in storage, so a player never gets a dead link, even
  while previews are still being made in the background.

Rendering is pure CPU work, spread over worker processes; the ORM and storage stay in this process.
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from tqdm import tqdm

from ingestion.demo.audio import DEFAULT_FORMAT, PREVIEW_FORMATS, PreviewSound, preview_files
from ingestion.models import FEATURE_FIELDS, Track, TrackArtist

PREVIEW_DIR = "audio/demo"
RENDER_CHUNK = 24  # previews per task sent to a worker: large enough to amortise the hand-over
MAX_WORKERS = 4


@dataclass(frozen=True, slots=True)
class DemoPreviewSummary:
    made: int  # files rendered and written by this run
    present: int  # files that were already in storage
    removed: int  # files no demo track points to any more, deleted
    tracks: int  # demo tracks with a preview now
    bytes_made: int
    format: str
    workers: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        removed = f", {self.removed} old files removed" if self.removed else ""
        if not self.made:
            return f"Audio previews: all {self.tracks} present; nothing made{removed}."
        size = self.bytes_made / 2**20
        return (
            f"Audio previews: {self.made} made ({size:.1f} MiB of {PREVIEW_FORMATS[self.format].content_type}, "
            f"{self.workers} processes), {self.present} present{removed}, in {self.seconds:.1f} s"
        )


@dataclass(frozen=True, slots=True)
class _Wanted:
    name: str  # storage name
    sound: PreviewSound
    seed: str
    track_ids: tuple[int, ...]


def demo_previews_ensure(
    *, progress: bool = False, workers: int | None = None, format: str = DEFAULT_FORMAT,
    track_ids: Iterable[int] | None = None,
) -> DemoPreviewSummary:
    """Make every demo track's missing preview, point the tracks at their files, delete files none points to.

    Safe to re-run and to run beside the site (see the module docstring). Newest releases and the most
    popular tracks come first, so when this runs in the background the songs a listener sees first play first.
    With `track_ids`, only those demo tracks' previews are made and nothing is deleted (a test's few songs).
    Previews last settings.DEMO_PREVIEW_SECONDS.
    """
    started = time.monotonic()
    preview_seconds = float(settings.DEMO_PREVIEW_SECONDS)
    wanted = _wanted_previews(format, preview_seconds)
    if track_ids is not None:
        chosen = set(track_ids)
        wanted = [item for item in wanted if chosen.intersection(item.track_ids)]
    present_names = _stored_names()
    missing = [item for item in wanted if item.name not in present_names]
    _attach([item for item in wanted if item.name in present_names])
    workers = _worker_count(workers, len(missing))
    bytes_made = 0
    with tqdm(total=len(missing), unit="preview", desc="making audio previews", disable=not progress,
              file=sys.stderr) as bar:
        for batch in _render(missing, workers=workers, seconds=preview_seconds, format=format):
            bytes_made += _store(batch)
            bar.update(len(batch))
    removed = _remove_unused({item.name for item in wanted}, present_names) if track_ids is None else 0
    return DemoPreviewSummary(
        made=len(missing), present=len(wanted) - len(missing), removed=removed,
        tracks=sum(len(item.track_ids) for item in wanted), bytes_made=bytes_made, format=format,
        workers=workers, seconds=round(time.monotonic() - started, 3),
    )


def demo_previews_missing(*, format: str = DEFAULT_FORMAT) -> int:
    """How many demo preview files are not in storage yet (0: demo_previews_ensure would make nothing)."""
    present = _stored_names()
    return sum(item.name not in present for item in _wanted_previews(format, float(settings.DEMO_PREVIEW_SECONDS)))


# --- what each track should sound like ---

def _wanted_previews(format: str, seconds: float) -> list[_Wanted]:
    """One entry per distinct preview file, in the order to make them (new and popular first)."""
    rows = list(
        Track.objects.filter(is_demo=True)
        .order_by(F("album__release_date").desc(nulls_last=True), F("popularity").desc(nulls_last=True), "pk")
        .values("pk", "name", "features_source", *FEATURE_FIELDS)
    )
    stand_ins = _stand_in_features(row["pk"] for row in rows if row["features_source"] == Track.FeatureSource.MISSING)
    by_name: dict[str, _Wanted] = {}
    extension = PREVIEW_FORMATS[format].extension
    for row in rows:
        features = row if row["features_source"] != Track.FeatureSource.MISSING else stand_ins.get(row["pk"], {})
        sound = PreviewSound.from_features(features)
        seed = f"demo-track|{row['name']}"
        name = f"{PREVIEW_DIR}/{sound.fingerprint(seed, seconds)}.{extension}"
        if name in by_name:
            by_name[name] = _Wanted(name, sound, seed, (*by_name[name].track_ids, row["pk"]))
        else:
            by_name[name] = _Wanted(name, sound, seed, (row["pk"],))
    return list(by_name.values())


def _stand_in_features(track_ids: Iterable[int]) -> dict[int, dict]:
    """For demo tracks without features: the features of their main artist's first track that has some.

    Such a track is one Spotify would not describe; its preview still has to sound like something, and like
    its artist is the most honest guess (the audio analysis then measures what it really sounds like).
    """
    ids = list(track_ids)
    if not ids:
        return {}
    main_artist = dict(
        TrackArtist.objects.filter(track_id__in=ids, position=0).values_list("track_id", "artist_id")
    )
    donors: dict[int, dict] = {}
    for row in (
        Track.objects.filter(is_demo=True, credits__position=0, credits__artist_id__in=set(main_artist.values()))
        .exclude(features_source=Track.FeatureSource.MISSING)
        .order_by("pk")
        .values("credits__artist_id", *FEATURE_FIELDS)
    ):
        donors.setdefault(row.pop("credits__artist_id"), row)
    return {track: donors[artist] for track, artist in main_artist.items() if artist in donors}


# --- storage ---

def _stored_names() -> set[str]:
    """Preview files already in storage (one listing; works the same on local files and S3)."""
    try:
        _, files = default_storage.listdir(PREVIEW_DIR)
    except FileNotFoundError:
        return set()
    return {f"{PREVIEW_DIR}/{name}" for name in files}  # includes leftover ".*.part" files, removed as unused


def _store(batch: list[tuple[_Wanted, bytes]]) -> int:
    """Write the files, then point their tracks at them; returns the bytes written."""
    written = 0
    for item, data in batch:
        if default_storage.exists(item.name):  # made meanwhile by a concurrent run: same name, same sound
            continue
        _save_whole(item.name, data)
        written += len(data)
    _attach([item for item, _ in batch])
    return written


def _save_whole(name: str, data: bytes) -> None:
    """Write a file so that it is either whole or absent, even if the process is stopped mid-write.

    A half-written preview under its final name would pass for present on the next run. Local storage writes a
    temporary file beside it and renames it into place; S3 uploads are whole or nothing already.
    """
    try:
        final = Path(default_storage.path(name))
    except NotImplementedError:  # remote storage (S3): no local path
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # a concurrent run wrote the same file first; keep one copy
            default_storage.delete(saved)
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, final)


def _attach(items: list[_Wanted]) -> None:
    """Point each item's tracks at its file (one UPDATE per file, none where already so)."""
    with transaction.atomic():
        for item in items:
            Track.objects.filter(pk__in=item.track_ids).exclude(audio_file=item.name).update(audio_file=item.name)


def _remove_unused(wanted: set[str], present: set[str]) -> int:
    """Delete preview files that no demo track points to, unless a non-demo track uses one (a curator's copy)."""
    unused = present - wanted
    if unused:
        unused -= set(Track.objects.filter(audio_file__in=unused).values_list("audio_file", flat=True))
    for name in unused:
        default_storage.delete(name)
    return len(unused)


# --- rendering ---

def _worker_count(requested: int | None, jobs: int) -> int:
    if requested is not None:
        return max(1, requested)
    if multiprocessing.current_process().daemon:  # a Celery prefork child may not start processes
        return 1
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(MAX_WORKERS, available, -(-jobs // RENDER_CHUNK)))


def _render(
    items: list[_Wanted], *, workers: int, seconds: float, format: str
) -> Iterator[list[tuple[_Wanted, bytes]]]:
    """Rendered files in chunks, in order; in worker processes when there is more than one."""
    chunks = [items[start : start + RENDER_CHUNK] for start in range(0, len(items), RENDER_CHUNK)]
    if workers <= 1:
        for chunk in chunks:
            yield list(zip(chunk, preview_files([(i.sound, i.seed) for i in chunk], seconds, format), strict=True))
        return
    # spawn, not fork: a forked Django process would share its database connection with the children.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(preview_files, [(i.sound, i.seed) for i in chunk], seconds, format) for chunk in chunks]
        for chunk, future in zip(chunks, futures, strict=True):
            yield list(zip(chunk, future.result(), strict=True))

