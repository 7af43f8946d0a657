"""Audio model benchmark (issue 12): analysis cost and memory in one process, and the learned mapping on the demo.

    .venv/bin/python bench/audio_bench.py cost   [--files 20]                 # CPU per 30-second preview
    .venv/bin/python bench/audio_bench.py memory [--files 1000] [--distinct 20] [--seconds 30]  # RSS per 100
    .venv/bin/python bench/audio_bench.py demo   [--train 600] [--held-out 200] [--workers 2]

- cost: `--files` 30-second previews synthesized from random demo-like features (ingestion.demo.audio, Ogg Vorbis
  at 16 kHz as the demo's), each analysed once (recommendations.engines.audio.analyse_audio); CPU seconds per
  analysis (process time, so other processes' load counts less than in wall time): mean, median, max.
- memory: `--files` analyses in this one process, cycling over `--distinct` previews of `--seconds` (made first,
  so only the analysis runs in the loop); the resident set size (VmRSS) after every 100 files, and its growth
  from file 100 on.
- demo: the full demo catalog (ingestion.demo, scale 1); for tracks with features, its synthesized 8-second
  preview, analysed in `--workers` processes. The learned mapping (AudioFeatureModel, what `train_recommenders`
  fits) is trained on `--train` tracks spread over the catalog: its cross-validated error per feature, then its
  error on `--held-out` other tracks against their demo features, and the measured features' agreement.

Prints Markdown for BENCHMARKS.md (and JSON with --out).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingestion.demo import demo_catalog_generate  # noqa: E402
from ingestion.demo.audio import PreviewSound, preview_file  # noqa: E402
from recommendations.engines.audio.analysis import DESCRIPTOR_NAMES, analyse_audio  # noqa: E402
from recommendations.engines.audio.mapping import (  # noqa: E402
    LEARNED_FEATURES,
    MEASURED_FEATURES,
    AudioFeatureModel,
)

PREVIEW_SECONDS = 30.0


def random_sound(rng: random.Random) -> PreviewSound:
    return PreviewSound(
        tempo=rng.uniform(60, 180), key=rng.randrange(12), mode=rng.randrange(2), time_signature=rng.choice((3, 4)),
        energy=rng.random(), danceability=rng.random(), acousticness=rng.random(), valence=rng.random(),
        loudness=rng.uniform(-20, -4),
    )  # fmt: skip


def previews(count: int, seconds: float, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [preview_file(random_sound(rng), seed=f"bench {i}", seconds=seconds) for i in range(count)]


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_cost(files: int) -> dict:
    data = previews(files, PREVIEW_SECONDS)
    analyse_audio(data[0])  # imports and filter banks, once per process
    seconds = []
    for blob in data:
        started = time.process_time()
        analyse_audio(blob)
        seconds.append(time.process_time() - started)
    result = {"files": files, "preview_seconds": PREVIEW_SECONDS, "mean": statistics.mean(seconds),
              "median": statistics.median(seconds), "max": max(seconds)}  # fmt: skip
    print("| 30-s previews | CPU s mean | median | max |\n|---:|---:|---:|---:|")
    print(f"| {files} | {result['mean']:.3f} | {result['median']:.3f} | {result['max']:.3f} |")
    return result


def bench_memory(files: int, distinct: int, seconds: float) -> dict:
    data = previews(distinct, seconds, seed=1)
    samples = [(0, rss_mib())]
    started, cpu = time.perf_counter(), time.process_time()
    for index in range(1, files + 1):
        analyse_audio(data[index % distinct])
        if index % 100 == 0:
            samples.append((index, rss_mib()))
            print(f"  {index} files: RSS {samples[-1][1]:.1f} MiB", file=sys.stderr, flush=True)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    after_100 = [rss for count, rss in samples if count >= 100]
    result = {"files": files, "distinct": distinct, "seconds": seconds, "rss_mib": samples, "wall_s": wall,
              "cpu_s": cpu, "growth_from_100_mib": max(after_100) - after_100[0]}  # fmt: skip
    print("| files | " + " | ".join(str(count) for count, _ in samples) + " |")
    print("|---|" + "---:|" * len(samples))
    print("| RSS MiB | " + " | ".join(f"{rss:.0f}" for _, rss in samples) + " |")
    print(f"\n{files} analyses in {wall:.0f} s wall, {cpu:.0f} s CPU; growth after file 100: "
          f"{result['growth_from_100_mib']:.1f} MiB")  # fmt: skip
    return result


def _analyse_tracks(jobs: list[tuple[dict, str]]) -> list:
    """One worker task: render each track's demo preview (as seed_demo does) and analyse it."""
    results = []
    for features, seed in jobs:
        analysis = analyse_audio(preview_file(PreviewSound.from_features(features), seed=seed))
        results.append((analysis.measured_features(), analysis.descriptor_vector()))
    return results


