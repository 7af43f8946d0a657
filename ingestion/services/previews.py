"""Preview lookup: 30 seconds of a track's sound from public sources, for the audio analysis and the player.

Off unless PREVIEW_SOURCES names sources ("deezer", "itunes"; asked in that order, at DEEZER_API_URL and
ITUNES_API_URL). For each source: the track's ISRC first where the source can look one up, else a search by main
artist and title; a result is taken only when artist, title and length agree (`ingestion.previews.matching`) and
its audio decodes (`ingestion.audio.files`). Faults are handled as the Spotify client handles Spotify's
(`ingestion.previews.http`); a source that rate-limits for long is left alone for the rest of the run.

- `fetch_preview(track)` gives the audio itself (bytes, MIME type, source, link) to whoever analyses it; nothing is
  written. Any track may be asked for (training needs audio of tracks that have real features too).
- `previews_look_up(...)` (the `look_up_previews` command and the admin action) asks for tracks without real
  features and without audio, stores each found link as `preview_url` and, with PREVIEW_KEEP_FILES, the file as the
  track's `audio_file` (never over a curator's upload); otherwise the audio is discarded.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from tqdm import tqdm

from ingestion.audio.files import AudioRejected, audio_check
from ingestion.models import Track, TrackArtist
from ingestion.previews.candidates import PreviewCandidate
from ingestion.previews.deezer import DeezerSource
from ingestion.previews.errors import PreviewDeferred, PreviewRefused, PreviewSourceError, PreviewUnavailable
from ingestion.previews.http import PreviewHttp
from ingestion.previews.itunes import ITunesSource
from ingestion.previews.matching import candidate_mismatch
from ingestion.services.changes import catalog_changed

logger = logging.getLogger(__name__)

PREVIEW_DIR = "audio/previews"
STORED_LINK = "stored link"  # PreviewAudio.source of audio from a track's own preview_url
CANDIDATES_PER_SOURCE = 5  # results of one search that are checked; later ones are rarely the song
REAL_FEATURES = (Track.FeatureSource.SPOTIFY, Track.FeatureSource.IMPORTED)


class Outcome:
    FOUND = "found"
    NOT_FOUND = "not_found"  # no source had the song
    MISMATCHED = "mismatched"  # sources offered songs, none of them this one
    UNDECODABLE = "undecodable"  # the song was found but its audio cannot be read here
    UNAVAILABLE = "unavailable"  # a source kept failing (5xx, timeouts) or refused
    DEFERRED = "deferred"  # every source that could answer is rate-limited for long


@dataclass(frozen=True, slots=True)
class PreviewAudio:
    data: bytes
    mime: str
    source: str
    url: str
    extension: str = "mp3"
    seconds: float = 0.0


@dataclass
class PreviewLookup:
    """One track's lookup: the audio when found, else the outcome and why (for the logs and the summary)."""

    audio: PreviewAudio | None
    outcome: str
    details: list[str] = field(default_factory=list)


class PreviewLookupOff(Exception):
    """No preview source is configured."""

    def __init__(self):
        super().__init__(gettext(
            "Preview lookup is off: set PREVIEW_SOURCES (deezer, itunes or both) to turn it on; see the README."
        ))


class PreviewSources:
    """The configured sources with the run's shared HTTP handling; forgets a source once it defers."""

    def __init__(self, sources: list, http: PreviewHttp):
        self.sources = sources
        self.http = http
        self.deferred: dict[str, dt.datetime] = {}

    @property
    def active(self) -> list:
        return [source for source in self.sources if source.name not in self.deferred]

    @property
    def deferred_until(self) -> dt.datetime | None:
        return min(self.deferred.values()) if self.deferred else None


def preview_sources(*, http: PreviewHttp | None = None) -> PreviewSources:
    """The sources PREVIEW_SOURCES names (none: lookup is off), sharing one PreviewHttp from the settings."""
    http = http or PreviewHttp(
        timeout=settings.PREVIEW_TIMEOUT_SECONDS, max_retry_after=settings.PREVIEW_MAX_RETRY_AFTER,
        max_retries=settings.PREVIEW_MAX_RETRIES, backoff_seconds=settings.PREVIEW_BACKOFF_SECONDS,
    )
    makers = {
        "deezer": lambda: DeezerSource(http, base_url=settings.DEEZER_API_URL),
        "itunes": lambda: ITunesSource(http, base_url=settings.ITUNES_API_URL, country=settings.ITUNES_COUNTRY),
    }
    return PreviewSources([makers[name]() for name in dict.fromkeys(settings.PREVIEW_SOURCES)], http)


