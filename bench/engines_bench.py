"""Engine benchmark: rebuild time, request latency and memory of each engine on synthetic catalogs, in one run.

    .venv/bin/python bench/engines_bench.py [--sizes 10000,100000,1000000] [--baseline-sizes 2000,10000]
                                            [--requests 500] [--out results.json]
                                            [--artifacts DIR] [--word2vec-epochs N] [--blend-rounds N]

For each catalog size and engine, as separate processes (so each peak memory is one process's own):

1. rebuild: generate the synthetic catalog (bench/synthetic.py; Song2Vec also gets a synthetic playlist corpus),
   then time `fit` + `save` to a temporary directory. Generating the catalog is not part of the rebuild time.
2. serve: a FRESH process loads the saved artifact memory-mapped, as a web process does, runs warm-up requests,
   then times `--requests` requests one by one: p50 / p99 in ms, RSS after the requests and the process's peak RSS.
3. web process: one more process loads every engine of that size together and serves them all, interleaved:
   the memory a web process needs (target at 1M tracks: 500 MB).

Then, when the shared MPD sample is there, Song2Vec trained on the real mpd-dev playlists (3,359) and served the
same way; and the ORIGINAL project's content-based request (bench/original_nxn.py: TF-IDF and a dense N x N cosine
matrix per request) at 2k and 10k tracks, a handful of requests each, as the baseline. It prints a Markdown table
(and JSON with --out) for BENCHMARKS.md, and the original's cost at 10k against the content engine's.

Song2Vec's synthetic corpus: one playlist per 30 catalog tracks (at most 10,000) of 20-100 tracks drawn mostly from
the scenes of one situation and named as people name such playlists (bench/synthetic.py). Song2Vec is skipped,
with "song2vec: not available" on stdout, when recommendations.engines.song2vec.engine is missing.

cf, terms and blend fit on the same synthetic corpus and catalog. The blend's artifact is a bundle (its song2vec, cf
and terms beside its ranker); its ranker learns from BLEND_RANKER_PLAYLISTS playlists of the corpus, 2 request shapes
each, with base generators whose Word2Vec runs BLEND_BASE_EPOCHS epochs (serving cost does not depend on how good
the ranker is). In the web process the blend serves with the song2vec, cf and terms engines loaded before it, as a
web process holds each engine once.

Requests, drawn with a fixed seed: cf: 1, 5, 10 or 25 seed tracks, 5 dislikes, 50 excluded; terms: a situation
text, one in three with 5 seed tracks; blend: a title alone, a title with 5 tracks, or 10 tracks without a title,
50 excluded (playlist picks and the situation page); content: one favourite with mood, speed and emotion (each left
out 10% of the time), or three favourites, or a reroll, always excluding 50 disliked tracks; clusters: a playlist of
5-200 random tracks, k=20, 50 excluded; Song2Vec: situation queries ("music for coding", "비 오는 날", "workout"...),
one in five a reroll, 50 excluded.

`--artifacts DIR` keeps each built artifact (with its build row and settings, build.json) and reuses complete ones
in a later run when they were built with the same options and the same engine code (else it rebuilds and says
why): at 1M tracks the blend's bundle takes longer to build than everything else to measure, and the web process's
memory can then be measured again after a serving change without rebuilding. `--word2vec-epochs N` trains song2vec's
and the blend's Word2Vec for N epochs instead of the engine's 40: the artifacts keep a 1M catalog's shapes (vectors,
indexes, factors), only the vectors are less trained; say so beside any number measured that way.

Every child runs with OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=1. Web processes should: on a 2-core box already busy
with other processes, BLAS threads spinning up for a 5-element matrix-vector product only make the tail worse, and
several web processes each with a thread pool oversubscribe the cores. Rebuilds get one BLAS/OpenMP thread too
(the worker shares the box with the web processes: the conservative case); gensim's Word2Vec runs the engine's own
`workers` threads (2), which these variables do not limit. Rebuild rows record the 1-minute load average around them.

"RSS" is resident memory (VmRSS) after the requests; "anon" is its anonymous part (heap, the engines' per-process
arrays); the rest is the memory-mapped artifact and shared libraries, which the page cache shares between web
processes. "peak RSS" is the serving process's maximum (ru_maxrss from wait4). "p99 CPU" is the 99th percentile of
the request's own CPU time: when it is far below the wall-clock p99, the tail came from other processes on the box.
"""
from __future__ import annotations

import argparse
import faulthandler
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # children import bench.synthetic and recommendations.engines

SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
ENGINES = ("content", "clusters", "song2vec", "cf", "terms", "blend")
WARMUP_REQUESTS = 50
BASELINE_WARMUP = 1
EXCLUDED_PER_REQUEST = 50
RELEASED_BY = date(2026, 11, 30)  # the synthetic catalog's last release day
MPD_DEV = ROOT.parent / "shared" / "data" / "mpd-dev"
# Synthetic playlists for Song2Vec: one per 30 catalog tracks, at most 10,000 (3x mpd-dev). Word2Vec's time grows
# with playlist entries, not catalog size: 33k playlists at 1M tracks would train for ~10 minutes here with the
# engine's 40 epochs. With the cap, most 1M-track vectors come from content placement, a path worth measuring.
PLAYLISTS_PER_TRACK = 1 / 30
MAX_PLAYLISTS = 10_000
BLEND_BASE_EPOCHS = 5  # Word2Vec epochs of the blend's ranker-training generators (its serving ones: the engine's)
BLEND_RANKER_PLAYLISTS = 100  # playlists the benchmark's ranker learns from, 2 request shapes each


@dataclass(frozen=True)
class Target:
    metric: str  # a key of the result row: "p99_ms", "rebuild_s", "train_s" or "peak_mb"
    limit: float

    def describe(self) -> str:
        unit = {"p99_ms": "ms", "rebuild_s": "s", "train_s": "s", "peak_mb": "MB"}[self.metric]
        return f"{self.metric.split('_')[0]} ≤ {self.limit:g} {unit}"

    def met(self, row: dict[str, Any]) -> bool | None:
        value = row.get(self.metric)
        return None if value is None else value <= self.limit


# The targets on this 2-core machine, by (row's engine, catalog size).
TARGETS: dict[tuple[str, int | None], Target] = {
    ("content", 100_000): Target("p99_ms", 5),
    ("content", 1_000_000): Target("p99_ms", 50),
    ("clusters", 100_000): Target("p99_ms", 5),
    ("song2vec", 100_000): Target("p99_ms", 20),
    ("blend", 100_000): Target("p99_ms", 20),
    ("content + clusters rebuild", 1_000_000): Target("rebuild_s", 60),
    ("web process (all engines)", 1_000_000): Target("peak_mb", 500),
    ("song2vec on mpd-dev", None): Target("train_s", 60),  # any size: mpd-dev's own
}


# ---------------------------------------------------------------------------------------------------------------
# Engines as the benchmark drives them: fit, load, and a stream of requests a real listener would send.


@dataclass(frozen=True)
class EngineDriver:
    fit: Callable[[Any, Any], Any]  # (SyntheticCatalog | None, PlaylistCorpus | MPD list | None) -> engine
    load: Callable[[Path], Any]  # artifact directory -> engine, memory-mapped
    requests: Callable[[Any, Any, int], list[tuple[str, dict[str, Any]]]]  # (engine, rng, count) -> (kind, kwargs)
    needs_corpus: bool = False
    word2vec: bool = False  # fit takes `epochs` (--word2vec-epochs)

    @staticmethod
    def call(engine: Any, kwargs: dict[str, Any]) -> Any:
        return engine.recommend(**kwargs)


def _random_ids(engine: Any, rng: Any, count: int) -> list[int]:
    track_ids = engine.track_ids
    return [int(track_ids[row]) for row in rng.integers(0, len(track_ids), size=count)]


def _content_fit(catalog: Any, corpus: Any) -> Any:
    from recommendations.engines.content import ContentEngine

    return ContentEngine.fit(catalog.snapshot)


def _content_load(directory: Path) -> Any:
    from recommendations.engines.content import ContentEngine

    return ContentEngine.load(directory, mmap=True)


def _content_requests(engine: Any, rng: Any, count: int) -> list[tuple[str, dict[str, Any]]]:
    """60% one favourite + filters, 20% three favourites + filters, 20% a reroll of one favourite's list."""
    requests = []
    for index in range(count):
        draw = rng.random()
        kind = "1 favourite" if draw < 0.6 else "3 favourites" if draw < 0.8 else "reroll"
        filters = {
            name: str(rng.choice(choices)) if rng.random() >= 0.1 else None
            for name, choices in (
                ("mood", ("bright", "dark")),
                ("speed", ("slow", "fast")),
                ("emotion", ("depressed", "normal", "excited")),
            )
        }
        kwargs = {
            "favourite_ids": _random_ids(engine, rng, 3 if kind == "3 favourites" else 1),
            **filters,
            "k": 20,
            "exclude_ids": _random_ids(engine, rng, EXCLUDED_PER_REQUEST),
            "reroll_seed": index if kind == "reroll" else None,
        }
        requests.append((kind, kwargs))
    return requests


def _clusters_fit(catalog: Any, corpus: Any) -> Any:
    from recommendations.engines.clusters import ClusterEngine

    return ClusterEngine.fit(catalog.snapshot)


def _clusters_load(directory: Path) -> Any:
    from recommendations.engines.clusters import ClusterEngine

    return ClusterEngine.load(directory, mmap=True)


