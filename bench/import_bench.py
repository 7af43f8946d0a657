"""Import benchmark: time the file importers on real data, on SQLite and PostgreSQL, in one run.

    .venv/bin/python bench/import_bench.py [--data ../shared/data] [--databases sqlite,postgresql]

For each database it starts from an empty, migrated database and runs, as separate processes (the way an
operator would): the seed dataset, the 20k-track spotify-api-2021 catalog, SpotifyFeatures.csv and the mpd-dev
playlists, each twice in a row (the re-run must create and update nothing). It prints a Markdown table for
BENCHMARKS.md with wall time and peak memory of each import. Targets (issue 2): spotify-api-2021 < 30 s, mpd-dev < 60 s.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
BENCH_DB = "todaysong_bench"


def manage(args: list[str], database_url: str) -> tuple[dict | None, float, float, int]:
    """Run manage.py in a child process; returns (its JSON output, seconds, peak RSS in MB, exit code)."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_LOG_LEVEL": "WARNING"}
    env.pop("CELERY_BROKER_URL", None)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args], env=env, stdout=out, stderr=err, cwd=ROOT
        )
        # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would be the maximum over all children).
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code not in (0, 1):
        sys.exit(f"manage.py {' '.join(args)} failed ({code}):\n{stderr[-3000:]}")
    output = json.loads(stdout.strip().splitlines()[-1]) if "--json" in args else None
    return output, seconds, usage.ru_maxrss / 1024, code


def fresh_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        path = workdir / "bench.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg2

    admin = psycopg2.connect(f"{PG_ADMIN_URL}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    admin.close()
    return f"{PG_ADMIN_URL}/{BENCH_DB}"


def bench_database(kind: str, data: Path, workdir: Path) -> list[dict]:
    url = fresh_database(kind, workdir)
    manage(["migrate", "--no-input", "-v0"], url)
    kaggle_csv = data / "spotifyfeatures-partial" / "SpotifyFeatures.csv"
    jobs = [
        ("seed-dataset JSON (585 tracks)", ["import_catalog", str(data / "seed-dataset" / "track_dataset.json")], None),
        ("spotify-api-2021 (20,082 tracks)", ["import_catalog", str(data / "spotify-api-2021")], 30),
        ("SpotifyFeatures.csv (19,829 rows)", ["import_catalog", str(kaggle_csv)], None),
        ("mpd-dev (3,359 playlists)", ["import_playlists", str(data / "mpd-dev")], 60),
    ]
    rows = []
    # Each import runs twice in a row: the re-run must create and update nothing. (Sources that overlap
    # disagree on some values, e.g. track names; the source imported last wins, so a re-run after *another*
    # import may update those rows back.)
    for label, args, target in jobs:
        for attempt in ("first run", "re-run"):
            summary, seconds, peak_mb, code = manage([*args, "--json"], url)
            rows.append(
                {
                    "database": kind,
                    "import": label,
                    "run": attempt,
                    "seconds": round(seconds, 1),
                    "target": target,
                    "peak_mb": round(peak_mb),
                    "created": summary["created"],
                    "updated": summary["updated"],
                    "unchanged": summary["unchanged"],
                    "rejected": summary["rejected"],
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    if not (args.data / "mpd-dev").is_dir():
        sys.exit(f"{args.data} does not hold the shared datasets (mpd-dev, spotify-api-2021)")
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for kind in args.databases.split(","):
            rows += bench_database(kind.strip(), args.data, Path(workdir))
    print("| database | import | run | seconds | target | peak RSS MB | created | updated | unchanged | rejected |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['database']} | {r['import']} | {r['run']} | {r['seconds']} "
            f"| {'< ' + str(r['target']) if r['target'] else ''} | {r['peak_mb']} "
            f"| {r['created']} | {r['updated']} | {r['unchanged']} | {r['rejected']} |"
        )


if __name__ == "__main__":
    main()