def bench_demo(train: int, held_out: int, workers: int) -> dict:
    catalog = demo_catalog_generate(scale=1.0, today=dt.date(2026, 12, 1))
    tracks = [track for track in catalog.tracks if track.features]
    stride = len(tracks) / (train + held_out)
    chosen = [tracks[int(i * stride)] for i in range(train + held_out)]
    jobs = [(dict(track.features), track.name) for track in chosen]
    started = time.perf_counter()
    chunks = [jobs[i : i + 20] for i in range(0, len(jobs), 20)]
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        analysed = [row for chunk in pool.map(_analyse_tracks, chunks) for row in chunk]
    analyse_seconds = time.perf_counter() - started
    descriptors = np.array([vector for _, vector in analysed])
    targets = np.array([[track.features.get(name, np.nan) for name in LEARNED_FEATURES] for track in chosen], float)
    measured = np.array([[m.get(name, np.nan) for name in MEASURED_FEATURES] for m, _ in analysed], float)
    truth = np.array([[track.features.get(name, np.nan) for name in MEASURED_FEATURES] for track in chosen], float)
    # Interleaved: every (train+held_out)/held_out-th track is held out, so both halves span the catalog.
    held = np.zeros(len(chosen), bool)
    held[np.linspace(0, len(chosen) - 1, held_out).astype(int)] = True
    fitted = time.perf_counter()
    model = AudioFeatureModel.fit(descriptors[~held], targets[~held], measured=measured[~held], truth=truth[~held],
                                  descriptor_names=DESCRIPTOR_NAMES)  # fmt: skip
    fit_seconds = time.perf_counter() - fitted
    predicted = model.predict(descriptors[held])
    rows = []
    print(f"| feature | model | CV error (train, {int((~held).sum())}) | error of the mean | held-out error "
          f"({int(held.sum())}) |\n|---|---|---:|---:|---:|")  # fmt: skip
    for column, name in enumerate(LEARNED_FEATURES):
        fit = model.fits.get(name)
        if fit is None:
            print(f"| {name} | not learned (no demo values) | | | |")
            continue
        known = ~np.isnan(targets[held, column])
        error = float(np.mean(np.abs(predicted[name][known] - targets[held, column][known])))
        rows.append({"feature": name, "model": fit.model, "cv_mae": fit.cv_mae, "mean_mae": fit.mean_mae,
                     "held_out_mae": error})  # fmt: skip
        print(f"| {name} | {fit.model.replace('_', ' ')} | {fit.cv_mae:.3f} | {fit.mean_mae:.3f} | {error:.3f} |")
    agreement = model.measured_agreement
    print("\nMeasured directly (training tracks):", json.dumps(agreement))
    print(f"\n{len(chosen)} previews analysed in {analyse_seconds:.0f} s wall ({workers} processes); "
          f"fit (with {len(LEARNED_FEATURES)}-feature cross-validation) {fit_seconds:.1f} s")  # fmt: skip
    return {"features": rows, "measured_agreement": agreement, "analyse_wall_s": analyse_seconds,
            "fit_s": fit_seconds, "train": int((~held).sum()), "held_out": int(held.sum())}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("cost", "memory", "demo"))
    parser.add_argument("--files", type=int)
    parser.add_argument("--distinct", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=PREVIEW_SECONDS, help="memory: preview length")
    parser.add_argument("--train", type=int, default=600)
    parser.add_argument("--held-out", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.mode == "cost":
        result = bench_cost(args.files or 20)
    elif args.mode == "memory":
        result = bench_memory(args.files or 1000, args.distinct, args.seconds)
    else:
        result = bench_demo(args.train, args.held_out, args.workers)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    main()
