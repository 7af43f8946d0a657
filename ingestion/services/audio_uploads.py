"""Curators' audio uploads: stage the files, then match each to a track (or make one) and store it as its audio.

Each audio file, alone or inside a zip, is matched by the first of these that finds a track:
1. a catalog track id in its name (`track-123.mp3`) or in a sidecar CSV;
2. a Spotify track id in its name (`4uLU6hMCjMI75M1A2tKUQC.ogg`) or in the CSV;
3. an ISRC from the CSV, its tags or its name (every track with that ISRC: they are the same recording);
4. artist + title from the CSV, its tags or a name like `Artist - Title.flac` (exactly one track, case-insensitive).
With `create_missing`, a file that matches nothing becomes a new track by that artist and title (an independent
artist's song nobody has catalogued). A sidecar CSV (any `.csv` in the batch) has a `file` column and any of
`track_id`, `spotify_id`, `isrc`, `artist`, `title`; its values come before the tags and the name.

Nothing is lost on bad input: every file gets a line in the upload's report (matched / created / unchanged /
rejected, with the reason), the other files go on. Stored files are named by their content
(`audio/uploads/<sha256>.<ext>`), so uploading the same batch again changes nothing.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from tqdm import tqdm

from ingestion.audio.files import AudioInfo, AudioRejected, audio_check
from ingestion.audio.names import name_hints
from ingestion.audio.tags import audio_tags, normalized_isrc
from ingestion.models import Artist, AudioUpload, Track, TrackArtist
from ingestion.services.changes import catalog_changed

logger = logging.getLogger(__name__)

STAGING_DIR = "audio/staged"
UPLOAD_DIR = "audio/uploads"
REPLACEABLE_DIRS = (f"{UPLOAD_DIR}/", "audio/previews/")  # an old file there nobody points to is deleted
REPORT_SAVE_EVERY = 20  # files between writes of the report (the counters are written after every file)


class Outcome:
    MATCHED, CREATED, UNCHANGED, REJECTED = "matched", "created", "unchanged", "rejected"


@dataclass(frozen=True, slots=True)
class Hints:
    track_id: int | None = None
    spotify_id: str = ""
    isrc: str = ""
    artist: str = ""
    title: str = ""

    def tried(self) -> str:
        parts = [
            self.track_id is not None and f"track id {self.track_id}",
            self.spotify_id and f"Spotify id {self.spotify_id}",
            self.isrc and f"ISRC {self.isrc}",
            self.artist and self.title and f"“{self.artist} - {self.title}”",
        ]
        return ", ".join(part for part in parts if part)


# --- queueing ---


def audio_upload_queue(*, files: Sequence[UploadedFile], create_missing: bool, user=None) -> AudioUpload:
    """Stage the uploaded files in media storage and queue the upload's task after the commit.

    Without a broker the task runs right here after the commit, so the upload comes back finished; with one,
    a worker reads the files and the upload's page shows the progress. A file bigger than AUDIO_UPLOAD_MAX_BYTES
    (a zip aside: its members are checked one by one) is not staged but reported as rejected at once.
    """
    from ingestion.tasks import upload_audio_task  # tasks import the services

    limit = settings.AUDIO_UPLOAD_MAX_BYTES
    with transaction.atomic():
        upload = AudioUpload.objects.create(create_missing=create_missing, requested_by=user, queued_at=timezone.now())
        staged, report = [], []
        for index, uploaded in enumerate(files):
            name = PurePosixPath(uploaded.name.replace("\\", "/")).name or f"file-{index + 1}"
            if uploaded.size > limit and not _is_zip(name):
                report.append(_rejected(name, "too_big", size=uploaded.size, limit=limit))
                continue
            path = default_storage.save(f"{STAGING_DIR}/{upload.pk}/{index:04d}-{_safe(name)}", uploaded)
            staged.append({"name": name, "path": path})
        AudioUpload.objects.filter(pk=upload.pk).update(
            staged=staged, report=report, rejected=len(report), files_done=len(report), files_total=len(report)
        )
        transaction.on_commit(lambda: upload_audio_task.delay(upload.pk), robust=True)
    upload.refresh_from_db()
    return upload


# --- running ---


def audio_upload_execute(*, upload_id: int, progress: bool = False) -> AudioUpload:
    """Read a queued upload's files, match and store each, write the report; delete the staged files.

    Claims the upload with a conditional UPDATE, so a second call (a retried task) does nothing. A failure of the
    whole run (storage gone) is recorded on the upload and re-raised; files done before it stay done.
    """
    claimed = AudioUpload.objects.filter(pk=upload_id, status=AudioUpload.Status.QUEUED).update(
        status=AudioUpload.Status.RUNNING, started_at=timezone.now()
    )
    upload = AudioUpload.objects.get(pk=upload_id)
    if not claimed:
        return upload
    run = _Run(upload)
    try:
        with contextlib.ExitStack() as stack:
            entries = list(_audio_entries(upload.staged, stack, run))
            run.begin(len(entries))
            sidecar = run.sidecar
            with tqdm(total=len(entries), unit="file", desc="audio upload", disable=not progress) as bar:
                for name, read in entries:
                    run.add(_one_file(name, read, sidecar, create_missing=upload.create_missing))
                    bar.update()
    except Exception as error:
        logger.exception("audio upload %s failed", upload.pk)
        run.fail(f"{type(error).__name__}: {error}")
        raise
    finally:
        _delete_staged(upload.staged)
    return run.finish()


class _Run:
    """The upload's counters and report, written as files are done (the progress page reads them)."""

    def __init__(self, upload: AudioUpload):
        self.upload = upload
        self.report: list[dict] = list(upload.report)
        self.sidecar: dict[str, Hints] = {}
        self.unsaved = 0

    def begin(self, audio_files: int) -> None:
        self.upload.files_total = len(self.report) + audio_files
        self._save(report=True)

    def add(self, entry: dict) -> None:
        self.report.append(entry)
        self.unsaved += 1
        self._save(report=self.unsaved >= REPORT_SAVE_EVERY)

    def _save(self, *, report: bool) -> None:
        counts = {outcome: sum(e["outcome"] == outcome for e in self.report) for outcome in
                  (Outcome.MATCHED, Outcome.CREATED, Outcome.UNCHANGED, Outcome.REJECTED)}
        changes = {**counts, "files_done": len(self.report), "files_total": max(self.upload.files_total,
                                                                                 len(self.report))}
        if report:
            changes["report"] = self.report
            self.unsaved = 0
        AudioUpload.objects.filter(pk=self.upload.pk).update(**changes)

    def fail(self, error: str) -> None:
        self._save(report=True)
        AudioUpload.objects.filter(pk=self.upload.pk).update(
            status=AudioUpload.Status.FAILED, finished_at=timezone.now(), error=error[:2000], staged=[]
        )
        self._record_change()

    def finish(self) -> AudioUpload:
        self._save(report=True)
        rejected = any(entry["outcome"] == Outcome.REJECTED for entry in self.report)
        status = AudioUpload.Status.COMPLETED_WITH_REJECTIONS if rejected else AudioUpload.Status.SUCCEEDED
        AudioUpload.objects.filter(pk=self.upload.pk).update(status=status, finished_at=timezone.now(), staged=[])
        self._record_change()
        self.upload.refresh_from_db()
        return self.upload

    def _record_change(self) -> None:
        changed = [e for e in self.report if e["outcome"] in (Outcome.MATCHED, Outcome.CREATED)]
        if changed:
            catalog_changed(reason=f"audio upload {self.upload.pk}: {len(changed)} tracks got audio")


