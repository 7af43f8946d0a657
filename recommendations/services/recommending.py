"""Recommendations as tracks: ask the active engine, then fetch the recommended Track rows in one go.

The rules every caller gets here, once: tracks the listener (`user=`) disliked never come back, tracks a curator
hid after the model was built are excluded (the engine only knows the hidden flags of its build), and tracks
deleted since simply drop out.
"""
from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from ingestion.models import PlaylistTrack, Track
from recommendations.artifacts import CF, CLUSTERS, CONTENT, SONG2VEC, LoadedModel, active_model, engine_spec
from recommendations.engines import Reason, ReasonKind, Recommendation
from recommendations.engines.clusters import ClusterProfile
from recommendations.engines.content import Emotion, Mood, Speed
from recommendations.models import TrackReaction
from recommendations.selectors import reacted_track_ids


@dataclass(frozen=True)
class RecommendedTrack:
    rank: int
    track: Track  # album selected, credits (with artists, in order) prefetched
    score: float
    reason: tuple[Reason, ...]  # its parts; `recommendations.reasons` words them
    signal: str = ""  # with the blend: the generator that put it there (engines.blend.GENERATORS)

    @property
    def artist_names(self) -> list[str]:
        return [credit.artist.name for credit in self.track.credits.all()]


@dataclass(frozen=True)
class Recommendations:
    engine: str
    version: int  # the model version that answered
    tracks: list[RecommendedTrack]


@dataclass(frozen=True)
class ClusterRecommendations(Recommendations):
    shares: list[float]  # the playlist's share per cluster; all zero when none of its tracks is known
    profiles: list[ClusterProfile]


@dataclass(frozen=True)
class SituationRecommendations(Recommendations):
    fallback: bool  # the text matched no playlist name: the list is popular (or seed-near) songs instead
    message: Reason | None  # what to tell the listener when something went less than well (a MessageKind)
    playlists: list[str]  # names of the best-matching playlists, best first
    situations: list[str]  # situations understood from the text ("focus", "rain")


def recommend_content(
    *,
    favourite_track_ids: Iterable[int] = (),
    mood: str | None = None,
    speed: str | None = None,
    emotion: str | None = None,
    k: int = 20,
    exclude_track_ids: Iterable[int] = (),
    reroll_seed: int | None = None,
    user: AbstractBaseUser | None = None,
) -> Recommendations:
    """Songs like the favourites that fit mood, speed and emotion (cold start), never one `user` disliked. Reads only.

    Raises ModelNotTrained before the first training, ValueError for an unknown mood, speed or emotion.
    """
    for value, choices in ((mood, Mood), (speed, Speed), (emotion, Emotion)):
        _check_choice(value, choices)
    model = active_model(CONTENT)
    found = model.engine.recommend(
        favourite_ids=list(favourite_track_ids),
        mood=mood,
        speed=speed,
        emotion=emotion,
        k=k,
        exclude_ids=_excluded(model, exclude_track_ids, user),
        reroll_seed=reroll_seed,
    )
    return Recommendations(model.engine_name, model.version, _with_tracks(found, k))


def recommend_clusters(
    *,
    playlist_track_ids: Iterable[int],
    k: int = 20,
    exclude_track_ids: Iterable[int] = (),
    user: AbstractBaseUser | None = None,
) -> ClusterRecommendations:
    """New songs in the proportions of a playlist's sound clusters, never its own tracks nor one `user` disliked.
    Reads only."""
    model = active_model(CLUSTERS)
    answer = model.engine.recommend(
        list(playlist_track_ids),
        k=k,
        exclude_ids=_excluded(model, exclude_track_ids, user),
        released_by=timezone.localdate(),  # a typo'd 2099 release must not top "newest" forever
    )
    tracks = _with_tracks(answer.recommendations, k)
    return ClusterRecommendations(model.engine_name, model.version, tracks, answer.shares, answer.profiles)


def recommend_cf(
    *,
    seed_track_ids: Iterable[int],
    k: int = 20,
    exclude_track_ids: Iterable[int] = (),
    reroll_seed: int | None = None,
    user: AbstractBaseUser | None = None,
) -> Recommendations | None:
    """"Listeners like you": what the people and playlists who keep these tracks also keep (collaborative
    filtering, the seeds folded in), `user`'s dislikes as negatives and never returned. Reads only. None when no
    seed is in the model (its answer would be the most kept songs, not listeners like this one). Raises
    ModelNotTrained, ArtifactUnavailable, or ValueError while the engine is not installed."""
    engine_spec(CF.name)
    model = active_model(CF)
    disliked = _disliked(user)
    answer = model.engine.recommend(
        seed_ids=list(seed_track_ids),
        negative_ids=disliked,
        k=k,
        exclude_ids=_excluded(model, exclude_track_ids, user),
        reroll_seed=reroll_seed,
    )
    if answer.fallback:
        return None
    tracks = [replace(item, signal="cf") for item in _with_tracks(answer.recommendations, k)]
    return Recommendations(model.engine_name, model.version, tracks)


