"""Import runs: read files in any known format, upsert them in batches, keep a summary and the rejected rows.

The management commands, the admin's upload page and the import task all go through here.
"""
from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from ingestion.importers.formats import (
    FORMATS,
    ImportFileError,
    detect_format,
    expand_paths,
    progress_total,
    read_records,
)
from ingestion.importers.records import Origin, PlaylistRecord, Rejection, TrackRecord
from ingestion.models import ImportRejection, ImportRun
from ingestion.services.catalog import UpsertSummary, catalog_upsert_playlists, catalog_upsert_tracks
from ingestion.services.changes import catalog_changed

logger = logging.getLogger(__name__)

TRACK_BATCH = 5000  # track records per transaction
PLAYLIST_BATCH = 250  # playlists per transaction (~16k entries in MPD files)
MAX_STORED_REJECTIONS = 1000  # per run; all are still counted and printed

RejectionSink = Callable[[Rejection], None]


class ImportRunFailed(Exception):
    """No file of the run could be read: the run fails as a whole, with this reason in words (no traceback)."""


def import_run_create(
    *,
    kind: str,
    paths: list[str] | None = None,
    format_name: str | None = None,
    uploaded_file: File | None = None,
    user=None,
) -> ImportRun:
    """Create a queued run. An uploaded file is saved through default storage (S3 in production)."""
    if kind not in ("catalog", "playlists"):
        raise ValueError(f"unknown import kind {kind!r}")
    if format_name and format_name not in FORMATS:
        raise ValueError(f"unknown format {format_name!r}; known: {', '.join(FORMATS)}")
    run = ImportRun(kind=kind, format=format_name or "", paths=list(paths or []), requested_by=user)
    if uploaded_file is not None:
        run.uploaded_file.save(Path(uploaded_file.name).name, uploaded_file, save=False)
        run.paths = [Path(uploaded_file.name).name]
    run.save()
    return run


def import_run_queue(*, kind: str, format_name: str | None, uploaded_file: File, user=None) -> ImportRun:
    """Create a run for an uploaded file and queue its import after the commit; returns the run as it is then.

    Without a broker the import runs right here, after the commit; with one, a worker picks it up. A failed run is
    recorded on the run (and logged), never raised, so the uploader gets its page.
    """
    from ingestion.tasks import run_import_task  # tasks import the services

    with transaction.atomic():
        run = import_run_create(kind=kind, format_name=format_name, uploaded_file=uploaded_file, user=user)
        transaction.on_commit(lambda: run_import_task.delay(run.pk), robust=True)
    run.refresh_from_db()
    return run