# --- the files of an upload ---

def _audio_entries(staged: list[dict], stack: contextlib.ExitStack, run: _Run) -> Iterator[tuple[str, object]]:
    """(name shown in the report, a function reading the file's bytes) per audio file, zips opened; sidecar CSVs
    are read into `run.sidecar`; a broken zip or a file past AUDIO_UPLOAD_MAX_FILES gets a reader that refuses."""
    limit = settings.AUDIO_UPLOAD_MAX_FILES
    count = 0
    for item in staged:
        if _is_zip(item["name"]):
            members = _zip_members(item, stack, run)
        elif item["name"].lower().endswith(".csv"):
            run.sidecar.update(_sidecar_rows(_read_staged(item["path"]), item["name"], run))
            continue
        else:
            members = [(item["name"], lambda path=item["path"]: _read_staged(path))]
        for name, read in members:
            count += 1
            yield (name, _refusal("too_many_files", limit=limit)) if count > limit else (name, read)


def _zip_members(item: dict, stack: contextlib.ExitStack, run: _Run) -> list[tuple[str, object]]:
    try:
        archive = stack.enter_context(zipfile.ZipFile(stack.enter_context(default_storage.open(item["path"], "rb"))))
        infos = [info for info in archive.infolist() if not info.is_dir() and not _ignored(info.filename)]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        return [(item["name"], _refusal("bad_zip", error=_short(error)))]
    members = []
    for info in infos:
        shown = f"{item['name']}/{info.filename}"
        if info.filename.lower().endswith(".csv"):
            run.sidecar.update(_sidecar_rows(_read_member(archive, info, settings.AUDIO_UPLOAD_MAX_BYTES), shown, run))
        else:
            members.append((shown, lambda info=info: _read_member(archive, info, settings.AUDIO_UPLOAD_MAX_BYTES)))
    return members


