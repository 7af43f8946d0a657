"""Audio sources benchmark (issue 12 item 3): a curator's zip of previews, and a preview lookup with faults.

    .venv/bin/python bench/audio_sources_bench.py [--files 200] [--seconds 30] [--fault-rate 0.03] [--trace-memory]

Into a fresh SQLite database and media folder in a temporary directory:
1. `--files` tracks; one zip of as many MP3 files (as Deezer serves) of `--seconds` seconds, tagged with artist and
   title (20 generated tones: MP3 encoding is slow), plus 5% files that are not audio; the upload is run (as the
   task does) and run again (the re-upload: everything unchanged);
2. as many tracks without features, looked up on the fake Deezer (tests/fake_previews.py, 127.0.0.1), where 10% of
   the songs are another recording (a length 40 s off) and `--fault-rate` of requests get a 503 and a third as
   many a short 429 (the waits are recorded, not slept).
Prints time per file / per track, requests, retries, outcomes and the process's peak memory.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--fault-rate", type=float, default=0.03)
    parser.add_argument("--trace-memory", action="store_true",
                        help="Measure the upload's Python allocations (tracemalloc; about doubles its time).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/audio-bench.sqlite3"
        os.environ.setdefault("DJANGO_LOG_LEVEL", "ERROR")
        os.environ["APP_VAR_DIR"] = scratch
        return _bench(args)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bench(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recommender_site.settings")
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings
    from django.core.files.uploadedfile import UploadedFile
    from django.utils import timezone

    from ingestion.models import Artist, AudioUpload, Track, TrackArtist
    from ingestion.previews.http import PreviewHttp
    from ingestion.services.audio_uploads import audio_upload_execute, audio_upload_queue
    from ingestion.services.previews import preview_sources, previews_look_up
    from tests.fake_previews import FakePreviews, FakeSong, Fault, Faults
    from tests.ingestion.sounds import tagged, tone

    now = timezone.now()
    artist = Artist.objects.create(name="Bench Band", first_seen=now, updated_at=now)

    def tracks(prefix: str, count: int) -> list[Track]:
        made = Track.objects.bulk_create(Track(name=f"{prefix} {n}", duration_ms=200_000, first_seen=now,
                                               updated_at=now) for n in range(count))
        TrackArtist.objects.bulk_create(TrackArtist(track=t, artist=artist, position=0) for t in made)
        return made

    # 1. the upload
    tracks("Upload", args.files)
    started = time.perf_counter()
    # MP3 encoding is slow (~0.5 s per 30 s here): 20 distinct sounds, each file made distinct by its ID3 tag
    bases = [tone(seconds=args.seconds, hz=110 + n * 7, format="mp3") for n in range(min(20, args.files))]
    sounds = [tagged(bases[n % len(bases)], "mp3", artist="Bench Band", title=f"Upload {n}")
              for n in range(args.files)]
    print(f"generated {args.files} MP3 files of {args.seconds:.0f} s ({sum(map(len, sounds)) / 2**20:.1f} MiB) "
          f"in {time.perf_counter() - started:.1f} s")
    zip_path = Path(os.environ["APP_VAR_DIR"]) / "batch.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_STORED) as archive:
        for n, data in enumerate(sounds):
            archive.writestr(f"upload-{n:04d}.mp3", data)  # matched by the tags' artist and title
        for n in range(max(1, args.files // 20)):
            archive.writestr(f"notes {n}.mp3", b"not audio at all\n" * 100)
    del sounds
    settings.AUDIO_UPLOAD_MAX_FILES = args.files * 2
    for label in ("upload", "re-upload"):
        started = time.perf_counter()
        if args.trace_memory:
            tracemalloc.start()
        with zip_path.open("rb") as handle:  # streamed from disk, as Django hands over a big upload
            uploaded = UploadedFile(handle, name="batch.zip", size=zip_path.stat().st_size)
            upload = audio_upload_queue(files=[uploaded], create_missing=False)  # no broker: runs it too
        if upload.status == AudioUpload.Status.QUEUED:
            upload = audio_upload_execute(upload_id=upload.pk)
        allocated = f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB" if args.trace_memory else "not traced"
        tracemalloc.stop()
        seconds = time.perf_counter() - started
        print(f"{label}: {upload.files_total} files in {seconds:.2f} s ({1000 * seconds / upload.files_total:.1f} ms "
              f"per file, staging included): {upload.matched} matched, {upload.unchanged} unchanged, "
              f"{upload.rejected} rejected; Python allocations peak while running: {allocated}; "
              f"process peak {_peak_mib():.0f} MiB")

    # 2. the preview lookup
    lookup_tracks = tracks("Lookup", args.files)
    songs = [FakeSong("Bench Band", t.name, seconds=240 if n % 10 == 9 else 200, audio=bases[n % len(bases)])
             for n, t in enumerate(lookup_tracks)]
    rules = [Fault("server_error", probability=args.fault_rate),
             Fault("rate_limit", probability=args.fault_rate / 3, retry_after=1)]
    waits: list[float] = []
    with FakePreviews(songs, faults=Faults(rules, seed=7)) as fake:
        settings.PREVIEW_SOURCES, settings.DEEZER_API_URL = ["deezer"], fake.deezer_url
        http = PreviewHttp(timeout=10, max_retry_after=30, max_retries=4, backoff_seconds=0.5, sleep=waits.append)
        started = time.perf_counter()
        summary = previews_look_up(sources=preview_sources(http=http))
        seconds = time.perf_counter() - started
    print(f"preview lookup: {summary.tracks} tracks in {seconds:.2f} s ({1000 * seconds / summary.tracks:.1f} ms per "
          f"track, waits of {sum(waits):.0f} s recorded, not slept): {summary}")
    print(f"peak memory {_peak_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
