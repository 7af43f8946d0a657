"""manage.py recommend content|clusters|situation: ask the active model versions, for quick checks.

Tracks are named by pk, Spotify id (or spotify:track: URI) or exact title; playlists by pk, or by
`source:external_id` (e.g. `mpd:1234`), or by an external id alone when only one source uses it.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from ingestion.models import Playlist, Track
from recommendations.artifacts import ArtifactUnavailable, ModelNotTrained
from recommendations.engines.content import Emotion, Mood, Speed
from recommendations.reasons import cluster_profile_name, reason_json, reason_text
from recommendations.services.recommending import (
    ClusterRecommendations,
    Recommendations,
    RecommendedTrack,
    SituationRecommendations,
    recommend_clusters,
    recommend_content,
    recommend_situation,
    tracks_for_display,
)

SPOTIFY_ID_LENGTH = 22
TITLE_WIDTH = 48
AMBIGUOUS_SHOWN = 5


class Command(BaseCommand):
    help = "Recommend tracks with the active model versions: content (favourites + filters), clusters, situation."

    def add_arguments(self, parser: CommandParser) -> None:
        common = CommandParser(add_help=False)
        common.add_argument("-k", type=int, default=10, help="How many tracks (default 10).")
        common.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="content|clusters|situation")
        content = kinds.add_parser("content", parents=[common], help="A favourite song or two, mood, speed, emotion.")
        content.add_argument("--favourite", action="append", default=[], metavar="TRACK",
                             help="A favourite track: pk, Spotify id or exact title; repeat for several.")
        content.add_argument("--mood", choices=[choice.value for choice in Mood])
        content.add_argument("--speed", choices=[choice.value for choice in Speed])
        content.add_argument("--emotion", choices=[choice.value for choice in Emotion])
        content.add_argument("--seed", type=int, help="Reroll: another list from the best candidates.")
        clusters = kinds.add_parser("clusters", parents=[common], help="New songs in the proportions of a playlist.")
        source = clusters.add_mutually_exclusive_group(required=True)
        source.add_argument("--playlist", metavar="PLAYLIST", help="pk, source:external_id, or external id.")
        source.add_argument("--tracks", nargs="+", metavar="TRACK", help="Tracks standing in for a playlist.")
        situation = kinds.add_parser("situation", parents=[common], help="Songs for a situation, in words.")
        situation.add_argument("text", nargs="+", help="e.g. music for a rainy drive")  # fmt: skip

    def handle(self, *args: Any, kind: str, **options: Any) -> None:
        if options["k"] < 1:
            raise CommandError("-k must be at least 1")
        try:
            answer, request = getattr(self, f"_{kind}")(options)
        except (ModelNotTrained, ArtifactUnavailable, ValueError) as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(answer, request), ensure_ascii=False, indent=1))
        else:
            self._print_table(answer, request)

    def _content(self, options: dict[str, Any]) -> tuple[Recommendations, dict[str, Any]]:
        favourites = [_track(reference) for reference in options["favourite"]]
        answer = recommend_content(
            favourite_track_ids=[track.pk for track in favourites],
            mood=options["mood"],
            speed=options["speed"],
            emotion=options["emotion"],
            k=options["k"],
            reroll_seed=options["seed"],
        )
        request = {key: options[key] for key in ("mood", "speed", "emotion", "seed") if options[key] is not None}
        return answer, {"favourites": [_label(track) for track in favourites], **request}

    def _clusters(self, options: dict[str, Any]) -> tuple[Recommendations, dict[str, Any]]:
        if options["playlist"]:
            playlist = _playlist(options["playlist"])
            track_ids = list(playlist.entries.order_by("position").values_list("track_id", flat=True))
            request = {"playlist": f"#{playlist.pk} {playlist.name} ({playlist.source} {playlist.external_id})"}
        else:
            tracks = [_track(reference) for reference in options["tracks"]]
            track_ids = [track.pk for track in tracks]
            request = {"tracks": [_label(track) for track in tracks]}
        request["playlist_tracks"] = len(track_ids)
        return recommend_clusters(playlist_track_ids=track_ids, k=options["k"]), request

    def _situation(self, options: dict[str, Any]) -> tuple[Recommendations, dict[str, Any]]:
        text = " ".join(options["text"])
        return recommend_situation(text=text, k=options["k"]), {"text": text}

    def _print_table(self, answer: Recommendations, request: dict[str, Any]) -> None:
        asked = "; ".join(f"{key}: {_plain(value)}" for key, value in request.items() if value != []) or "no filters"
        self.stdout.write(f"{answer.engine} v{answer.version} · {asked}")
        if isinstance(answer, ClusterRecommendations) and any(answer.shares):
            self.stdout.write("playlist by cluster:")
            for profile, share in sorted(zip(answer.profiles, answer.shares, strict=True), key=lambda ps: -ps[1]):
                if share:
                    self.stdout.write(f"  {share:>4.0%}  {cluster_profile_name(profile)}")
        if isinstance(answer, SituationRecommendations):
            if answer.situations:
                self.stdout.write(f"understood: {', '.join(answer.situations)}")
            if answer.message:
                self.stdout.write(self.style.WARNING(reason_text(answer.message)))
        if not answer.tracks:
            self.stdout.write("No tracks to recommend.")
            return
        self.stdout.write(f"{'#':>3}  {_pad('title — artists', TITLE_WIDTH)}  {'released':<10}  reason")
        for item in answer.tracks:
            title = _fit(f"{item.track.name} — {', '.join(item.artist_names) or '?'}", TITLE_WIDTH)
            released = item.track.album.release_date_display if item.track.album else ""
            self.stdout.write(f"{item.rank:>3}  {title}  {released:<10}  {reason_text(item.reason)}")


def _track(reference: str) -> Track:
    """A track named by pk, Spotify id / URI or exact (case-insensitive) title; CommandError if none or several."""
    reference = reference.strip().removeprefix("spotify:track:")
    if reference.isdigit() and len(reference) < SPOTIFY_ID_LENGTH:
        query, described = Q(pk=int(reference)), f"with pk {reference}"
    elif len(reference) == SPOTIFY_ID_LENGTH and reference.isalnum():
        query, described = Q(spotify_id=reference), f"with Spotify id {reference}"
    else:
        query, described = Q(name__iexact=reference), f"titled {reference!r}"
    matches = list(Track.objects.filter(query).order_by("pk").values_list("pk", flat=True)[:50])
    if not matches:
        raise CommandError(f"No track {described}. Name a track by pk, Spotify id or exact title.")
    if len(matches) > 1:
        shown = ", ".join(_label(track) for track in tracks_for_display(matches[:AMBIGUOUS_SHOWN]).order_by("pk"))
        raise CommandError(f"{len(matches)} tracks are {described}: {shown}… Name one by pk or Spotify id.")
    return tracks_for_display(matches).get()


def _playlist(reference: str) -> Playlist:
    reference = reference.strip()
    source, _, external_id = reference.partition(":")
    if external_id and source in Playlist.Source.values:
        matches = list(Playlist.objects.filter(source=source, external_id=external_id))
    elif reference.isdigit() and (by_pk := Playlist.objects.filter(pk=int(reference)).first()):
        matches = [by_pk]
    else:
        matches = list(Playlist.objects.filter(external_id=reference)[:10])
    if not matches:
        raise CommandError(f"No playlist {reference!r}. Name it by pk, source:external_id (e.g. mpd:1234) or id.")
    if len(matches) > 1:
        found = ", ".join(f"{playlist.source}:{playlist.external_id}" for playlist in matches)
        raise CommandError(f"Several playlists have the id {reference!r}: {found}. Add the source.")
    return matches[0]


def _label(track: Track) -> str:
    artists = ", ".join(credit.artist.name for credit in track.credits.all())
    return f"#{track.pk} {track.name}" + (f" by {artists}" if artists else "")


def _plain(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _width(text: str) -> int:
    """Columns a terminal gives the text: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _fit(text: str, width: int) -> str:
    """The text cut with "…" or padded with spaces to exactly `width` terminal columns."""
    if _width(text) > width:
        while _width(text) > width - 1:
            text = text[:-1]
        text += "…"
    return _pad(text, width)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _as_json(answer: Recommendations, request: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "engine": answer.engine,
        "version": answer.version,
        "request": request,
        "recommendations": [_track_json(item) for item in answer.tracks],
    }
    if isinstance(answer, ClusterRecommendations):
        data["shares"] = answer.shares
        data["clusters"] = [cluster_profile_name(profile) for profile in answer.profiles]
    if isinstance(answer, SituationRecommendations):
        data.update(
            fallback=answer.fallback,
            message=reason_text(answer.message),
            playlists=answer.playlists,
            situations=answer.situations,
        )
    return data


def _track_json(item: RecommendedTrack) -> dict[str, Any]:
    album = item.track.album
    return {
        "rank": item.rank,
        "track_id": item.track.pk,
        "spotify_id": item.track.spotify_id,
        "title": item.track.name,
        "artists": item.artist_names,
        "album": album.name if album else None,
        "release_date": album.release_date_display if album else None,
        "score": round(item.score, 4),
        "reason": reason_text(item.reason),
        "reasons": reason_json(item.reason),
    }