def recommend_situation(
    *,
    text: str,
    k: int = 20,
    exclude_track_ids: Iterable[int] = (),
    seed_track_ids: Iterable[int] = (),
    reroll_seed: int | None = None,
    user: AbstractBaseUser | None = None,
) -> SituationRecommendations:
    """Songs for a situation ("music for a rainy drive", "코딩할 때"), optionally near seed tracks, from the learned
    blend (`blending.recommend_blend`: co-occurrence, Song2Vec, CF, terms and popularity); from Song2Vec alone
    while no blend is trained or loadable. Never one `user` disliked.

    Reads only. A text that matches no playlist name still answers (popular or seed-near songs), with
    `fallback` set and a `message` for the listener. Raises ValueError when Song2Vec is not installed.
    """
    from recommendations.services.blending import blend_available, recommend_blend  # blending imports this module

    seeds = list(seed_track_ids)
    if not text.strip() and not seeds:
        raise ValueError("describe the situation, e.g. “music for a rainy drive”")
    engine_spec(SONG2VEC.name)  # ValueError while the engine is not installed
    if blend_available():
        blended = recommend_blend(
            title=text, seed_track_ids=seeds, k=k, exclude_track_ids=exclude_track_ids, reroll_seed=reroll_seed,
            user=user,
        )  # fmt: skip
        if blended.tracks:
            return SituationRecommendations(
                blended.engine, blended.version, blended.tracks, fallback=blended.fallback, message=blended.message,
                playlists=blended.playlists, situations=blended.situations,
            )  # fmt: skip
    model = active_model(SONG2VEC)
    answer = model.engine.recommend(
        situation=text,
        seed_ids=seeds,
        k=k,
        exclude_ids=_excluded(model, exclude_track_ids, user),
        reroll_seed=reroll_seed,
    )
    return SituationRecommendations(
        model.engine_name,
        model.version,
        _from_named_playlists(_with_tracks(answer.recommendations, k), list(answer.playlists)),
        fallback=answer.fallback,
        message=answer.message,
        playlists=list(answer.playlists),
        situations=list(answer.situations),
    )


def _check_choice(value: str | None, choices: type[StrEnum]) -> None:
    if value is not None and value not in {choice.value for choice in choices}:
        allowed = ", ".join(choice.value for choice in choices)
        raise ValueError(f"{choices.__name__.lower()} must be one of {allowed}, not {value!r}")


def _excluded(model: LoadedModel, exclude_track_ids: Iterable[int], user: AbstractBaseUser | None) -> list[int]:
    """The caller's exclusions, the listener's dislikes, and tracks hidden since the model read the catalog."""
    since = model.catalog_read_at or model.created_at
    # `__in`, not `=True`: Django writes that as a bare `WHERE is_hidden`, which SQLite answers by scanning
    # every track (0.3 s at 140k) instead of reading the is_hidden index.
    hidden_since = Track.objects.filter(is_hidden__in=[True], updated_at__gte=since).values_list("pk", flat=True)
    return [*exclude_track_ids, *_disliked(user), *hidden_since]


def _disliked(user: AbstractBaseUser | None) -> list[int]:
    if user is None or not user.is_authenticated:
        return []
    return reacted_track_ids(user_id=user.pk, kind=TrackReaction.Kind.DISLIKE)


def _with_tracks(found: Sequence[Recommendation], k: int) -> list[RecommendedTrack]:
    """The recommended Track rows in the engine's order, in two queries; hidden or deleted ones drop out."""
    by_id = {track.pk: track for track in tracks_for_display([item.track_id for item in found]).filter(is_hidden=False)}
    kept = [item for item in found if item.track_id in by_id][:k]
    return [
        RecommendedTrack(rank=rank, track=by_id[item.track_id], score=item.score, reason=item.reason)
        for rank, item in enumerate(kept, start=1)
    ]


def _from_named_playlists(tracks: list[RecommendedTrack], names: list[str]) -> list[RecommendedTrack]:
    """"In playlists like “a”, “b”, “c”" said of every song says nothing: each song found in one of the matched
    playlists names the one it is in instead (the one named least so far, then the best match). One query."""
    if not names or not tracks:
        return tracks
    holders: dict[int, set[str]] = defaultdict(set)
    rows = PlaylistTrack.objects.filter(track_id__in=[item.track.pk for item in tracks], playlist__name__in=names)
    for track_id, name in rows.values_list("track_id", "playlist__name"):
        holders[track_id].add(name)
    said: Counter[str] = Counter()
    result = []
    for item in tracks:
        parts = list(item.reason)
        holding = [name for name in names if name in holders[item.track.pk]]
        for index, part in enumerate(parts):
            if part.kind == ReasonKind.IN_PLAYLISTS and holding:
                name = min(holding, key=lambda n: (said[n], names.index(n)))
                said[name] += 1
                parts[index] = Reason(ReasonKind.FROM_PLAYLIST, {"playlist": name})
        result.append(dataclasses.replace(item, reason=tuple(parts)))
    return result


def tracks_for_display(track_ids: Iterable[int]) -> QuerySet[Track]:
    """Tracks with what a list shows: album, and artists in credit order (two queries for any number of tracks)."""
    return Track.objects.filter(pk__in=list(track_ids)).select_related("album").with_credits()
