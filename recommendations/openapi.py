"""The OpenAPI 3.1 document of the JSON API, generated from the endpoints' query forms (`recommendations.api`)."""
from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from recommendations import api
from recommendations.engines import ReasonKind

ENDPOINTS = (
    ("/api/v1/recommendations/content", api.content_recommendations, "content",
     gettext_lazy("Songs for a taste: favourite tracks, mood, speed, emotion (cold start).")),
    ("/api/v1/recommendations/clusters", api.cluster_recommendations, "clusters",
     gettext_lazy("New songs in the proportions of a playlist's sound clusters, with each cluster's share and "
                  "character.")),
    ("/api/v1/recommendations/playlist", api.playlist_recommendations, "playlist",
     gettext_lazy("New songs for a playlist (its title and/or tracks) from the learned blend of co-occurrence, "
                  "Song2Vec, collaborative filtering, terms and popularity; each names the signal that put it "
                  "there. Without a trained blend, the clusters recommender answers (`engine` says which).")),
    ("/api/v1/recommendations/situation", api.situation_recommendations, "situation",
     gettext_lazy("Songs for a situation in English or Korean, with the playlists it matched: from the learned "
                  "blend when one is trained, else Song2Vec.")),
)  # fmt: skip

TRACK_SCHEMA = {
    "type": "object",
    "properties": {
        "rank": {"type": "integer"},
        "id": {"type": "integer", "description": "The catalog's track id (use it in `track`)."},
        "spotify_id": {"type": ["string", "null"]},
        "title": {"type": "string"},
        "artists": {"type": "array", "items": {"type": "string"}},
        "album": {"type": ["string", "null"]},
        "album_image": {"type": ["string", "null"], "format": "uri"},
        "release_date": {"type": ["string", "null"], "format": "date"},
        "duration_ms": {"type": ["integer", "null"]},
        "features": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
        "features_source": {"type": "string", "enum": ["spotify", "imported", "analysed", "estimated", "missing"]},
        "reason": {"type": "string", "description": "Why this song was picked, in a few words (all of `reasons`)."},
        "reasons": {
            "type": "array",
            "description": "The parts of the reason, most specific first: a kind, its values (names stay as they "
            "are) and the part in words, in the request's language (`Accept-Language`: ko or en).",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": sorted(str(kind) for kind in ReasonKind)},
                    "values": {"type": "object"},
                    "text": {"type": "string"},
                },
                "required": ["kind", "values", "text"],
            },
        },
        "signal": {
            "type": ["string", "null"],
            "enum": ["cooccurrence", "song2vec", "cf", "terms", "popularity", "artist", None],
            "description": "From the learned blend: the generator that put it there; null from other engines.",
        },
        "score": {"type": "number"},
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["error"],
}


def openapi_document(server_url: str = "/") -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "오늘의 노래 · Today's Song API",
            "version": "1",
            "description": "Recommendations from the three engines. Log in (session cookie) or send "
            "`Authorization: Bearer <token>` with a token from your account page.",
        },
        "servers": [{"url": server_url}],
        "security": [{"session": []}, {"token": []}],
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
                "token": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {"Track": TRACK_SCHEMA, "Error": ERROR_SCHEMA},
        },
        "paths": {path: {"get": _operation(view, name, summary)} for path, view, name, summary in ENDPOINTS},
    }


def _operation(view: Any, name: str, summary: str) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "operationId": f"{name}_recommendations",
        "summary": str(summary),
        "parameters": [_parameter(field_name, field) for field_name, field in view.query_form.base_fields.items()],
        "responses": _responses(name, error),
    }


def _responses(name: str, error: dict[str, Any]) -> dict[str, Any]:
    responses = {
        "200": {
            "description": _("The recommendations, best first."),
            "content": {"application/json": {"schema": _answer_schema(name)}},
        },
        "400": {"description": _("A parameter is wrong; `errors` says which and why."), **error},
        "401": {"description": _("Not logged in, or the token is unknown."), **error},
        "429": {
            "description": _("Too many calls from this account or address; wait `Retry-After` seconds."),
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            **error,
        },
        "503": {
            "description": _("The model is not trained yet (run `manage.py train_recommenders`), or the database is "
                              "briefly unreachable (then with `Retry-After`)."),
            **error,
        },
    }
    if name in ("clusters", "playlist"):
        responses["404"] = {"description": _("No playlist has that id."), **error}
    return responses


def _parameter(name: str, field: forms.Field) -> dict[str, Any]:
    schema: dict[str, Any]
    if isinstance(field, api.TrackIdsField):
        schema = {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": api.MAX_SEED_TRACKS}
    elif isinstance(field, forms.IntegerField):
        schema = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
    elif isinstance(field, forms.ChoiceField):
        schema = {"type": "string", "enum": [value for value, _ in field.choices]}
    else:
        schema = {"type": "string"}
        if getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
    parameter = {"name": name, "in": "query", "required": field.required, "schema": schema}
    if field.help_text:
        parameter["description"] = str(field.help_text)
    if isinstance(field, api.TrackIdsField):
        parameter |= {"style": "form", "explode": True}
    return parameter


def _answer_schema(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "engine": {"type": "string"},
        "model_version": {"type": "integer"},
        "tracks": {"type": "array", "items": {"$ref": "#/components/schemas/Track"}},
    }
    if name == "clusters":
        properties["clusters"] = {"type": "array", "items": {"type": "object", "properties": {
            "index": {"type": "integer"}, "share": {"type": "number"},
            "name": {"type": "string", "description": "The cluster named by its sound and main genre."},
            "description": {"type": "string", "description": "Its top genres in words."},
            "top_genres": {"type": "array", "items": {"type": "string"}},
            "mean_features": {"type": "object", "additionalProperties": {"type": "number"}},
        }}}  # fmt: skip
    if name in ("playlist", "situation"):
        properties |= {
            "ranker": {"type": "string", "enum": ["learned", "fixed"],
                       "description": "From the blend: a learned ranker, or fixed weights (too little data)."},
            "ranker_message": {"type": "string"},
        }  # fmt: skip
    if name == "playlist":
        properties["clusters"] = _answer_schema("clusters")["properties"]["clusters"]
    if name == "situation":
        properties |= {
            "fallback": {"type": "boolean", "description": "The text matched no playlist: popular songs instead."},
            "message": {"type": "string"},
            "matched_playlists": {"type": "array", "items": {"type": "string"}},
            "situations": {"type": "array", "items": {"type": "string"}},
        }
    return {"type": "object", "properties": properties, "required": ["engine", "model_version", "tracks"]}


def openapi_json(request: HttpRequest) -> JsonResponse:
    """GET /api/openapi.json: the document, with this site as its server."""
    document = openapi_document(server_url=request.build_absolute_uri("/"))
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})


def api_docs(request: HttpRequest) -> HttpResponse:
    """GET /api/: the document as a readable page (no external Swagger UI: the site renders without the network)."""
    document = openapi_document(server_url=request.build_absolute_uri("/"))
    endpoints = [
        {"path": path, **operation["get"]} for path, operation in document["paths"].items()
    ]
    return render(request, "recommendations/api_docs.html", {"document": document, "endpoints": endpoints})
