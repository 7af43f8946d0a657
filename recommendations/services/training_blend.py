"""Fitting issue 10's engines from the training data: collaborative filtering, terms and the learned blend.

`training.recommender_train` calls these (through FITS) with the catalog, playlists and listener rows it read
once; metrics() adds what a curator needs to know about each build to the version's metrics.

- `cf`: ALS over the playlists plus one row per listener (likes and favourite songs kept, dislikes negative).
- `terms`: term vectors from the playlists' names and the artists' genres.
- `blend`: the ranker. Its training playlists are split off the catalog's playlists by `BlendEngine.fit`
  (`blend.ranker_playlists`); the generators it learns from are fitted on the *other* playlists only (`_base`),
  so a ranker playlist's hidden tracks were never in what produced its candidates. Too few playlists long enough
  to learn from: the fixed blend, recorded as `ranker: fixed` with the reason in `ranker_message`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from recommendations.models import ModelVersion

if TYPE_CHECKING:
    from recommendations.engines import Engine
    from recommendations.engines.blend import Generators
    from recommendations.services.training import TrainingData

Playlists = Sequence[tuple[str, Sequence[int]]]


def cf_fit(data: TrainingData, params: dict[str, Any]) -> Engine:
    from recommendations.engines.cf import CFParams, CollaborativeEngine

    playlists = [ids for _, ids in data.playlists or []]
    return CollaborativeEngine.fit(playlists, data.catalog, listeners=data.listeners or [], params=CFParams())


def terms_fit(data: TrainingData, params: dict[str, Any]) -> Engine:
    from recommendations.engines.terms import TermEngine

    return TermEngine.fit(data.playlists or [], data.catalog)


def blend_fit(data: TrainingData, params: dict[str, Any]) -> Engine:
    """The ranker; `params` are BlendParams fields plus `base_epochs` (BLEND_FIT_PARAMS)."""
    from recommendations.engines.blend import BlendEngine, BlendParams

    params = dict(params)
    base_epochs = params.pop("base_epochs", None)
    playlists = data.playlists or []
    keys = [str(pk) for pk in data.playlist_pks] if data.playlist_pks is not None else None
    return BlendEngine.fit(
        playlists,
        lambda base: blend_generators_fit(base, data, epochs=base_epochs),
        catalog=data.catalog,
        playlist_keys=keys,
        params=BlendParams(**params),
        today_ordinal=timezone.localdate().toordinal(),
    )


def blend_generators_fit(base: Playlists, data: TrainingData, *, epochs: int | None = None) -> Generators:
    """The generators the ranker learns from: Song2Vec, CF and terms fitted on `base` (the playlists the ranker
    does not learn from) and the catalog; CF also on the listeners' rows, as it serves. `epochs`: Word2Vec's
    (default the engine's)."""
    from recommendations.engines.blend import Generators
    from recommendations.engines.cf import CFParams, CollaborativeEngine
    from recommendations.engines.song2vec.engine import Song2VecEngine
    from recommendations.engines.song2vec.vectors import Word2VecParams
    from recommendations.engines.terms import TermEngine

    word2vec = Word2VecParams(epochs=epochs) if epochs else Word2VecParams()
    return Generators(
        song2vec=Song2VecEngine.fit(base, catalog=data.catalog, params=word2vec),
        cf=CollaborativeEngine.fit(
            [ids for _, ids in base], data.catalog, listeners=data.listeners or [], params=CFParams()
        ),
        terms=TermEngine.fit(base, data.catalog),
    )


FITS: dict[str, Callable[[TrainingData, dict[str, Any]], Engine]] = {
    ModelVersion.Engine.CF.value: cf_fit,
    ModelVersion.Engine.TERMS.value: terms_fit,
    ModelVersion.Engine.BLEND.value: blend_fit,
}


def metrics(engine: str, model: Any, data: TrainingData) -> dict[str, Any]:
    """What is cheap to know about a cf, terms or blend build (empty for the other engines)."""
    if engine == ModelVersion.Engine.CF:
        stats = model.stats
        return {"listeners": stats.get("listeners", 0), "entries": stats.get("entries", 0),
                "als_seconds": stats.get("train_seconds")}  # fmt: skip
    if engine == ModelVersion.Engine.TERMS:
        return {"terms": int(len(model.idf))}
    if engine == ModelVersion.Engine.BLEND:
        return _blend_metrics(model, data)
    return {}


def _blend_metrics(model: Any, data: TrainingData) -> dict[str, Any]:
    stats = model.stats
    ranker_keys = list(stats.get("ranker_playlists", []))
    found: dict[str, Any] = {
        "ranker": "learned" if model.learned else "fixed",
        "ranker_message": model.message or "LightGBM lambdarank over the generators' candidates",
        "ranker_playlists": len(ranker_keys),
        "base_playlists": stats.get("base_playlists", 0),
        **{name: stats[name] for name in ("requests", "candidates", "hits") if name in stats},
    }
    if data.playlist_pks is not None:  # the keys are playlist pks: record which ones it learnt from
        found["ranker_playlist_pks"] = [int(key) for key in ranker_keys]
    return found