def _refusal(code: str, **params):
    """A reader for an entry refused before it is read: the report keeps its place in the upload's order."""

    def read() -> bytes:
        raise AudioRejected(code, **params)

    return read


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:  # refused unread; a member lying about its size is cut at limit + 1 below
        raise AudioRejected("too_big", size=info.file_size, limit=limit)
    try:
        with archive.open(info) as member:
            return member.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise AudioRejected("bad_zip", error=_short(error)) from None


def _read_staged(path: str) -> bytes:
    with default_storage.open(path, "rb") as staged:
        return staged.read(settings.AUDIO_UPLOAD_MAX_BYTES + 1)


def _sidecar_rows(data: bytes, name: str, run: _Run) -> dict[str, Hints]:
    """A sidecar CSV's rows by file name (lower-case, without folders)."""
    text = data.decode("utf-8-sig", errors="replace")
    rows: dict[str, Hints] = {}
    for row in csv.DictReader(io.StringIO(text)):
        row = {(key or "").strip().lower(): (value or "").strip() for key, value in row.items()}
        file_name = PurePosixPath(row.get("file", "").replace("\\", "/")).name.lower()
        if not file_name:
            continue
        track_id = row.get("track_id", "")
        rows[file_name] = Hints(
            track_id=int(track_id) if track_id.isdigit() else None, spotify_id=row.get("spotify_id", ""),
            isrc=normalized_isrc(row.get("isrc", "")), artist=row.get("artist", ""), title=row.get("title", ""),
        )
    return rows


# --- one file ---


def _one_file(name: str, read, sidecar: dict[str, Hints], *, create_missing: bool) -> dict:
    try:
        data = read()
        info = audio_check(data, max_bytes=settings.AUDIO_UPLOAD_MAX_BYTES, name=name)
    except AudioRejected as rejection:
        return _rejected(name, rejection.code, **rejection.params)
    hints = _hints(name, data, sidecar)
    found = _matching_tracks(hints)
    if isinstance(found, dict):  # ambiguous
        return {"file": name, "outcome": Outcome.REJECTED, "tracks": [], **found}
    tracks, how = found
    outcome = Outcome.MATCHED
    if not tracks:
        if not create_missing:
            return _rejected(name, "no_match", tried=hints.tried()) if hints.tried() else _rejected(name, "no_hints")
        if not (hints.artist and hints.title):
            return _rejected(name, "no_names")
        tracks, how, outcome = [_create_track(hints, info)], "", Outcome.CREATED
    try:
        stored = _store(data, info)
    except OSError as error:
        return _rejected(name, "not_stored", error=_short(error))
    changed = _attach(tracks, stored)
    if outcome == Outcome.MATCHED and not changed:
        outcome = Outcome.UNCHANGED
    return {"file": name, "outcome": outcome, "tracks": [t.pk for t in tracks], "how": how, "stored": stored,
            "format": info.format, "seconds": round(info.seconds, 1)}


def _hints(name: str, data: bytes, sidecar: dict[str, Hints]) -> Hints:
    """The sidecar's values first, then the tags', then the file name's."""
    from_csv = sidecar.get(PurePosixPath(name).name.lower(), Hints())
    tags = audio_tags(data)
    named = name_hints(name)
    artist_title = next(
        ((artist, title) for artist, title in ((from_csv.artist, from_csv.title), (tags.artist, tags.title),
                                               (named.artist, named.title)) if artist and title),
        ("", ""),
    )
    return Hints(
        track_id=from_csv.track_id if from_csv.track_id is not None else named.track_id,
        spotify_id=from_csv.spotify_id or named.spotify_id,
        isrc=from_csv.isrc or tags.isrc or named.isrc,
        artist=artist_title[0], title=artist_title[1],
    )


