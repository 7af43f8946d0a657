"""The offline evaluation's methods for issue 10's engines: cf (ALS), ease, terms and hybrid (the learned blend).

Each is trained on the evaluation's *training* playlists only (`evaluation.split_playlists` has removed the test
ones). `hybrid` is the blend as it serves: generators fitted on every training playlist, a ranker learnt from
playlists split off those training playlists (`blend.ranker_playlists`), with generators fitted on the rest.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import numpy as np

from recommendations.engines.blend import (
    TITLE_TRACKS_FOR_CF,
    TITLE_TRACKS_WEIGHT,
    BlendEngine,
    BlendParams,
    Generators,
)
from recommendations.engines.cf import CFParams, CollaborativeEngine
from recommendations.engines.ease import EaseModel
from recommendations.engines.features import rows_for_ids, select_rows
from recommendations.engines.song2vec.engine import Song2VecEngine
from recommendations.engines.song2vec.vectors import Word2VecParams
from recommendations.engines.terms import TermEngine

Named = list[tuple[str, list[int]]]
# Word2Vec epochs of the Song2Vec the ranker learns its features from (the one that serves keeps its 40), as the
# product's budget has it (artifacts.BLEND): on the validation carve 40 / 20 / 10 epochs gave R-precision
# 0.1157 / 0.1148 / 0.1144 (run-to-run noise ~±0.002) and the base Song2Vec 21.3 / 11.3 / 6.7 s (BENCHMARKS.md,
# issue-10h): the largest single cost of the hybrid's training.
BASE_EPOCHS = 10


def named_playlists(training: Sequence, keys) -> Named:
    return [(p.name, [keys.id_of(track) for track in p.tracks]) for p in training]


def cf_recommender(engine: CollaborativeEngine, terms: TermEngine | None, keys, k: int) -> Callable:
    """CF folded in from the seeds; with a title and no seed, from the term model's best tracks for the title
    (each at TITLE_TRACKS_WEIGHT of a seed's confidence), as the blend's CF generator does."""

    def recommend(case) -> list[str]:
        seeds = keys.known_ids(case.seeds)
        weak: list[int] = []
        if not seeds and case.title and terms is not None:
            scores = terms.scores(case.title)
            if scores is not None:
                scores[terms._never] = -np.inf
                weak = terms.track_ids[select_rows(scores, TITLE_TRACKS_FOR_CF, None)].tolist()
        scores = engine.scores(seeds, weak_ids=weak, weak_weight=TITLE_TRACKS_WEIGHT)
        if scores is None:
            scores = np.log1p(np.asarray(engine.counts, dtype=np.float32))
        scores[engine._never] = -np.inf
        scores[rows_for_ids(engine.track_ids, seeds)] = -np.inf
        return [keys.keys[i] for i in engine.track_ids[select_rows(scores, k, None)].tolist()]

    return recommend


def ease_recommender(model: EaseModel, keys, k: int) -> Callable:
    def recommend(case) -> list[str]:
        return [keys.keys[i] for i in model.ranked_track_ids(seed_ids=keys.known_ids(case.seeds), k=k).tolist()]

    return recommend


def terms_recommender(engine: TermEngine, keys, k: int) -> Callable:
    def recommend(case) -> list[str]:
        seeds = keys.known_ids(case.seeds)
        scores = engine.scores(case.title or None, seeds)
        if scores is None:
            scores = np.asarray(engine.prior, dtype=np.float32).copy()
        scores[engine._never] = -np.inf
        scores[rows_for_ids(engine.track_ids, seeds)] = -np.inf
        return [keys.keys[i] for i in engine.track_ids[select_rows(scores, k, None)].tolist()]

    return recommend


def hybrid_recommender(blend: BlendEngine, generators: Generators, keys, k: int) -> Callable:
    def recommend(case) -> list[str]:
        ids = blend.ranked_track_ids(generators, title=case.title or None, seed_ids=keys.known_ids(case.seeds), k=k)
        return [keys.keys[i] for i in ids.tolist()]

    return recommend


def fit_hybrid(
    training: Sequence,
    keys,
    generators: Generators,
    fit_song2vec: Callable,
    params: Word2VecParams | None,
    train_seconds: dict[str, float],
    blend_params: BlendParams | None = None,
) -> BlendEngine:
    """The blend's ranker, learnt on playlists split off `training`, with generators fitted on the rest of it."""
    named = named_playlists(training, keys)
    by_identity = {id(pair): playlist for pair, playlist in zip(named, training, strict=True)}

    def fit_base(base: Sequence[tuple[str, list[int]]]) -> Generators:
        started = time.perf_counter()
        base_playlists = [by_identity[id(pair)] for pair in base]
        song2vec: Song2VecEngine = fit_song2vec(base_playlists, keys, params=params or Word2VecParams())
        train_seconds["hybrid: song2vec on the ranker's base"] = round(time.perf_counter() - started, 2)
        return Generators(
            song2vec=song2vec,
            cf=CollaborativeEngine.fit([ids for _, ids in base], params=CFParams()),
            terms=TermEngine.fit(list(base)),
        )

    started = time.perf_counter()
    blend = BlendEngine.fit(named, fit_base, playlist_keys=[p.pid for p in training], params=blend_params)
    train_seconds["hybrid: ranker (with its base generators)"] = round(time.perf_counter() - started, 2)
    for part, seconds in blend.stats.get("seconds", {}).items():  # where the ranker's time went
        train_seconds[f"hybrid: {part.replace('_', ' ')}"] = seconds
    return blend


def fit_family(name: str, training: Sequence, keys, train_seconds: dict[str, float]):
    """cf, ease or terms fitted on every training playlist (timed into train_seconds)."""
    started = time.perf_counter()
    named = named_playlists(training, keys)
    if name == "cf":
        model = CollaborativeEngine.fit([ids for _, ids in named], params=CFParams())
    elif name == "ease":
        model = EaseModel.fit([ids for _, ids in named])
    else:
        model = TermEngine.fit(named)
    train_seconds[name] = round(time.perf_counter() - started, 2)
    return model


def family_recommenders(
    training, methods, params, progress, keys, models, recommenders, train_seconds, blend_params=None
) -> None:
    """Add cf, ease, terms and hybrid to `recommenders` (evaluation._recommenders), one fit of each engine.
    `blend_params`: BlendParams fields and `base_epochs` (the base Song2Vec's Word2Vec epochs, default BASE_EPOCHS
    and never more than song2vec's own) for the hybrid."""
    from recommendations.evaluation import FAMILIES, RECOMMENDATIONS, fit_song2vec, variant

    fitted = {}
    needs = {"cf": ["cf", "terms"], "ease": ["ease"], "terms": ["terms"], "hybrid": ["cf", "terms"]}
    for name in dict.fromkeys(n for method in methods if method in FAMILIES for n in needs[method]):
        if progress.training_started:
            progress.training_started(name, 1)
        fitted[name] = fit_family(name, training, keys, train_seconds)
    if "hybrid" in methods and "song2vec" not in models:
        song2vec_params = params or Word2VecParams()
        if progress.training_started:
            progress.training_started("song2vec", song2vec_params.epochs)
        started = time.perf_counter()
        models["song2vec"] = fit_song2vec(training, keys, params=song2vec_params, on_epoch=progress.epoch_done)
        train_seconds["song2vec"] = round(time.perf_counter() - started, 2)
    for method in methods:
        if method == "cf":
            recommenders[method] = cf_recommender(fitted["cf"], fitted.get("terms"), keys, RECOMMENDATIONS)
        elif method == "ease":
            recommenders[method] = ease_recommender(fitted["ease"], keys, RECOMMENDATIONS)
        elif method == "terms":
            recommenders[method] = terms_recommender(fitted["terms"], keys, RECOMMENDATIONS)
        elif method == "hybrid":
            if progress.training_started:
                progress.training_started("hybrid ranker", 1)
            song2vec = variant(models["song2vec"], "song2vec")
            generators = Generators(song2vec=song2vec, cf=fitted["cf"], terms=fitted["terms"])
            blend_options = dict(blend_params or {})
            base_epochs = blend_options.pop("base_epochs", None) or BASE_EPOCHS
            base_params = params or Word2VecParams()
            base_params = dataclasses.replace(base_params, epochs=min(base_epochs, base_params.epochs))
            blend = fit_hybrid(
                training, keys, generators, fit_song2vec, base_params, train_seconds, BlendParams(**blend_options)
            )
            recommenders[method] = hybrid_recommender(blend, generators, keys, RECOMMENDATIONS)
            recommenders[method].blend = blend  # the report names the ranker's playlists (leakage check, tests)
