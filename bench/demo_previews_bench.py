"""Demo preview benchmark: CPU and size per preview for each format, and the whole demo's previews end to end.

    .venv/bin/python bench/demo_previews_bench.py [--tracks 200] [--full] [--out results.json]

1. per preview: the first `--tracks` features-bearing tracks of the full demo catalog, each rendered at the
   synthesizer's rate and length (ingestion.demo.audio), then encoded in every format soundfile can write for
   Chromium (Ogg Vorbis, Ogg Opus at 16 kHz, MP3, WAV); CPU milliseconds (process time, so the load of other
   processes on a shared machine counts less than in wall time) and KiB per preview, mean over the tracks.
2. with --full: `manage.py seed_demo` (full scale, default worker processes) into a temporary APP_VAR_DIR, then
   `seed_demo` again; wall seconds, the CPU seconds of the command and its children, the files and their size.

Prints Markdown tables for BENCHMARKS.md (and JSON with --out).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingestion.demo import demo_catalog_generate  # noqa: E402
from ingestion.demo.audio import (  # noqa: E402
    PREVIEW_FORMATS,
    PREVIEW_RATE,
    PREVIEW_SECONDS,
    PreviewSound,
    preview_encode,
    preview_render,
)


def per_preview(tracks: int) -> list[dict]:
    catalog = demo_catalog_generate(scale=1.0, today=dt.date(2026, 12, 1))
    jobs = [(PreviewSound.from_features(t.features), t.name) for t in catalog.tracks if t.features][:tracks]
    preview_render(jobs[0][0], seed="warm-up")
    started = time.process_time()
    samples = [preview_render(sound, seed=name) for sound, name in jobs]
    render_ms = (time.process_time() - started) / len(jobs) * 1000
    rows = []
    for name in PREVIEW_FORMATS:
        started = time.process_time()
        sizes = [len(preview_encode(s, format=name)) for s in samples]
        encode_ms = (time.process_time() - started) / len(jobs) * 1000
        rows.append({
            "format": name, "render_ms": round(render_ms, 1), "encode_ms": round(encode_ms, 1),
            "total_ms": round(render_ms + encode_ms, 1), "kib": round(sum(sizes) / len(sizes) / 1024, 1),
            "mib_per_3000": round(sum(sizes) / len(sizes) * 3000 / 2**20, 1),
        })
    return rows


def full_seed() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="demo-previews-bench-") as var:
        env = {**os.environ, "APP_VAR_DIR": var, "DATABASE_URL": f"sqlite:///{var}/db.sqlite3"}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "seed_demo", "--no-previews", "-v", "0"], env=env, check=True)
        for run in ("first run", "re-run"):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            out = subprocess.run(
                [*manage, "seed_demo", "--previews-only", "--json"], env=env, check=True, capture_output=True,
                text=True,
            ).stdout
            wall = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            summary = json.loads(out)["previews"]
            folder = Path(var) / "media" / "audio" / "demo"
            rows.append({
                "run": run, "wall_s": round(wall, 1),
                "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
                "made": summary["made"], "workers": summary["workers"], "files": len(list(folder.iterdir())),
                "mib": round(sum(p.stat().st_size for p in folder.iterdir()) / 2**20, 1),
            })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=200)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = {"per_preview": per_preview(args.tracks)}
    print(f"Per preview ({PREVIEW_SECONDS:g} s at {PREVIEW_RATE} Hz, mean of {args.tracks} demo tracks, CPU ms):\n")
    print("| format | render ms | encode ms | total ms | KiB | MiB for 3,000 |\n|---|---:|---:|---:|---:|---:|")
    for row in results["per_preview"]:
        print(f"| {row['format']} | {row['render_ms']} | {row['encode_ms']} | {row['total_ms']} | {row['kib']} "
              f"| {row['mib_per_3000']} |")
    if args.full:
        results["full"] = full_seed()
        print("\nseed_demo --previews-only on the full demo (3,000 tracks):\n")
        print("| run | wall s | CPU s | made | processes | files | MiB |\n|---|---:|---:|---:|---:|---:|---:|")
        for row in results["full"]:
            print(f"| {row['run']} | {row['wall_s']} | {row['cpu_s']} | {row['made']} | {row['workers']} "
                  f"| {row['files']} | {row['mib']} |")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
