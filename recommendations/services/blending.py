"""The learned blend as the pages ask it: candidates from co-occurrence, Song2Vec, CF, terms and popularity,
re-ranked by the active `blend` version (`engines.blend`), each pick with the signal that put it there.

The blend serves with the active Song2Vec (required: it is the track space and the co-occurrence index) and the
active cf and terms versions when there are any (without them their candidates are simply missing). Raises
ModelNotTrained / ArtifactUnavailable like every engine, and ValueError while an engine is not installed: the
callers (`recommending.recommend_situation`, `picks.playlist_picks_recommend`) then answer as before the blend.
The rules of `recommending` hold: the listener's dislikes never come back (and, as CF negatives, push their
neighbours down), nor do hidden tracks.
"""
from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from recommendations.artifacts import (
    BLEND,
    CF,
    SONG2VEC,
    TERMS,
    ArtifactUnavailable,
    LoadedModel,
    ModelNotTrained,
    active_model,
    engine_spec,
)
from recommendations.engines import Reason, ReasonKind, Recommendation
from recommendations.engines.blend import BlendPick, Generators
from recommendations.engines.features import rows_for_ids
from recommendations.engines.song2vec.engine import NAMED_PLAYLISTS
from recommendations.engines.song2vec.reasons import Query, answer_message, track_reasons
from recommendations.services.recommending import Recommendations, _disliked, _excluded, _with_tracks

EXTRA_CANDIDATES = 10  # asked for beyond k: tracks hidden or deleted since the build drop out afterwards

# Reasons for the signals whose engine gives none per track here; the others pass the engine's own through.
CF_REASON = (Reason(ReasonKind.KEPT_WITH_YOURS),)  # as engines.cf gives it
POPULARITY_REASON = (Reason(ReasonKind.POPULAR_IN_PLAYLISTS),)  # as Song2Vec gives it


@dataclass(frozen=True)
class BlendRecommendations(Recommendations):
    learned: bool  # False: the fixed blend (too little data to learn a ranker; `blend_message` says why)
    blend_message: str
    fallback: bool  # the text matched no playlist name and no seed is known (as Song2Vec's answer)
    message: Reason | None  # what to tell the listener when something went less than well (a MessageKind)
    playlists: list[str]  # names of the best-matching playlists, best first
    situations: list[str]  # situations understood from the text


@dataclass
class _Serving:
    """The generators for one combination of active versions, kept while they stay active."""

    key: tuple[int | None, ...]  # id() of each loaded engine (None: not trained)
    generators: Generators


_serving: _Serving | None = None
_serving_lock = threading.Lock()


def recommend_blend(
    *,
    title: str | None = None,
    seed_track_ids: Iterable[int] = (),
    k: int = 20,
    exclude_track_ids: Iterable[int] = (),
    reroll_seed: int | None = None,
    user: AbstractBaseUser | None = None,
) -> BlendRecommendations:
    """The blend's k best tracks for a title or situation text and/or seed tracks; never a seed, a track `user`
    disliked, a hidden or an excluded one. Reads only. Raises ModelNotTrained, ArtifactUnavailable, ValueError."""
    seeds = [int(pk) for pk in seed_track_ids]
    title = title.strip() if title and title.strip() else None
    for spec in (BLEND, SONG2VEC):
        engine_spec(spec.name)  # ValueError while the engine is not installed
    blend = active_model(BLEND)
    song2vec = active_model(SONG2VEC)
    generators, loaded = _generators(song2vec)
    disliked = _disliked(user)
    oldest = min(loaded, key=lambda model: model.catalog_read_at or model.created_at)
    answer = blend.engine.recommend(
        generators,
        title=title,
        seed_ids=seeds,
        negative_ids=disliked,
        exclude_ids=_excluded(oldest, exclude_track_ids, user),
        k=k + EXTRA_CANDIDATES,
        reroll_seed=reroll_seed,
        today_ordinal=timezone.localdate().toordinal(),
    )
    # The blend already matched the title (playlists, situations, artists): read it, do not match it again.
    query = answer.query if answer.query is not None else generators.song2vec._understand(title, seeds)
    matched = [generators.song2vec.playlist_name(int(p)) for p in query.playlists[:NAMED_PLAYLISTS]]
    reasons = _reasons(answer.picks, generators, query, matched, title, seeds)
    found = [Recommendation(pick.track_id, pick.score, why) for pick, why in zip(answer.picks, reasons, strict=True)]
    signal = {pick.track_id: pick.signal for pick in answer.picks}
    tracks = [dataclasses.replace(item, signal=signal[item.track.pk]) for item in _with_tracks(found, k)]
    nothing_known = not len(query.seeds) and not query.understood
    return BlendRecommendations(
        blend.engine_name,
        blend.version,
        tracks,
        learned=answer.learned,
        blend_message=answer.message,
        fallback=nothing_known or (bool(title) and not query.understood),
        message=answer_message(title, query, nothing_known),
        playlists=matched,
        situations=list(query.situations),
    )