def fetch_preview(track: Track, *, sources: PreviewSources | None = None) -> PreviewAudio | None:
    """The track's preview audio, or None (lookup off, or nowhere found): its stored `preview_url` first (one
    request, the link a lookup found before), else the first source that has it.

    Raises PreviewDeferred when nothing was found and a source is rate-limited for long (ask again at `until`).
    Writes nothing; the caller analyses the audio and drops it. With lookup off nothing is downloaded at all.
    """
    sources = sources if sources is not None else preview_sources()
    if not sources.sources:
        return None
    if track.preview_url.startswith(("https://", "http://")):
        stored = PreviewCandidate(source=STORED_LINK, preview_url=track.preview_url, artist="", title="")
        try:
            audio = _download(stored, sources.http, [])
        except (PreviewUnavailable, PreviewDeferred) as error:  # the sources may still have it
            logger.info("track %s: its stored preview link failed: %s", track.pk, error)
            audio = None
        if audio is not None:
            return audio
    lookup = preview_lookup(track, sources=sources)
    if lookup.audio is None and lookup.outcome == Outcome.DEFERRED:
        raise PreviewDeferred(source=", ".join(sources.deferred), until=sources.deferred_until)
    return lookup.audio


def preview_lookup(track: Track, *, sources: PreviewSources) -> PreviewLookup:
    """Ask each active source in turn; the first decodable preview of the same song wins."""
    artists = _artist_names(track)
    outcomes: list[str] = []
    details: list[str] = []
    for source in sources.active:
        try:
            found = _from_source(source, track, artists, sources.http, details)
        except PreviewDeferred as deferred:
            sources.deferred[source.name] = deferred.until
            details.append(f"{source.name}: {deferred}")
            outcomes.append(Outcome.DEFERRED)
            continue
        except (PreviewUnavailable, PreviewRefused) as error:
            details.append(f"{source.name}: {error}")
            outcomes.append(Outcome.UNAVAILABLE)
            continue
        if isinstance(found, PreviewAudio):
            return PreviewLookup(found, Outcome.FOUND, details)
        outcomes.append(found)
    if not sources.sources:
        return PreviewLookup(None, Outcome.NOT_FOUND, ["preview lookup is off (PREVIEW_SOURCES is empty)"])
    return PreviewLookup(None, _overall(outcomes, sources), details)


def _overall(outcomes: list[str], sources: PreviewSources) -> str:
    """What to call a lookup that found nothing: deferred if a source may still have it later, else the most
    telling of the sources' outcomes."""
    if Outcome.DEFERRED in outcomes or (not outcomes and sources.deferred):
        return Outcome.DEFERRED
    for outcome in (Outcome.UNDECODABLE, Outcome.MISMATCHED, Outcome.UNAVAILABLE):
        if outcome in outcomes:
            return outcome
    return Outcome.NOT_FOUND


def _from_source(source, track: Track, artists: list[str], http: PreviewHttp, details: list[str]) -> PreviewAudio | str:
    candidates = source.by_isrc(track.isrc) if track.isrc else []
    if not candidates and artists:
        candidates = source.search(artist=artists[0], title=track.name)
    if not candidates:
        return Outcome.NOT_FOUND
    outcome = Outcome.MISMATCHED
    for candidate in candidates[:CANDIDATES_PER_SOURCE]:
        mismatch = candidate_mismatch(
            candidate, artists=artists, title=track.name, duration_ms=track.duration_ms,
            max_duration_difference_s=settings.PREVIEW_MAX_DURATION_DIFFERENCE,
        )
        if mismatch:
            details.append(f"{source.name}: “{candidate.artist} - {candidate.title}” is another song: {mismatch}")
            continue
        audio = _download(candidate, http, details)
        if audio is not None:
            return audio
        outcome = Outcome.UNDECODABLE
    return outcome


def _download(candidate: PreviewCandidate, http: PreviewHttp, details: list[str]) -> PreviewAudio | None:
    limit = settings.PREVIEW_MAX_BYTES
    try:
        body = http.get_bytes(candidate.preview_url, source=candidate.source, max_bytes=limit)
        info = audio_check(body.data, max_bytes=limit, name=candidate.preview_url.split("?")[0])
    except PreviewRefused as error:  # an expired link: another candidate may do
        details.append(f"{candidate.source}: the preview link was refused ({error})")
        return None
    except AudioRejected as rejection:
        details.append(f"{candidate.source}: the preview is not usable audio: {rejection}")
        return None
    return PreviewAudio(data=body.data, mime=info.mime, source=candidate.source, url=candidate.preview_url,
                        extension=info.extension, seconds=round(info.seconds, 2))


def _artist_names(track: Track) -> list[str]:
    return list(
        TrackArtist.objects.filter(track=track).order_by("position").values_list("artist__name", flat=True)
    )


# --- the lookup run: links (and files) stored for tracks without real features ---


