"""The blend's fit budget against its quality, on a validation carve of evaluate's training playlists.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/blend_validation.py --playlists ../shared/data/mpd-dev \
        --variant base=40 --variant base=10 --variant base=10,rounds=100,learning_rate=0.1

evaluate's split (seed 2018, 1,000 held out) is made first and its held-out playlists are dropped; the training
playlists are split again (`split_playlists(training, seed=7, test_size=500)`), so nothing here ever reads
evaluate's test playlists. Song2Vec, cf and terms are fitted once on the validation's training playlists; each
variant then fits the hybrid's ranker (`evaluation_generators.fit_hybrid`: a base Song2Vec at `base` epochs on the
ranker's base, the training set, LightGBM) with the other `key=value` pairs as BlendParams fields, and is scored on
the 500 validation playlists. Base Song2Vec models and training sets are reused between variants that would build
the same ones. Prints, per variant, wall and CPU seconds by part (CPU: `time.process_time`, every thread) and the
R-precision per category, with the 1-minute load average. `drop=a+b` hides features (NaN) in training and
serving, to compare a feature set in one process (same base Song2Vec).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recommender_site.settings")


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _variant(text: str) -> dict:
    values = {}
    for pair in filter(None, text.split(",")):
        name, value = pair.split("=")
        values[name] = value if name == "drop" else float(value) if "." in value else int(value)
    return values


def main() -> None:
    import django

    django.setup()
    from ingestion.importers.formats import expand_paths, read_records
    from ingestion.importers.records import Rejection
    from recommendations import evaluation as ev
    from recommendations.engines import blend as blend_module
    from recommendations.engines.blend import BlendParams, Generators
    from recommendations.engines.song2vec.vectors import Word2VecParams
    from recommendations.evaluation_generators import fit_family, fit_hybrid, hybrid_recommender

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--playlists", nargs="+", required=True)
    parser.add_argument("--variant", action="append", default=[], help="base=EPOCHS,field=value,... (BlendParams)")
    parser.add_argument("--seed", type=int, default=2018, help="evaluate's split whose training playlists are carved")
    parser.add_argument("--json", metavar="PATH", help="also append one JSON line per variant here")
    args = parser.parse_args()

    records = (r for unit in expand_paths(args.playlists) for r in read_records(unit, "mpd"))
    playlists = ev.eval_playlists_from_records(r for r in records if not isinstance(r, Rejection))
    training, _ = ev.split_playlists(playlists, test_size=1000, seed=args.seed)  # evaluate's test: dropped
    vtrain, vcases = ev.split_playlists(training, test_size=500, seed=7)
    keys = ev.TrackKeys()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    song2vec = ev.fit_song2vec(vtrain, keys, params=Word2VecParams())
    print(f"song2vec {time.perf_counter() - started:.1f} s (load {_load():.2f})", flush=True)
    cf = fit_family("cf", vtrain, keys, seconds)
    terms = fit_family("terms", vtrain, keys, seconds)
    generators = Generators(song2vec=ev.variant(song2vec, "song2vec"), cf=cf, terms=terms)
    s2v_scores = ev.score_method(ev.song2vec_recommender(ev.variant(song2vec, "song2vec"), keys), vcases).summary()
    print("song2vec", json.dumps({c: v["r_precision"] for c, v in s2v_scores.items()}), flush=True)

    base_models: dict = {}

    def fit_song2vec_cached(base, keys, params):  # the base Song2Vec once per (epochs, base playlists)
        key = (params.epochs, tuple(p.pid for p in base))
        if key not in base_models:
            base_models[key] = ev.fit_song2vec(base, keys, params=params)
        return base_models[key]

    sets: dict = {}
    real_training_set = blend_module.BlendEngine.training_set

    def training_set_cached(self, chosen, chosen_keys, gens):
        fields = ("candidates", "training_negatives", "shapes_per_playlist", "artist_candidates", "seed")
        key = (id(gens.song2vec), tuple(chosen_keys), tuple(dropped), *(getattr(self.params, f) for f in fields))
        if key not in sets:
            cpu = time.process_time()
            sets[key] = (real_training_set(self, chosen, chosen_keys, gens), time.process_time() - cpu)
        cached, cpu_spent = sets[key]
        timing["training_set_cpu"] = timing.get("training_set_cpu", 0.0) + cpu_spent
        return cached

    blend_module.BlendEngine.training_set = training_set_cached
    dropped: list[str] = []  # features a variant hides (NaN, as unknown) in training and serving: an A/B in-process
    real_candidates = blend_module.BlendEngine.candidates

    def candidates_without(self, *args, **kwargs):
        found = real_candidates(self, *args, **kwargs)
        for name in dropped:
            found.features[:, blend_module.FEATURES.index(name)] = np.nan
        return found

    blend_module.BlendEngine.candidates = candidates_without
    for text in args.variant or ["base=40"]:
        options = _variant(text)
        epochs = int(options.pop("base", 40))
        dropped[:] = [name for name in options.pop("drop", "").split("+") if name]
        params = BlendParams(**options)
        timing: dict[str, float] = {}
        load_before, cpu = _load(), time.process_time()
        train_seconds: dict[str, float] = {}
        started = time.perf_counter()
        fitted = fit_hybrid(
            vtrain, keys, generators, fit_song2vec_cached,
            dataclasses.replace(Word2VecParams(), epochs=epochs), train_seconds, params,
        )  # fmt: skip
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        scores = ev.score_method(hybrid_recommender(fitted, generators, keys, ev.RECOMMENDATIONS), vcases).summary()
        row = {
            "variant": text,
            "load": [load_before, _load()],
            "wall_s": round(wall, 1),
            "cpu_s (cached parts not counted)": round(cpu, 1),
            "parts_wall_s": fitted.stats.get("seconds"),
            "training_set_cpu_s": round(timing.get("training_set_cpu", 0.0), 1),
            "requests": fitted.stats.get("requests"),
            "r_precision": {c: v["r_precision"] for c, v in scores.items()},
            "ratio": round(scores["all"]["r_precision"] / s2v_scores["all"]["r_precision"], 4),
        }
        print(json.dumps(row), flush=True)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
