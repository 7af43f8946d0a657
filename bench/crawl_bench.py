"""Crawl benchmark: the spotify-api-2021 crawl (../shared/data) served by the fake Spotify with faults on.

    .venv/bin/python bench/crawl_bench.py [--playlists 40] [--new-releases 300] [--fault-rate 0.03] [--restricted]

Into a fresh SQLite database in a temporary directory (or DATABASE_URL if set: use a scratch database), runs:
1. crawl_playlists over `--playlists` playlists of 150 tracks cut from the dump's 20k tracks;
2. crawl_new_releases over the `--new-releases` newest albums;
3. both again (nothing left to do: the re-run cost).
The fake answers `--fault-rate` of requests with a 503, half as many with a truncated body and a 1 s 429 (waits
are skipped, counted in the summary). `--restricted` makes it a development-mode app (fallbacks, estimates).
Prints time, requests, retries and counts per step, then checks every track, album and artist is in the catalog once.
Exits 0 with a message when ../shared is absent.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "spotify-api-2021"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playlists", type=int, default=40)
    parser.add_argument("--new-releases", type=int, default=300)
    parser.add_argument("--fault-rate", type=float, default=0.03)
    parser.add_argument("--restricted", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is not present")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/crawl-bench.sqlite3")
        os.environ.setdefault("DJANGO_LOG_LEVEL", "ERROR")
        os.environ["APP_VAR_DIR"] = scratch
        return _bench(args)


def _bench(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recommender_site.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("spotipy").setLevel(logging.CRITICAL)
    from django.conf import settings
    from django.core.management import call_command

    from ingestion.models import Album, Artist, Track
    from ingestion.services.crawls import crawl_new_releases, crawl_playlists
    from tests.fake_spotify import CLIENT_ID, CLIENT_SECRET, FakeSpotify, Fault, Faults, catalog_from_spotify_api_csv
    from tests.fake_spotify.helpers import Waits, recording_client

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    catalog = catalog_from_spotify_api_csv(DATA, playlists=args.playlists)
    print(f"loaded the dump in {time.perf_counter() - started:.1f} s: {len(catalog.tracks)} tracks, "
          f"{len(catalog.albums)} albums, {len(catalog.artists)} artists")
    rate = args.fault_rate
    faults = Faults([Fault("server_error", probability=rate), Fault("truncated", probability=rate / 2),
                     Fault("rate_limit", probability=rate / 2, retry_after=1)], seed=2021)
    with FakeSpotify(catalog, faults=faults, restricted=args.restricted) as fake:
        settings.SPOTIFY_API_URL, settings.SPOTIFY_ACCOUNTS_URL = fake.api_url, fake.accounts_url
        settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
        settings.SPOTIFY_MAX_RETRIES = 6
        playlist_ids = list(catalog.playlists)
        steps = [
            ("playlists", lambda c: crawl_playlists(playlist_ids=playlist_ids, client=c)),
            ("new releases", lambda c: crawl_new_releases(limit=args.new_releases, client=c)),
            ("playlists again", lambda c: crawl_playlists(playlist_ids=playlist_ids, client=c)),
            ("new releases again", lambda c: crawl_new_releases(limit=args.new_releases, client=c)),
        ]
        print("| step | seconds | status | requests | retries | waits skipped (s) | tracks new/upd | estimated |")
        print("|---|---|---|---|---|---|---|---|")
        for name, step in steps:
            waits = Waits()
            began = time.perf_counter()
            run = step(recording_client(waits))
            tracks = run.counts["tracks"]
            print(f"| {name} | {time.perf_counter() - began:.1f} | {run.status} | {run.counts['requests']} | "
                  f"{run.counts['retries']} | {sum(waits):.0f} | {tracks['created']}/{tracks['updated']} | "
                  f"{run.counts['features_estimated']} |")
    expected_tracks = {t for p in catalog.playlists.values() for t in p["track_ids"]}
    expected_tracks |= {t for a in catalog.new_releases[: args.new_releases] for t in catalog.album_track_ids(a)}
    stored = list(Track.objects.values_list("spotify_id", flat=True))
    whole = set(stored) == expected_tracks and len(stored) == len(set(stored))
    print(f"catalog: {len(stored)} tracks, {Album.objects.count()} albums, {Artist.objects.count()} artists; "
          f"every served track stored once: {'yes' if whole else 'NO'}")
    return 0 if whole else 1


if __name__ == "__main__":
    sys.exit(main())