def _clusters_requests(engine: Any, rng: Any, count: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "playlist",
            {
                "playlist_track_ids": _random_ids(engine, rng, int(rng.integers(5, 201))),
                "k": 20,
                "exclude_ids": _random_ids(engine, rng, EXCLUDED_PER_REQUEST),
                "released_by": RELEASED_BY,
            },
        )
        for _ in range(count)
    ]


def _song2vec_fit(catalog: Any, corpus: Any, epochs: int | None = None) -> Any:
    """Synthetic: the corpus plus the catalog (tracks in no playlist are placed by content). mpd-dev: playlists only.
    `epochs`: Word2Vec's (default the engine's)."""
    from dataclasses import replace

    from recommendations.engines.song2vec.engine import Song2VecEngine
    from recommendations.engines.song2vec.vectors import Word2VecParams

    params = replace(Word2VecParams(), epochs=epochs) if epochs else None
    if isinstance(corpus, list):
        return Song2VecEngine.fit(corpus, params=params)
    return Song2VecEngine.fit(corpus.pairs(), catalog.snapshot, params=params)


def _song2vec_load(directory: Path) -> Any:
    from recommendations.engines.song2vec.engine import Song2VecEngine

    return Song2VecEngine.load(directory, mmap=True)


def _song2vec_requests(engine: Any, rng: Any, count: int) -> list[tuple[str, dict[str, Any]]]:
    """Situation queries in a listener's words; one in five is a reroll."""
    from bench.synthetic import SITUATION_QUERIES

    requests = []
    for index in range(count):
        reroll = rng.random() < 0.2
        kwargs = {
            "situation": SITUATION_QUERIES[int(rng.integers(len(SITUATION_QUERIES)))],
            "k": 20,
            "exclude_ids": _random_ids(engine, rng, EXCLUDED_PER_REQUEST),
            "reroll_seed": index if reroll else None,
        }
        requests.append(("situation reroll" if reroll else "situation", kwargs))
    return requests


def _seed_sets(engine: Any, rng: Any, count: int) -> list[list[int]]:
    """Seed tracks as listeners give them: 1, 5, 10 or 25 tracks drawn from the catalog."""
    return [_random_ids(engine, rng, int(rng.choice((1, 5, 10, 25)))) for _ in range(count)]


def _cf_fit(catalog: Any, corpus: Any) -> Any:
    from recommendations.engines.cf import CollaborativeEngine

    return CollaborativeEngine.fit([ids for _, ids in corpus.pairs()], catalog.snapshot)


def _cf_load(directory: Path) -> Any:
    from recommendations.engines.cf import CollaborativeEngine

    return CollaborativeEngine.load(directory, mmap=True)


def _cf_requests(engine: Any, rng: Any, count: int) -> list[tuple[str, dict[str, Any]]]:
    """Seeds (a listener's kept tracks) with 5 dislikes and 50 excluded tracks."""
    return [
        ("seeds", {"seed_ids": seeds, "negative_ids": _random_ids(engine, rng, 5), "k": 20,
                   "exclude_ids": _random_ids(engine, rng, EXCLUDED_PER_REQUEST)})
        for seeds in _seed_sets(engine, rng, count)
    ]  # fmt: skip


def _terms_fit(catalog: Any, corpus: Any) -> Any:
    from recommendations.engines.terms import TermEngine

    return TermEngine.fit(corpus.pairs(), catalog.snapshot)


def _terms_load(directory: Path) -> Any:
    from recommendations.engines.terms import TermEngine

    return TermEngine.load(directory, mmap=True)


def _terms_requests(engine: Any, rng: Any, count: int) -> list[tuple[str, dict[str, Any]]]:
    """Situation texts; one in three with 5 seed tracks."""
    from bench.synthetic import SITUATION_QUERIES

    requests = []
    for _ in range(count):
        seeded = rng.random() < 1 / 3
        kwargs = {
            "text": SITUATION_QUERIES[int(rng.integers(len(SITUATION_QUERIES)))],
            "seed_ids": _random_ids(engine, rng, 5) if seeded else [],
            "k": 20,
            "exclude_ids": _random_ids(engine, rng, EXCLUDED_PER_REQUEST),
        }
        requests.append(("text + seeds" if seeded else "text", kwargs))
    return requests


class BlendBundle:
    """The blend and the generators it serves with, saved side by side (song2vec/, cf/, terms/, blend/)."""

    PARTS = ("song2vec", "cf", "terms")

    def __init__(self, blend: Any, generators: Any) -> None:
        self.blend, self.generators = blend, generators
        self.track_ids = generators.song2vec.track_ids

    def save(self, directory: Path) -> None:
        for name in self.PARTS:
            getattr(self.generators, name).save(directory / name)
        self.blend.save(directory / "blend")

    def recommend(self, **kwargs: Any) -> Any:
        return self.blend.recommend(self.generators, **kwargs)