def blend_available() -> bool:
    """Whether a blend could answer now (a version of it and of Song2Vec active and loadable)."""
    try:
        for spec in (BLEND, SONG2VEC):
            engine_spec(spec.name)
            active_model(spec)
    except (ModelNotTrained, ArtifactUnavailable, ValueError):
        return False
    return True


def _generators(song2vec: LoadedModel) -> tuple[Generators, list[LoadedModel]]:
    """The active generators (cf and terms when trained), built once per set of versions: the artist codes the
    blend derives from Song2Vec are computed once, not per request."""
    global _serving
    cf, terms = _optional(CF), _optional(TERMS)
    loaded = [model for model in (song2vec, cf, terms) if model is not None]
    # The loaded engines themselves: a reload makes new objects, and the Generators keep these alive (so no other
    # object can take their id). Version ids alone can repeat (a test database hands out a pk again).
    key = tuple(id(model.engine) if model is not None else None for model in (song2vec, cf, terms))
    with _serving_lock:
        if _serving is None or _serving.key != key:
            generators = Generators(
                song2vec=song2vec.engine,
                cf=cf.engine if cf is not None else None,
                terms=terms.engine if terms is not None else None,
            )
            _serving = _Serving(key, generators)
        return _serving.generators, loaded


def _optional(spec: Any) -> LoadedModel | None:
    """An optional generator's active version, or None when it is not installed, not trained or unreadable."""
    try:
        engine_spec(spec.name)
        return active_model(spec)
    except (ModelNotTrained, ArtifactUnavailable, ValueError):
        return None


def _reasons(
    picks: Sequence[BlendPick], generators: Generators, query: Query, matched: list[str], title: str | None,
    seeds: list[int],
) -> list[tuple[Reason, ...]]:
    """Each pick's reason from the engine behind its signal: Song2Vec's for co-occurrence and Song2Vec, the term
    model's for terms, CF's "people who keep your tracks also keep this", else popularity."""
    s2v, terms = generators.song2vec, generators.terms
    ids = np.asarray([pick.track_id for pick in picks], dtype=np.int64)
    by_song2vec = dict(zip(ids.tolist(), _song2vec_reasons(s2v, ids, query, matched), strict=True))
    wants_terms = terms is not None and any(pick.signal == "terms" for pick in picks)
    columns = terms.query(title, seeds)[0] if wants_terms else None
    reasons = []
    for pick in picks:
        if pick.signal in ("cooccurrence", "song2vec"):
            reasons.append(by_song2vec[pick.track_id])
        elif pick.signal == "terms" and terms is not None:
            rows = rows_for_ids(terms.track_ids, [pick.track_id])
            reasons.append(terms.reason(int(rows[0]), columns) if len(rows) else pick.reason)
        elif pick.signal == "cf":
            reasons.append(CF_REASON)
        elif pick.signal == "popularity":
            reasons.append(POPULARITY_REASON)
        else:
            reasons.append(pick.reason)  # the blend's own: the signal
    return reasons


def _song2vec_reasons(s2v: Any, ids: np.ndarray, query: Query, matched: list[str]) -> list[tuple[Reason, ...]]:
    if not len(query.seeds) and not query.understood:
        return [POPULARITY_REASON] * len(ids)
    return track_reasons(s2v, rows_for_ids(s2v.track_ids, ids), query, matched)
