"""The JSON API of the three recommenders (GET, session or token auth), described by `openapi.openapi_document`.

Every answer is JSON. Bad input is a 400 naming each bad parameter, a missing or bad login a 401, a model not
trained yet a 503 that says what to run; no input makes a 500. Each query's parameters are a Django form, and
the OpenAPI document is generated from the same forms, so the two cannot drift apart.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _

from ingestion.models import Playlist, Track
from recommendations.artifacts import ArtifactUnavailable, ModelNotTrained
from recommendations.engines.content import Emotion, Mood, Speed
from recommendations.parsing import catalog_id
from recommendations.reasons import cluster_profile_description, cluster_profile_name, reason_json, reason_text
from recommendations.services.recommending import (
    ClusterRecommendations,
    Recommendations,
    RecommendedTrack,
    SituationRecommendations,
    recommend_clusters,
    recommend_content,
    recommend_situation,
)

MAX_K = 100
MAX_SEED_TRACKS = 500
FEATURES_SHOWN = ("danceability", "energy", "valence", "acousticness", "tempo")


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or {}


# ------------------------------------------------------------------------------------------------- queries


class TrackIdsField(forms.Field):
    """Track ids as repeated parameters and/or comma-separated: `track=1&track=2` or `track=1,2`."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        ids = []
        for part in (piece.strip() for item in values for piece in str(item).split(",")):
            if not part:
                continue
            track_id = catalog_id(part)
            if track_id is None:
                raise forms.ValidationError(f"“{part[:40]}” is not a track id (a whole number)")
            ids.append(track_id)
        if len(ids) > MAX_SEED_TRACKS:
            raise forms.ValidationError(f"at most {MAX_SEED_TRACKS} tracks")
        return ids


class _Query(forms.Form):
    k = forms.IntegerField(min_value=1, max_value=MAX_K, required=False, help_text=_("How many songs (default 20)."))

    def clean_k(self) -> int:
        return self.cleaned_data.get("k") or 20

    def clean(self) -> dict[str, Any]:
        # `speed=` is not "slow" or "fast", and `k=` is not a number: the document says so, and a client that sends
        # an empty value has a bug worth hearing about (a missing parameter is what means "no preference").
        for name, value in self.data.items():
            if value == "" and name in self.fields and not isinstance(self.fields[name], TrackIdsField):
                self.add_error(name, "empty: give a value, or leave the parameter out")
        return super().clean()


def _choice(enum: type, help_text: Any) -> forms.ChoiceField:
    return forms.ChoiceField(choices=[(item.value, item.value) for item in enum], required=False, help_text=help_text)


def _reroll() -> forms.IntegerField:
    return forms.IntegerField(
        min_value=0, max_value=1_000_000, required=False, help_text=_("Another list of the same quality (0, 1, 2, …).")
    )


class ContentQuery(_Query):
    track = TrackIdsField(required=False, help_text=_("Favourite track id(s); none is fine."))
    mood = _choice(Mood, _("bright (high valence) or dark."))
    speed = _choice(Speed, _("slow or fast (tempo)."))
    emotion = _choice(Emotion, _("depressed (lift me up), normal, or excited."))
    reroll = _reroll()


class ClustersQuery(_Query):
    track = TrackIdsField(required=False, help_text=_("The playlist as track ids."))
    playlist = forms.IntegerField(min_value=1, required=False, help_text=_("Or a catalog playlist's id."))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("track") and not data.get("playlist"):
            raise forms.ValidationError("give the playlist: `track` ids or a catalog `playlist` id")
        return data


class SituationQuery(_Query):
    q = forms.CharField(max_length=200, strip=True, help_text=_("The situation, e.g. “코딩할 때 듣기 좋은 음악”."))
    track = TrackIdsField(required=False, help_text=_("Seed track ids to stay close to (optional)."))
    reroll = _reroll()


# ---------------------------------------------------------------------------------------------- endpoints


def api_endpoint(query_form: type[forms.Form]) -> Callable:
    """GET only, authenticated, `query_form` parsed from the query string; ApiError and model errors as JSON."""

    def decorate(handler: Callable[[forms.Form, User], dict[str, Any]]) -> Callable[[HttpRequest], JsonResponse]:
        @functools.wraps(handler)
        def view(request: HttpRequest) -> JsonResponse:
            try:
                if request.method != "GET":
                    raise ApiError(405, f"{request.method} is not allowed here; use GET")
                user = api_user(request)
                request.api_user_id = user.pk  # for the request log
                form = query_form(_query_data(request, query_form))
                if not form.is_valid():
                    raise ApiError(400, "invalid parameters", _form_errors(form))
                return JsonResponse(handler(form, user), json_dumps_params={"ensure_ascii": False})
            except ApiError as error:
                return _error_response(error)
            except (ModelNotTrained, ArtifactUnavailable) as error:
                return _error_response(ApiError(503, str(error)))

        view.query_form = query_form  # read by the OpenAPI document
        return view

    return decorate