def _blend_fit(catalog: Any, corpus: Any, epochs: int | None = None, rounds: int | None = None) -> Any:
    """The serving generators on the whole corpus (Word2Vec: `epochs`, default the engine's); the ranker learns from a
    split with base generators whose Word2Vec runs BLEND_BASE_EPOCHS only (this benchmark times serving, not the
    ranker's quality), in `rounds` boosting rounds (default the engine's BlendParams.rounds)."""
    from dataclasses import replace

    from recommendations.engines.blend import BlendEngine, BlendParams, Generators
    from recommendations.engines.cf import CollaborativeEngine
    from recommendations.engines.song2vec.engine import Song2VecEngine
    from recommendations.engines.song2vec.vectors import Word2VecParams
    from recommendations.engines.terms import TermEngine

    snapshot = catalog.snapshot

    def fit_generators(playlists: Any, epochs: int | None = None) -> Any:
        params = replace(Word2VecParams(), epochs=epochs) if epochs else None
        return Generators(
            song2vec=Song2VecEngine.fit(playlists, snapshot, params=params),
            cf=CollaborativeEngine.fit([ids for _, ids in playlists], snapshot),
            terms=TermEngine.fit(playlists, snapshot),
        )

    pairs = corpus.pairs()
    params = BlendParams(ranker_playlists=BLEND_RANKER_PLAYLISTS, shapes_per_playlist=2)
    params = replace(params, rounds=rounds) if rounds else params
    blend = BlendEngine.fit(pairs, partial(fit_generators, epochs=BLEND_BASE_EPOCHS), catalog=snapshot, params=params)
    return BlendBundle(blend, fit_generators(pairs, epochs))


def _blend_load(directory: Path, shared: dict[str, Any] | None = None) -> Any:
    """The bundle memory-mapped; `shared` generators already loaded in this process are used instead of a copy."""
    from recommendations.engines.blend import BlendEngine, Generators

    shared = shared or {}
    parts = {name: shared.get(name) or DRIVERS[name].load(directory / name) for name in BlendBundle.PARTS}
    return BlendBundle(BlendEngine.load(directory / "blend", mmap=True), Generators(**parts))


def _blend_requests(engine: Any, rng: Any, count: int) -> list[tuple[str, dict[str, Any]]]:
    """Playlist picks and situations as the product asks: a title alone, a title with 5 tracks, 10 tracks alone."""
    from bench.synthetic import SITUATION_QUERIES

    requests = []
    for _ in range(count):
        kind = str(rng.choice(("title", "title + 5", "10 seeds")))
        seeds = {"title": 0, "title + 5": 5, "10 seeds": 10}[kind]
        title = SITUATION_QUERIES[int(rng.integers(len(SITUATION_QUERIES)))] if kind != "10 seeds" else None
        kwargs = {
            "title": title,
            "seed_ids": _random_ids(engine, rng, seeds),
            "k": 20,
            "exclude_ids": _random_ids(engine, rng, EXCLUDED_PER_REQUEST),
        }
        requests.append((kind, kwargs))
    return requests


DRIVERS: dict[str, EngineDriver] = {
    "content": EngineDriver(_content_fit, _content_load, _content_requests),
    "clusters": EngineDriver(_clusters_fit, _clusters_load, _clusters_requests),
    "song2vec": EngineDriver(_song2vec_fit, _song2vec_load, _song2vec_requests, needs_corpus=True, word2vec=True),
    "cf": EngineDriver(_cf_fit, _cf_load, _cf_requests, needs_corpus=True),
    "terms": EngineDriver(_terms_fit, _terms_load, _terms_requests, needs_corpus=True),
    "blend": EngineDriver(_blend_fit, _blend_load, _blend_requests, needs_corpus=True, word2vec=True),
}


def song2vec_available() -> bool:
    """Whether recommendations.engines.song2vec.engine imports and exposes Song2VecEngine."""
    try:
        from recommendations.engines.song2vec import engine as song2vec
    except Exception as error:  # absent, or half-written: either way there is nothing to measure
        print(f"song2vec: {type(error).__name__}: {error}", file=sys.stderr)
        return False
    return hasattr(song2vec, "Song2VecEngine")


# ---------------------------------------------------------------------------------------------------------------
# Child processes: each runs one task and prints one JSON line.


def memory_mb() -> dict[str, float]:
    """This process's resident memory from /proc/self/status, in MB: total, anonymous, file-backed, peak."""
    fields = {"VmRSS": "rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb", "VmHWM": "hwm_mb"}
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in fields:
            values[fields[key]] = round(int(rest.split()[0]) / 1024, 1)
    return values