def _matching_tracks(hints: Hints) -> tuple[list[Track], str] | dict:
    """The tracks the hints name and how they were found; ([], "") for none; a rejection (dict) if ambiguous."""
    if hints.track_id is not None and (track := Track.objects.filter(pk=hints.track_id).first()):
        return [track], "track_id"
    if hints.spotify_id and (track := Track.objects.filter(spotify_id=hints.spotify_id).first()):
        return [track], "spotify_id"
    if hints.isrc and (tracks := list(Track.objects.filter(isrc=hints.isrc).order_by("pk"))):
        return tracks, "isrc"
    if hints.artist and hints.title:
        tracks = list(
            Track.objects.filter(name__iexact=hints.title, credits__artist__name__iexact=hints.artist)
            .distinct().order_by("pk")[:6]
        )
        if len(tracks) == 1:
            return tracks, "artist_title"
        if tracks:
            ids = ", ".join(str(t.pk) for t in tracks[:5]) + ("…" if len(tracks) > 5 else "")
            return {"reason": "ambiguous", "params": {"count": len(tracks) if len(tracks) <= 5 else "5+",
                                                      "title": hints.title, "artist": hints.artist, "ids": ids}}
    return [], ""


def _create_track(hints: Hints, info: AudioInfo) -> Track:
    """A new track by `hints.artist` (an existing artist of that name, else a new one), without features."""
    now = timezone.now()
    with transaction.atomic():
        artist = _artist_named(hints.artist, now)
        track = Track.objects.create(
            name=hints.title[:500], isrc=hints.isrc, duration_ms=info.duration_ms, first_seen=now, updated_at=now
        )
        TrackArtist.objects.create(track=track, artist=artist, position=0)
    return track


def _artist_named(name: str, now) -> Artist:
    existing = Artist.objects.filter(name__iexact=name, is_demo=False).order_by("spotify_id", "pk").first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Artist.objects.create(name=name[:400], first_seen=now, updated_at=now)
    except IntegrityError:  # a concurrent upload made the same id-less artist first
        return Artist.objects.get(name=name[:400], spotify_id__isnull=True, is_demo=False)


def _store(data: bytes, info: AudioInfo) -> str:
    """The file in media storage under a name made from its content; an identical file already there is reused."""
    name = f"{UPLOAD_DIR}/{hashlib.sha256(data).hexdigest()[:32]}.{info.extension}"
    if default_storage.exists(name):
        return name
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # written meanwhile by a concurrent upload: keep one copy
        default_storage.delete(saved)
    return name


def _attach(tracks: list[Track], stored: str) -> bool:
    """Point the tracks at the stored file; an old upload or preview nobody points to any more is deleted."""
    changed = [track for track in tracks if track.audio_file.name != stored]
    old_names = {track.audio_file.name for track in changed if track.audio_file.name}
    now = timezone.now()
    for track in changed:
        Track.objects.filter(pk=track.pk).update(audio_file=stored, updated_at=now)
    for old in old_names:
        if old.startswith(REPLACEABLE_DIRS) and not Track.objects.filter(audio_file=old).exists():
            default_storage.delete(old)
    return bool(changed)


# --- small pieces ---


def _rejected(name: str, reason: str, **params) -> dict:
    return {"file": name, "outcome": Outcome.REJECTED, "tracks": [], "reason": reason, "params": params}


def _is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def _ignored(member: str) -> bool:
    """A zip's resource forks (__MACOSX/) and hidden files (.DS_Store) are no audio and not reported."""
    return any(part == "__MACOSX" or part.startswith(".") for part in PurePosixPath(member).parts)


def _safe(name: str) -> str:
    """A storage-safe version of an uploaded name (the report keeps the name as uploaded)."""
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return cleaned[-120:] or "file"


def _short(error: Exception) -> str:
    return (str(error) or type(error).__name__)[:200]


def _delete_staged(staged: list[dict]) -> None:
    for item in staged:
        with contextlib.suppress(OSError):
            default_storage.delete(item["path"])
