"""Situation search and playlist picks: parse the request, ask one service, render."""
from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from recommendations.artifacts import ArtifactUnavailable, ModelNotTrained
from recommendations.models import TrackReaction
from recommendations.playback import player_context
from recommendations.reasons import cluster_profile_description, cluster_profile_name
from recommendations.selectors import reacted_track_ids
from recommendations.services.picks import (
    PlaylistSourceError,
    catalog_playlists_matching,
    playlist_sources,
    source_tracks,
)
from recommendations.services.recommending import recommend_clusters, recommend_situation

RESULTS = 20
SITUATION_EXAMPLES = ("코딩할 때 듣기 좋은 음악", "music for a rainy drive", "잠들기 전", "workout", "study focus")


class SituationForm(forms.Form):
    q = forms.CharField(label=_("Describe the moment"), max_length=200, strip=True)


def situation_search(request: HttpRequest) -> HttpResponse:
    """GET ?q=…: Song2Vec's songs for the situation, and which playlists it matched."""
    form = SituationForm(request.GET or None)
    context = {"form": form, "examples": SITUATION_EXAMPLES, "answer": None, "error": ""}
    context.update(player_context(request.user), liked_ids=_liked(request))
    if form.is_valid():
        try:
            context["answer"] = recommend_situation(text=form.cleaned_data["q"], k=RESULTS, user=request.user)
        except (ModelNotTrained, ArtifactUnavailable, ValueError) as error:
            context["error"] = str(error)
    return render(request, "recommendations/situation.html", context)


@login_required
def playlist_picks(request: HttpRequest) -> HttpResponse:
    """GET: the playlists to choose from; ?source=KEY: clusters recommendations for that playlist, with a chart."""
    user = request.user
    find = request.GET.get("find", "")[:100]
    context = {
        "sources": playlist_sources(user=user),
        "catalog_playlists": catalog_playlists_matching(find, limit=12),
        "find": find,
        "chosen": None,
        "answer": None,
        "error": "",
        **player_context(user),
        "liked_ids": _liked(request),
    }
    key = request.GET.get("source", "")
    if key:
        try:
            chosen = source_tracks(user=user, key=key)
            context["chosen"] = chosen
            if not chosen.track_ids:
                context["error"] = _("None of this playlist's songs is in our catalog yet: nothing to go on.")
            else:
                context["answer"] = recommend_clusters(playlist_track_ids=chosen.track_ids, k=RESULTS, user=user)
                context["clusters"] = _cluster_rows(context["answer"])
        except (PlaylistSourceError, ModelNotTrained, ArtifactUnavailable) as error:
            context["error"] = str(error)
    return render(request, "recommendations/playlist_picks.html", context)


def _liked(request: HttpRequest) -> set[int]:
    """For the cards' Like buttons."""
    if not request.user.is_authenticated:
        return set()
    return set(reacted_track_ids(user_id=request.user.pk, kind=TrackReaction.Kind.LIKE))


def _cluster_rows(answer) -> list[dict]:
    """Per cluster: share (0-100, for the bar), its name from its profile and its genres, in the listener's words."""
    return [
        {
            "index": profile.index + 1,
            "percent": round(100 * float(answer.shares[profile.index])),
            "name": cluster_profile_name(profile),
            "description": cluster_profile_description(profile),
            "top_genres": list(profile.top_genres)[:3],
        }
        for profile in answer.profiles
    ]