def timed(call: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of one call. CPU time (this thread's) leaves out time the kernel gave other processes:
    when wall p99 is far above CPU p99, the tail came from a busy machine, not from the engine."""
    wall, cpu = time.perf_counter(), time.thread_time()
    call()
    return time.perf_counter() - wall, time.thread_time() - cpu


def percentiles(samples: list[tuple[float, float]]) -> dict[str, float]:
    """p50 / p99 / max of wall time and p50 / p99 of CPU time, in ms, from (wall, cpu) seconds per request."""
    import numpy as np

    wall, cpu = (np.asarray(column) * 1000 for column in zip(*samples, strict=True))
    return {
        "p50_ms": round(float(np.percentile(wall, 50)), 3),
        "p99_ms": round(float(np.percentile(wall, 99)), 3),
        "max_ms": round(float(wall.max()), 3),
        "p50_cpu_ms": round(float(np.percentile(cpu, 50)), 3),
        "p99_cpu_ms": round(float(np.percentile(cpu, 99)), 3),
        "requests": len(wall),
    }


def child_build(spec: dict[str, Any]) -> dict[str, Any]:
    from bench.synthetic import synthetic_catalog, synthetic_playlists

    driver = DRIVERS[spec["engine"]]
    load_average = os.getloadavg()[0]
    started = time.perf_counter()
    if spec.get("mpd"):
        catalog, corpus = None, read_mpd_playlists(Path(spec["mpd"]))
    else:
        catalog = synthetic_catalog(spec["size"], seed=spec["seed"])
        count = min(MAX_PLAYLISTS, max(10, round(spec["size"] * PLAYLISTS_PER_TRACK)))
        corpus = synthetic_playlists(catalog, count=count, seed=spec["seed"] + 1) if driver.needs_corpus else None
    generated = time.perf_counter()
    epochs = spec.get("word2vec_epochs") if driver.word2vec else None
    fit = partial(driver.fit, epochs=epochs) if epochs else driver.fit
    if spec.get("blend_rounds") and spec["engine"] == "blend":
        fit = partial(fit, rounds=spec["blend_rounds"])
    engine = fit(catalog, corpus)
    fitted = time.perf_counter()
    engine.save(Path(spec["dir"]))
    saved = time.perf_counter()
    artifact = sum(path.stat().st_size for path in Path(spec["dir"]).rglob("*") if path.is_file())
    return {
        "generate_s": round(generated - started, 2),
        "fit_s": round(fitted - generated, 2),
        "save_s": round(saved - fitted, 2),
        "rebuild_s": round(saved - generated, 2),
        "artifact_mb": round(artifact / 2**20, 1),
        "tracks": len(engine.track_ids),
        "playlists": len(corpus) if corpus is not None else None,
        "train_s": getattr(engine, "stats", {}).get("train_seconds"),  # Song2Vec: the Word2Vec part of fit
        "load_average": [round(load_average, 2), round(os.getloadavg()[0], 2)],  # 1-minute, before and after
    }


def read_mpd_playlists(directory: Path) -> list[tuple[str, list[int]]]:
    """(name, track ids) of every playlist in the MPD slices of a directory; ids number the track URIs 1, 2, ..."""
    ids: dict[str, int] = {}
    playlists = []
    for path in sorted(directory.glob("mpd.slice.*.json")):
        for playlist in json.loads(path.read_text(encoding="utf-8"))["playlists"]:
            tracks = [ids.setdefault(track["track_uri"], len(ids) + 1) for track in playlist["tracks"]]
            playlists.append((playlist["name"], tracks))
    return playlists


def child_serve(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from recommendations.engines.allocator import keep_freed_memory

    keep_freed_memory()  # as gunicorn.conf.py's post_fork does for each web worker
    driver = DRIVERS[spec["engine"]]
    started = time.perf_counter()
    engine = driver.load(Path(spec["dir"]))
    load_s = time.perf_counter() - started
    after_load = memory_mb()
    requests = driver.requests(engine, np.random.default_rng(spec["seed"]), WARMUP_REQUESTS + spec["requests"])
    # The first request after loading pages in the mapped arrays it touches: reported, not counted.
    first_s, _ = timed(partial(driver.call, engine, requests[0][1]))
    for _, kwargs in requests[1:WARMUP_REQUESTS]:
        driver.call(engine, kwargs)
    load_average = os.getloadavg()[0]
    samples: dict[str, list[tuple[float, float]]] = {}
    for kind, kwargs in requests[WARMUP_REQUESTS:]:
        samples.setdefault(kind, []).append(timed(partial(driver.call, engine, kwargs)))
    after = memory_mb()
    return {
        "load_s": round(load_s, 3),
        "load_rss_mb": after_load["rss_mb"],
        "first_ms": round(first_s * 1000, 2),
        **percentiles([sample for values in samples.values() for sample in values]),
        "by_kind": {kind: percentiles(values) for kind, values in samples.items()} if len(samples) > 1 else None,
        "serving_rss_mb": after["rss_mb"],
        "serving_anon_mb": after["anon_mb"],
        "serving_file_mb": after["file_mb"],
        "load_average": [round(load_average, 2), round(os.getloadavg()[0], 2)],  # 1-minute, before and after
    }


def child_web(spec: dict[str, Any]) -> dict[str, Any]:
    """Every engine of one size in one process, requests interleaved, as a web process serves them."""
    import numpy as np

    from recommendations.engines.allocator import keep_freed_memory

    keep_freed_memory()  # as gunicorn.conf.py's post_fork does for each web worker
    engines: dict[str, Any] = {}
    for name, directory in spec["dirs"].items():  # the blend last: it serves with the generators loaded before it
        if name == "blend":
            engines[name] = _blend_load(Path(directory), shared=engines)
        else:
            engines[name] = DRIVERS[name].load(Path(directory))
    after_load = memory_mb()
    rng = np.random.default_rng(spec["seed"])
    count = WARMUP_REQUESTS + spec["requests"]
    streams = {name: DRIVERS[name].requests(engine, rng, count) for name, engine in engines.items()}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in engines}
    for index in range(count):
        for name, engine in engines.items():
            sample = timed(partial(DRIVERS[name].call, engine, streams[name][index][1]))
            if index >= WARMUP_REQUESTS:
                samples[name].append(sample)
    after = memory_mb()
    return {
        "engines": list(engines),
        "load_rss_mb": after_load["rss_mb"],
        "by_engine": {name: percentiles(values) for name, values in samples.items()},
        "serving_rss_mb": after["rss_mb"],
        "serving_anon_mb": after["anon_mb"],
        "serving_file_mb": after["file_mb"],
    }


def child_baseline(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from bench.original_nxn import original_recommend
    from bench.synthetic import synthetic_catalog

    snapshot = synthetic_catalog(spec["size"], seed=spec["seed"]).snapshot
    rng = np.random.default_rng(spec["seed"])
    samples = []
    for _ in range(BASELINE_WARMUP + spec["requests"]):
        request = {
            "favourite": int(rng.integers(0, len(snapshot))),
            "mood": str(rng.choice(["bright", "dark"])),
            "speed": str(rng.choice(["slow", "fast"])),
            "emotion": str(rng.choice(["depressed", "normal", "excited"])),
        }
        call = partial(original_recommend, genres=snapshot.genres, features=snapshot.features, k=20, **request)
        samples.append(timed(call))
    after = memory_mb()
    return {
        "first_ms": round(samples[0][0] * 1000, 2),  # cold: the process's first N x N matrix
        **percentiles(samples[BASELINE_WARMUP:]),
        "serving_rss_mb": after["rss_mb"],
        "serving_anon_mb": after["anon_mb"],
    }


CHILD_TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "build": child_build,
    "serve": child_serve,
    "web": child_web,
    "baseline": child_baseline,
}


def run_child(task: str, timeout: int, **spec: Any) -> dict[str, Any]:
    """Run one task in a fresh single-threaded process; its JSON result plus seconds and peak RSS (wait4)."""
    env = {**os.environ, **SINGLE_THREAD, "PYTHONPATH": str(ROOT)}
    payload = json.dumps({"task": task, "timeout": timeout, **spec})
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, __file__, "--child", payload], env=env, stdout=out, stderr=err)
        # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would be the maximum over all children).
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    result: dict[str, Any] = {
        "wall_s": round(seconds, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),  # the whole child's, all threads
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
    }
    lines = stdout.strip().splitlines()
    if code != 0 or not lines:
        result["error"] = f"{task} exited with {code}: {stderr.strip()[-1500:]}"
        print(f"  ! {result['error']}", file=sys.stderr)
        return result
    return {**json.loads(lines[-1]), **result}


def child_main(payload: str) -> None:
    spec = json.loads(payload)
    # A stuck child ends itself with a traceback on stderr rather than stalling the run.
    faulthandler.dump_traceback_later(spec["timeout"], exit=True)
    result = CHILD_TASKS[spec["task"]](spec)
    print(json.dumps(result, ensure_ascii=False))


# ---------------------------------------------------------------------------------------------------------------
# The run.


@cache  # once per run: the source does not change under it, and every engine at every size asks
def engines_code_digest() -> str:
    """A digest of the engines' source: an artifact built by other engine code (float32 against int8 vectors, other
    features) is not reused as if it were this code's."""
    digest = hashlib.sha256()
    engines = Path(__file__).resolve().parent.parent / "recommendations" / "engines"
    for path in sorted(engines.rglob("*.py")):
        digest.update(path.relative_to(engines).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build_settings(**options: Any) -> dict[str, Any]:
    """What decides an artifact's contents: the build's options (the directory aside) and the engines' code."""
    return {**{key: value for key, value in options.items() if key != "dir"}, "engines_code": engines_code_digest()}


def stale_settings(built: Path, settings: dict[str, Any]) -> list[str] | None:
    """The settings a kept artifact was built with that differ from these ([] when none); None if unreadable."""
    try:
        kept = json.loads(built.read_text(encoding="utf-8")).get("settings")
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict):
        return ["settings (the artifact predates their record)"]
    return sorted(key for key in {*kept, *settings} if kept.get(key) != settings.get(key))


def bench_engine(label: str, engine: str, size: int, args: argparse.Namespace, directory: Path, **source: Any) -> dict:
    """Rebuild in one child, then serve from the saved artifact in a fresh one; the row for the table.

    `source`: nothing for the synthetic catalog of `size` tracks, or mpd="DIR" for MPD slices (size is then unused).
    """
    common = {"engine": engine, "size": size, "seed": args.seed, "dir": str(directory)}
    options = {"word2vec_epochs": args.word2vec_epochs, "blend_rounds": args.blend_rounds}
    used = {"word2vec_epochs": ("song2vec", "blend"), "blend_rounds": ("blend",)}  # the options each engine reads
    settings = build_settings(**common, **source, **{k: v for k, v in options.items() if engine in used[k]})
    built = directory / "build.json"  # written after the artifact: its presence means the artifact is complete
    stale = stale_settings(built, settings) if args.artifacts and built.exists() else None
    if stale == []:
        print(f"{label}: reusing {directory}", file=sys.stderr)
        build = {**json.loads(built.read_text(encoding="utf-8")), "reused": True}
        build.pop("settings", None)
    else:
        print(f"{label}: rebuild" + (f" (built with other {', '.join(stale)})" if stale else ""), file=sys.stderr)
        build = run_child("build", args.timeout, **common, **source, **options)
        if args.artifacts and "error" not in build:
            built.write_text(json.dumps({**build, "settings": settings}), encoding="utf-8")
    row: dict[str, Any] = {"engine": label, "size": build.get("tracks", size), "rebuild_peak_mb": build.pop("peak_mb")}
    row.update(build)
    if "error" not in build:
        print(f"{label}: serve", file=sys.stderr)
        serve = run_child("serve", args.timeout, **common, requests=args.requests)
        row.update({key: value for key, value in serve.items() if key not in ("wall_s", "cpu_s")})
    print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
    return row


def bench_size(size: int, engines: list[str], args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """Each engine on the synthetic catalog of `size` tracks; then all of them in one web process."""
    rows = []
    for engine in engines:
        rows.append(bench_engine(engine, engine, size, args, workdir / f"{engine}-{size}"))
        rows[-1]["size"] = size
    dirs = {row["engine"]: str(workdir / f"{row['engine']}-{size}") for row in rows if "error" not in row}
    if dirs:
        print(f"web process at {size:,} tracks", file=sys.stderr)
        web = run_child("web", args.timeout, size=size, seed=args.seed, dirs=dirs, requests=args.requests // 5)
        rows.append({"engine": "web process (all engines)", "size": size, **web})
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr)
    content, clusters = (next((r for r in rows if r["engine"] == name), None) for name in ("content", "clusters"))
    if content and clusters and "rebuild_s" in content and "rebuild_s" in clusters:
        rows.append(
            {
                "engine": "content + clusters rebuild",
                "size": size,
                "rebuild_s": round(content["rebuild_s"] + clusters["rebuild_s"], 2),
                "rebuild_peak_mb": max(content["rebuild_peak_mb"], clusters["rebuild_peak_mb"]),
            }
        )
    return rows


def bench_baseline(size: int, args: argparse.Namespace) -> dict[str, Any]:
    print(f"original N×N at {size:,} tracks", file=sys.stderr)
    result = run_child("baseline", args.timeout, size=size, seed=args.seed, requests=args.baseline_requests)
    row = {"engine": "original N×N (per request)", "size": size, **result}
    print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
    return row


def judge(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        target = TARGETS.get((row["engine"], row["size"])) or TARGETS.get((row["engine"], None))
        row["target"] = target.describe() if target else None
        row["met"] = target.met(row) if target else None


def print_table(rows: list[dict[str, Any]]) -> None:
    def cell(row: dict[str, Any], key: str, digits: int = 0) -> str:
        value = row.get(key)
        return "" if value is None else f"{value:,.{digits}f}"

    def latency(row: dict[str, Any], key: str) -> str:
        if "by_engine" in row:  # the web process: each engine's
            return ", ".join(f"{name} {stats[key]:.2f}" for name, stats in row["by_engine"].items())
        return cell(row, key, 2)

    print(
        "| engine | tracks | rebuild s | rebuild peak MB | p50 ms | p99 ms | p99 CPU ms | serving RSS MB | anon MB "
        "| peak RSS MB | target | met? |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for row in rows:
        met = {True: "yes", False: "**no**", None: ""}[row.get("met")]
        if "error" in row:
            met = "error: " + row["error"].splitlines()[-1][:80]
        rebuild = cell(row, "rebuild_s", 1)
        if row.get("train_s") is not None:
            rebuild += f" ({'ALS' if row['engine'] == 'cf' else 'Word2Vec'} {row['train_s']:.1f})"
        print(
            f"| {row['engine']} | {row['size']:,} | {rebuild} | {cell(row, 'rebuild_peak_mb')} "
            f"| {latency(row, 'p50_ms')} | {latency(row, 'p99_ms')} | {latency(row, 'p99_cpu_ms')} "
            f"| {cell(row, 'serving_rss_mb')} | {cell(row, 'serving_anon_mb')} | {cell(row, 'peak_mb')} "
            f"| {row.get('target') or ''} | {met} |"
        )


def print_ratio(rows: list[dict[str, Any]]) -> None:
    original = next((r for r in rows if r["engine"].startswith("original") and r["size"] == 10_000), None)
    content = next((r for r in rows if r["engine"] == "content" and r["size"] == 10_000), None)
    if not (original and content and "p50_ms" in original and "p50_ms" in content):
        return
    def versus(key: str, unit: str, digits: int) -> str:
        ratio = original[key] / content[key]
        times = f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×"
        return f"{original[key]:,.0f} {unit} vs {content[key]:,.{digits}f} {unit} ({times})"

    print(
        f"\nOriginal N×N at 10k vs content engine at 10k (same run): p50 {versus('p50_ms', 'ms', 2)}; "
        f"a process's first request {versus('first_ms', 'ms', 1)}; peak RSS of the serving process "
        f"{versus('peak_mb', 'MB', 0)}."
    )


def print_load(rows: list[dict[str, Any]]) -> None:
    """The machine's 1-minute load average around the measurements: above 2 on 2 cores, other work competed."""
    values = [value for row in rows for value in row.get("load_average") or ()]
    if values:
        print(f"1-minute load average around the measurements: {min(values):.1f}-{max(values):.1f} (2 cores).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="catalog sizes, comma-separated")
    parser.add_argument("--baseline-sizes", default="2000,10000", help="catalog sizes for the original N×N approach")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--requests", type=int, default=500, help="timed requests per engine and size")
    parser.add_argument("--baseline-requests", type=int, default=8, help="timed requests of the original per size")
    parser.add_argument("--mpd-dev", default=str(MPD_DEV), help="MPD slices for Song2Vec training; '' skips it")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=900, help="seconds after which a child process gives up")
    parser.add_argument("--out", type=Path, help="also write the rows as JSON here")
    parser.add_argument(
        "--word2vec-epochs", type=int, help="Word2Vec epochs of song2vec and of the blend's generators (default: the "
        "engine's 40); fewer build a 1M-track catalog's artifacts of the same shapes sooner",
    )
    parser.add_argument(
        "--blend-rounds", type=int, help="LightGBM rounds of the blend's ranker (default: the engine's BlendParams, "
        "100; the product trains RECOMMENDER_BLEND_ROUNDS, 60): scoring and SHAP cost grow with the trees; "
        "an artifact built with other rounds, epochs or engine code is rebuilt, not reused",
    )
    parser.add_argument(
        "--artifacts", type=Path, help="keep the built artifacts in this directory and reuse the complete ones "
        "(a 1M-track blend takes longer to build than to measure); default: a temporary directory",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child)
        return
    started = time.perf_counter()
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    if "song2vec" in engines and not song2vec_available():
        print("song2vec: not available")
        engines.remove("song2vec")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="engines_bench_") as scratch:
        workdir = args.artifacts or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        for size in (int(value) for value in args.sizes.split(",") if value):
            rows += bench_size(size, engines, args, workdir)
            if not args.artifacts:  # artifacts of this size are done with; free the disk
                for directory in workdir.iterdir():
                    shutil.rmtree(directory, ignore_errors=True)
        mpd = Path(args.mpd_dev) if args.mpd_dev else None
        if "song2vec" in engines and mpd and any(mpd.glob("mpd.slice.*.json")):
            # Word2Vec on the real playlists (no catalog), served with the same situation queries.
            directory = workdir / "song2vec-mpd-dev"
            rows.append(bench_engine("song2vec on mpd-dev", "song2vec", 0, args, directory, mpd=str(mpd)))
        elif "song2vec" in engines:
            print(f"song2vec on mpd-dev: skipped, {args.mpd_dev!r} holds no MPD slices", file=sys.stderr)
    for size in (int(value) for value in args.baseline_sizes.split(",") if value):
        rows.append(bench_baseline(size, args))
    judge(rows)
    print_table(rows)
    print_ratio(rows)
    print_load(rows)
    minutes, seconds = divmod(time.perf_counter() - started, 60)
    print(f"\nTotal runtime: {int(minutes)} min {seconds:.0f} s.")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