def import_run_execute(
    *, run_id: int, progress: bool = False, on_rejection: RejectionSink | None = None
) -> ImportRun:
    """Run a queued import once. Claims the run with a conditional UPDATE, so a second call (a retried
    task, a double click) does nothing and returns the run as it is."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING, started_at=timezone.now()
    )
    run = ImportRun.objects.get(pk=run_id)
    if not claimed:
        return run
    started = time.monotonic()
    stored = _RejectionStore(run, on_rejection)
    summary = UpsertSummary()
    try:
        with _local_paths(run) as paths:
            if run.uploaded_file:
                stored.file_names = {str(paths[0]): run.paths[0]}
            formats = _import_paths(run, paths, summary, stored, progress)
    except ImportRunFailed as error:  # the curator's file, not a bug: the reason is the whole story
        logger.info("import run %s failed: %s", run.pk, error)
        _fail(run, summary, stored, reason=str(error))
        return ImportRun.objects.get(pk=run.pk)
    except Exception as error:  # recorded on the run, so the admin shows why; then re-raised for the logs
        logger.exception("import run %s failed", run.pk)
        _fail(run, summary, stored, reason=stored.shown(f"{type(error).__name__}: {error}"))
        raise
    stored.flush()
    _finish(run, summary, stored.count, formats, time.monotonic() - started)
    _record_change_if_any(run, summary)
    return run


def _fail(run: ImportRun, summary: UpsertSummary, stored: _RejectionStore, *, reason: str) -> None:
    stored.flush()
    _record_change_if_any(run, summary)  # batches before the failure are committed
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.FAILED, finished_at=timezone.now(), error=reason, rejected=stored.count
    )


def _record_change_if_any(run: ImportRun, summary: UpsertSummary) -> None:
    """A run that created or updated rows is a catalog change (no snapshot: the files are one); a re-run that
    changed nothing is not."""
    counts = (summary.tracks, summary.artists, summary.albums, summary.playlists)
    if summary.genres_created or summary.playlist_entries_written or any(c.created or c.updated for c in counts):
        catalog_changed(reason=f"import run {run.pk} ({run.kind})")


def import_paths(
    *,
    kind: str,
    paths: list[str],
    format_name: str | None = None,
    progress: bool = False,
    on_rejection: RejectionSink | None = None,
    user=None,
) -> ImportRun:
    """Create and execute a run over files on this machine (the management commands)."""
    run = import_run_create(kind=kind, paths=paths, format_name=format_name, user=user)
    return import_run_execute(run_id=run.pk, progress=progress, on_rejection=on_rejection)


def _finish(run: ImportRun, summary: UpsertSummary, rejected: int, formats: list[str], seconds: float) -> None:
    primary = summary.playlists if run.kind == "playlists" else summary.tracks
    run.status = ImportRun.Status.COMPLETED_WITH_REJECTIONS if rejected else ImportRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.created, run.updated, run.unchanged, run.rejected = (
        primary.created,
        primary.updated,
        primary.unchanged,
        rejected,
    )
    run.format = run.format or ", ".join(dict.fromkeys(formats))
    run.details = {**summary.as_dict(), "seconds": round(seconds, 2)}
    run.save()


@contextlib.contextmanager
def _local_paths(run: ImportRun) -> Iterator[list[Path]]:
    """The run's files as local paths; an upload kept in remote storage is copied to a temporary file."""
    if not run.uploaded_file:
        yield [Path(p) for p in run.paths]
        return
    try:
        yield [Path(default_storage.path(run.uploaded_file.name))]
        return
    except NotImplementedError:  # remote storage (S3) has no local path
        pass
    suffix = Path(run.uploaded_file.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as local, default_storage.open(run.uploaded_file.name) as remote:
        for chunk in iter(lambda: remote.read(1 << 20), b""):
            local.write(chunk)
        local.flush()
        yield [Path(local.name)]


class _RejectionStore:
    """Counts every rejection, reports each to the caller, keeps the first MAX_STORED_REJECTIONS in the DB."""

    def __init__(self, run: ImportRun, on_rejection: RejectionSink | None):
        self.run = run
        # An upload is read from a storage path; rejections name the file the curator uploaded instead.
        self.file_names: dict[str, str] = {}
        self.on_rejection = on_rejection
        self.count = 0
        self.pending: list[ImportRejection] = []

    def shown(self, text: str) -> str:
        """`text` with each upload's storage path replaced by the name the curator uploaded (no server paths)."""
        for local, shown_name in self.file_names.items():
            text = text.replace(local, shown_name)
        return text

    def add(self, rejection: Rejection) -> None:
        shown_name = self.file_names.get(rejection.origin.file)
        if shown_name:
            rejection = Rejection(Origin(shown_name, rejection.origin.line), self.shown(rejection.reason))
        self.count += 1
        if self.on_rejection:
            self.on_rejection(rejection)
        if self.count <= MAX_STORED_REJECTIONS:
            self.pending.append(
                ImportRejection(
                    run=self.run, file=rejection.origin.file, line=rejection.origin.line, reason=rejection.reason
                )
            )
        if len(self.pending) >= 500:
            self.flush()

    def flush(self) -> None:
        ImportRejection.objects.bulk_create(self.pending)
        self.pending = []


class _FileProblems:
    """Files that could not be read at all. With nothing read, the run fails with their reasons; beside files that
    were read, each is one rejection of its file (line 0: the whole file), and the others still import."""

    def __init__(self, stored: _RejectionStore):
        self.stored = stored
        self.problems: list[tuple[str, str]] = []  # (file as shown, reason without the file's name in front)

    def add(self, path: Path | str, error: ImportFileError) -> None:
        shown_file = self.stored.shown(str(path))
        reason = self.stored.shown(str(error)).removeprefix(f"{shown_file}: ")
        self.problems.append((shown_file, reason))

    def settle(self, *, files_read: int) -> None:
        if not self.problems:
            return
        if not files_read:
            raise ImportRunFailed("\n".join(f"{file}: {reason}" for file, reason in self.problems))
        for file, reason in self.problems:
            self.stored.add(Rejection(Origin(file, 0), reason))


def _import_paths(
    run: ImportRun, paths: list[Path], summary: UpsertSummary, stored: _RejectionStore, progress: bool
) -> list[str]:
    """Import every file unit; a file that cannot be read is one rejection and the others still import; when no
    file can be read, raises ImportRunFailed."""
    units: list[tuple[Path, str, int]] = []
    problems = _FileProblems(stored)
    try:
        expanded = expand_paths(paths)
    except ImportFileError as error:
        problems.add(str(paths[0]) if len(paths) == 1 else "(paths)", error)
        problems.settle(files_read=0)
    for path in expanded:
        try:
            format_name = run.format or detect_format(path)
            _check_kind(run.kind, format_name, path)
            units.append((path, format_name, progress_total(path, format_name)))
        except ImportFileError as error:
            problems.add(path, error)
    total = sum(lines for _, _, lines in units)
    writer = _BatchWriter(summary)
    files_read = 0
    with tqdm(total=total, unit="line", disable=not progress, desc=f"importing {run.kind}") as bar:
        for path, format_name, lines in units:
            bar.set_postfix_str(path.name, refresh=False)
            done_before = bar.n
            try:
                _import_unit(path, format_name, writer, stored, bar)
                files_read += 1
            except ImportFileError as error:
                problems.add(path, error)
            bar.update(max(0, done_before + lines - bar.n))  # lines after the last record (a closing bracket)
        writer.flush()
    for rejection in summary.rejections:
        stored.add(rejection)
    summary.rejections.clear()
    problems.settle(files_read=files_read)
    return [name for _, name, _ in units]


def _check_kind(kind: str, format_name: str, path: Path) -> None:
    format_kind = FORMATS[format_name].kind
    if format_kind != kind:
        command = "import_playlists" if format_kind == "playlists" else "import_catalog"
        raise ImportFileError(
            f"{path} holds {format_kind} ({format_name}), not {kind}: import it as {format_kind} "
            f"(manage.py {command})"
        )


class _BatchWriter:
    """Collects records across files (an MPD slice holds only ~8 playlists) and upserts full batches.

    Tracks whose id the file repeats (Kaggle lists a track once per genre, with popularities that differ)
    are held back and upserted together at the end of the file: written in different batches, each run
    would flip them from one row's values to the other's, and a re-run would not be a no-op.
    """

    def __init__(self, summary: UpsertSummary):
        self.summary = summary
        self.tracks: list[TrackRecord] = []
        self.playlists: list[PlaylistRecord] = []
        self.repeated_ids: set[str] = set()
        self.held_back: list[TrackRecord] = []

    def add(self, record: TrackRecord | PlaylistRecord) -> None:
        if isinstance(record, TrackRecord) and record.spotify_id in self.repeated_ids:
            self.held_back.append(record)
        elif isinstance(record, PlaylistRecord):
            self.playlists.append(record)
            if len(self.playlists) >= PLAYLIST_BATCH:
                self.flush()
        else:
            self.tracks.append(record)
            if len(self.tracks) >= TRACK_BATCH:
                self.flush()

    def flush(self) -> None:
        if self.playlists:
            catalog_upsert_playlists(records=self.playlists, summary=self.summary)
            self.playlists = []
        if self.tracks:
            catalog_upsert_tracks(records=self.tracks, summary=self.summary)
            self.tracks = []

    def end_of_file(self) -> None:
        if self.held_back:
            catalog_upsert_tracks(records=self.held_back, summary=self.summary)
        self.held_back, self.repeated_ids = [], set()


def _repeated_track_ids(path: Path, format_name: str) -> set[str]:
    """Ids of tracks a catalog file lists more than once (one extra parse: ~1 s for 20k rows)."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for item in read_records(path, format_name):
        if isinstance(item, TrackRecord) and item.spotify_id:
            (repeated if item.spotify_id in seen else seen).add(item.spotify_id)
    return repeated


def _import_unit(path: Path, format_name: str, writer: _BatchWriter, stored: _RejectionStore, bar: tqdm) -> None:
    if FORMATS[format_name].kind == "catalog":
        # Playlist files repeat tracks by nature, but only with the same few fields; no hold-back needed.
        writer.repeated_ids = _repeated_track_ids(path, format_name)
    line_reached = 0
    for item in read_records(path, format_name):
        bar.update(max(0, item.origin.line - line_reached))
        line_reached = max(line_reached, item.origin.line)
        if isinstance(item, Rejection):
            stored.add(item)
        else:
            writer.add(item)
    writer.end_of_file()