@api_endpoint(ContentQuery)
def content_recommendations(form: ContentQuery, user: User) -> dict[str, Any]:
    data = form.cleaned_data
    _check_tracks_exist(data["track"])
    found = recommend_content(
        favourite_track_ids=data["track"],
        mood=data["mood"] or None,
        speed=data["speed"] or None,
        emotion=data["emotion"] or None,
        k=data["k"],
        user=user,
        reroll_seed=data["reroll"],
    )
    return recommendations_json(found)


@api_endpoint(ClustersQuery)
def cluster_recommendations(form: ClustersQuery, user: User) -> dict[str, Any]:
    data = form.cleaned_data
    track_ids = list(data["track"])
    if data["playlist"]:
        playlist = Playlist.objects.filter(pk=data["playlist"]).first()
        if playlist is None:
            raise ApiError(404, f"no playlist has id {data['playlist']}")
        track_ids += list(playlist.entries.values_list("track_id", flat=True))
    _check_tracks_exist(data["track"])
    found = recommend_clusters(playlist_track_ids=track_ids, k=data["k"], user=user)
    return recommendations_json(found)


@api_endpoint(SituationQuery)
def situation_recommendations(form: SituationQuery, user: User) -> dict[str, Any]:
    data = form.cleaned_data
    _check_tracks_exist(data["track"])
    try:
        found = recommend_situation(
            text=data["q"],
            k=data["k"],
            seed_track_ids=data["track"],
            user=user,
            reroll_seed=data["reroll"],
        )
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    return recommendations_json(found)


# ----------------------------------------------------------------------------------------------- helpers


def api_user(request: HttpRequest) -> User:
    """The session's user, or the owner of the `Authorization: Bearer <token>` (or `Token <token>`) header."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, key = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not key.strip():
            raise ApiError(401, "send `Authorization: Bearer <your API token>`")
        from accounts.services import api_token_user  # accounts owns tokens; imported here to keep this module light

        user = api_token_user(key=key.strip())
        if user is None:
            raise ApiError(401, "this API token is unknown or revoked; make a new one on your account page")
        return user
    if isinstance(request.user, AnonymousUser) or not request.user.is_authenticated:
        raise ApiError(401, "log in first, or send `Authorization: Bearer <your API token>`")
    return request.user


def recommendations_json(found: Recommendations) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "engine": found.engine,
        "model_version": found.version,
        "tracks": [track_json(item) for item in found.tracks],
    }
    if isinstance(found, ClusterRecommendations):
        answer["clusters"] = [
            {
                "index": profile.index,
                "share": round(float(found.shares[profile.index]), 4),
                "name": cluster_profile_name(profile),
                "description": cluster_profile_description(profile),
                "top_genres": list(profile.top_genres),
                "mean_features": {name: round(float(v), 4) for name, v in profile.mean_features.items()},
            }
            for profile in found.profiles
        ]
    if isinstance(found, SituationRecommendations):
        answer |= {
            "fallback": found.fallback,
            "message": reason_text(found.message),
            "matched_playlists": found.playlists,
            "situations": found.situations,
        }
    return answer


def track_json(item: RecommendedTrack) -> dict[str, Any]:
    track = item.track
    album = track.album
    return {
        "rank": item.rank,
        "id": track.pk,
        "spotify_id": track.spotify_id,
        "title": track.name,
        "artists": item.artist_names,
        "album": album.name if album else None,
        "album_image": (album.image_url or None) if album else None,
        "release_date": album.release_date.isoformat() if album and album.release_date else None,
        "duration_ms": track.duration_ms,
        "features": {name: getattr(track, name) for name in FEATURES_SHOWN},
        "features_source": track.features_source,
        "reason": reason_text(item.reason),
        "reasons": reason_json(item.reason),
        "score": round(item.score, 6),
    }


def _check_tracks_exist(track_ids: list[int]) -> None:
    if not track_ids:
        return
    known = set(Track.objects.filter(pk__in=track_ids).values_list("pk", flat=True))
    missing = [str(pk) for pk in track_ids if pk not in known]
    if missing:
        raise ApiError(400, "unknown track ids", {"track": [f"no track has id {', '.join(missing[:10])}"]})


def _query_data(request: HttpRequest, form_class: type[forms.Form]) -> dict[str, Any]:
    """The query string, with repeatable parameters (track ids) as lists."""
    data: dict[str, Any] = {}
    for name, field in form_class.base_fields.items():
        if name not in request.GET:
            continue
        data[name] = request.GET.getlist(name) if isinstance(field, TrackIdsField) else request.GET[name]
    return data


def _form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {("query" if name == "__all__" else name): [str(e) for e in errors] for name, errors in form.errors.items()}


def _error_response(error: ApiError) -> JsonResponse:
    body: dict[str, Any] = {"error": error.message}
    if error.errors:
        body["errors"] = error.errors
    response = JsonResponse(body, status=error.status, json_dumps_params={"ensure_ascii": False})
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    if error.status == 405:
        response["Allow"] = "GET"  # RFC 9110: a 405 lists the methods that work (found by schemathesis)
    return response