@dataclass
class PreviewLookupSummary:
    tracks: int = 0
    outcomes: Counter = field(default_factory=Counter)
    kept_files: int = 0
    requests: int = 0
    retries: int = 0
    deferred_until: dt.datetime | None = None
    left: int = 0  # tracks not asked because every source was deferred

    def as_dict(self) -> dict:
        return {
            "tracks": self.tracks, **{o: self.outcomes.get(o, 0) for o in (
                Outcome.FOUND, Outcome.NOT_FOUND, Outcome.MISMATCHED, Outcome.UNDECODABLE, Outcome.UNAVAILABLE,
                Outcome.DEFERRED)},
            "kept_files": self.kept_files, "requests": self.requests, "retries": self.retries, "left": self.left,
            "deferred_until": self.deferred_until.isoformat() if self.deferred_until else None,
        }

    def __str__(self) -> str:
        counts = self.as_dict()
        text = (
            f"Previews: {counts['found']} found of {self.tracks} tracks ({counts['kept_files']} files kept), "
            f"{counts['not_found']} not found, {counts['mismatched']} only other songs, "
            f"{counts['undecodable']} undecodable, {counts['unavailable']} source failures; "
            f"{self.requests} requests, {self.retries} retries"
        )
        if self.deferred_until:
            text += f"; rate limited until {self.deferred_until.isoformat()}, {self.left} tracks left for later"
        return text + "."


def tracks_needing_previews() -> QuerySet[Track]:
    """Tracks without real features (missing or estimated) and without any audio, newest releases first."""
    return (
        Track.objects.exclude(features_source__in=[*REAL_FEATURES, Track.FeatureSource.ANALYSED])
        .filter(preview_url="", audio_file="")
        .order_by(F("album__release_date").desc(nulls_last=True), "pk")
    )


def previews_look_up(
    *, track_ids: Iterable[int] | None = None, limit: int | None = None, keep: bool | None = None,
    progress: bool = False, sources: PreviewSources | None = None,
) -> PreviewLookupSummary:
    """Look up previews for `track_ids` (default: `tracks_needing_previews()`, at most `limit`), store the links,
    and with `keep` (default PREVIEW_KEEP_FILES) the files.

    Stops early when every source is rate-limited for long (the summary says until when and how many tracks were
    left); raises PreviewLookupOff when no source is configured. Safe to re-run: a track that got a link is not
    asked again. One catalog change is counted when anything was stored.
    """
    sources = sources if sources is not None else preview_sources()
    if not sources.sources:
        raise PreviewLookupOff
    keep = settings.PREVIEW_KEEP_FILES if keep is None else keep
    queryset = tracks_needing_previews() if track_ids is None else Track.objects.filter(pk__in=list(track_ids))
    tracks = list(queryset[:limit] if limit else queryset)
    summary = PreviewLookupSummary(tracks=len(tracks))
    with tqdm(total=len(tracks), unit="track", desc="looking up previews", disable=not progress) as bar:
        for index, track in enumerate(tracks):
            if not sources.active:
                summary.left = len(tracks) - index
                break
            lookup = preview_lookup(track, sources=sources)
            summary.outcomes[lookup.outcome] += 1
            if lookup.audio is not None:
                summary.kept_files += _store_preview(track, lookup.audio, keep=keep)
            elif lookup.details:
                logger.info("no preview for track %s: %s", track.pk, "; ".join(lookup.details))
            bar.update()
    summary.requests, summary.retries = sources.http.stats.requests, sources.http.stats.retries
    summary.deferred_until = sources.deferred_until
    if summary.outcomes[Outcome.FOUND]:
        catalog_changed(reason=f"preview lookup: {summary.outcomes[Outcome.FOUND]} previews found")
    return summary


def _store_preview(track: Track, audio: PreviewAudio, *, keep: bool) -> int:
    """Store the link (if it fits the field) and, when kept, the file; returns 1 when a file was kept."""
    changes: dict = {"updated_at": timezone.now()}
    if len(audio.url) <= Track._meta.get_field("preview_url").max_length:
        changes["preview_url"] = audio.url
    kept = 0
    if keep and not track.audio_file:
        name = f"{PREVIEW_DIR}/{hashlib.sha256(audio.data).hexdigest()[:32]}.{audio.extension}"
        if not default_storage.exists(name):
            saved = default_storage.save(name, ContentFile(audio.data))
            if saved != name:
                default_storage.delete(saved)
        changes["audio_file"] = name
        kept = 1
    if len(changes) > 1:
        Track.objects.filter(pk=track.pk).update(**changes)
    return kept


__all__ = [
    "Outcome", "PreviewAudio", "PreviewDeferred", "PreviewLookup", "PreviewLookupOff", "PreviewLookupSummary",
    "PreviewSourceError", "PreviewSources", "fetch_preview", "preview_lookup", "preview_sources", "previews_look_up",
    "tracks_needing_previews",
]
