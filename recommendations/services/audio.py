"""The audio model's bridge to the catalog (issue 12): find a track's audio, analyse it, store what it tells.

Where audio comes from, in order: the track's own `audio_file` (a curator's upload, a demo preview); a preview
looked up by `ingestion.services.previews` when preview sources are configured (PREVIEW_SOURCES); else the
track's `preview_url`. A looked-up or downloaded preview is analysed and then dropped, unless PREVIEW_KEEP_FILES
keeps it as the track's audio file.

Provenance: features measured from audio are `analysed`; they never replace real ones (spotify, imported), and
estimates from neighbours never replace them (`ingestion.services.catalog.common.FEATURE_SOURCE_RANK`). With a
learned audio model a track gets every feature it estimates and the source `analysed`; without one (or one that
learned too little) only what the analysis measures directly (tempo, key, mode, loudness, time signature) is
stored, and the source stays what it was.

Each track's analysis is kept (`TrackAudioAnalysis`): the same audio is never decoded twice, and a new audio
model version re-estimates from the stored descriptors.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F, Q
from django.utils import timezone

from ingestion.models import FEATURE_FIELDS, Track
from ingestion.previews.errors import PreviewDeferred
from ingestion.services.changes import catalog_changed
from recommendations.artifacts import ModelNotTrained, active_model
from recommendations.engines.audio.analysis import ANALYSIS_VERSION, AudioAnalysis, analyse_audio
from recommendations.engines.audio.decoding import AudioError
from recommendations.engines.audio.mapping import AudioFeatureModel
from recommendations.models import ModelVersion, TrackAudioAnalysis

logger = logging.getLogger(__name__)

REAL_SOURCES = (Track.FeatureSource.SPOTIFY, Track.FeatureSource.IMPORTED)
MEASURED_ON_TRACK = ("tempo", "key", "mode", "loudness", "time_signature")
CORE_FEATURES = ("danceability", "energy", "valence")  # what a non-missing source needs (the track constraint)
PREVIEW_MAX_BYTES = 10 * 2**20
PREVIEW_TIMEOUT_SECONDS = 10
KEPT_PREVIEW_DIR = "audio/previews"


@dataclass(frozen=True)
class AudioSource:
    kind: str  # "file" or "preview"
    name: str  # storage name or URL: a different name is different audio
    read: Callable[[], bytes | None]  # None: the lookup found nothing


# --- where a track's audio is ---


def track_audio_source(track: Track) -> AudioSource | None:
    """The audio to analyse for `track`, or None when it has none."""
    if track.audio_file:
        name = track.audio_file.name
        return AudioSource("file", name, lambda: _read_storage(name))
    if settings.PREVIEW_SOURCES:  # preview lookup is on: a fresh link from the sources (theirs expire)
        return AudioSource("preview", track.preview_url or f"lookup:{track.pk}", lambda: _looked_up(track))
    if track.preview_url:
        url = track.preview_url
        return AudioSource("preview", url, lambda: _download(url))
    return None


def _looked_up(track: Track) -> bytes | None:
    """The preview the configured sources have for `track`; None when none has it. Raises PreviewDeferred."""
    from ingestion.services.previews import fetch_preview

    audio = fetch_preview(track)
    return audio.data if audio is not None else None


def _read_storage(name: str) -> bytes:
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError) as error:
        raise AudioError(f"The audio file {PurePosixPath(name).name} is not in storage any more: {error}.") from None


def _download(url: str) -> bytes:
    """A preview's bytes, at most PREVIEW_MAX_BYTES; AudioError when it cannot be fetched."""
    import requests

    try:
        with requests.get(url, timeout=PREVIEW_TIMEOUT_SECONDS, stream=True) as response:
            response.raise_for_status()
            data = response.raw.read(PREVIEW_MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise AudioError(f"The preview could not be fetched: {type(error).__name__}.") from None
    if len(data) > PREVIEW_MAX_BYTES:
        raise AudioError(f"The preview is larger than {PREVIEW_MAX_BYTES // 2**20} MiB: not a short preview.")
    return data


# --- the active audio model ---


def audio_model_active() -> tuple[AudioFeatureModel | None, ModelVersion | None]:
    """The active audio model and its version, or (None, None) while none is trained."""
    try:
        loaded = active_model(ModelVersion.Engine.AUDIO.value)
    except ModelNotTrained:
        return None, None
    return loaded.engine, ModelVersion.objects.get(pk=loaded.version_id)


def audio_features_estimate(analysis: AudioAnalysis, model: AudioFeatureModel | None) -> dict[str, Any]:
    """The features an analysis gives: measured ones, plus the learned ones when `model` learned them."""
    return model.estimate(analysis) if model is not None else analysis.measured_features()


# --- storing features, never over real ones ---


def track_features_store(
    *, track_id: int, features: dict[str, Any], duration_ms: int | None = None, reason: str = "audio analysis"
) -> str:
    """Store features measured from a track's audio; returns the TrackAudioAnalysis outcome.

    With every core feature estimated, all features are replaced (those not estimated become unknown) and the
    source becomes `analysed`; otherwise only the measured ones are written, the source unchanged. A track with
    real features (spotify, imported) is left alone (`kept`). `duration_ms` fills an unknown duration. Records a
    catalog change when something was written. Safe to re-run: the same features write nothing new.
    """
    Outcome = TrackAudioAnalysis.Outcome
    updatable = Track.objects.filter(pk=track_id).exclude(features_source__in=REAL_SOURCES)
    learned = all(features.get(name) is not None for name in CORE_FEATURES)
    if learned:
        values = {name: features.get(name) for name in FEATURE_FIELDS}
        values["features_source"] = Track.FeatureSource.ANALYSED
        outcome = Outcome.ANALYSED
    else:
        values = {name: features.get(name) for name in MEASURED_ON_TRACK if name in features}
        outcome = Outcome.MEASURED
    current = updatable.values(*values).first()
    if current is None:
        return Outcome.KEPT
    changed = current != values
    if changed:
        updatable.update(**values, updated_at=timezone.now())
    if duration_ms and Track.objects.filter(pk=track_id, duration_ms__isnull=True).update(duration_ms=duration_ms):
        changed = True
    if changed:
        catalog_changed(reason=reason)
    return outcome


# --- analysing tracks ---


def track_audio_analyse(*, track_id: int, force: bool = False) -> str:
    """Analyse one track's audio (unless this audio was analysed before) and store its features.

    Returns the outcome (analysed, measured, kept, failed), "no audio", or "unchanged" when this audio was
    analysed and the active audio model already applied. A broken file is recorded as failed and not retried
    until its audio changes (or `force`). Safe to re-run.
    """
    track = Track.objects.get(pk=track_id)
    source = track_audio_source(track)
    if source is None:
        return "no audio"
    model, version = audio_model_active()
    previous = TrackAudioAnalysis.objects.filter(track=track).first()
    same_audio = (
        previous is not None and previous.audio_name == source.name and previous.analysis_version == ANALYSIS_VERSION
    )
    if same_audio and not force:
        if previous.outcome == TrackAudioAnalysis.Outcome.FAILED:
            return "unchanged"
        if previous.model_version_id == (version.pk if version else None):
            return "unchanged"
        return _store(track, source, previous.measured, previous.descriptors, model, version)
    try:
        data = source.read()
        if data is None:
            return "no audio"
        analysis = analyse_audio(data)
    except PreviewDeferred as error:  # a source rate-limits for long: nothing recorded, the next run asks again
        logger.info("track %s: preview lookup deferred: %s", track.pk, error)
        return "deferred"
    except AudioError as error:
        _record(track, source, outcome=TrackAudioAnalysis.Outcome.FAILED, error=str(error))
        logger.info("track %s: audio not analysed: %s", track.pk, error)
        return TrackAudioAnalysis.Outcome.FAILED
    if source.kind == "preview" and (kept := _keep_preview(track, data)):
        source = AudioSource("file", kept, source.read)  # the track's audio file now: not analysed again
    measured = {**analysis.measured_features(), "duration_ms": analysis.duration_ms}
    return _store(track, source, measured, analysis.descriptors, model, version)


def _store(
    track: Track, source: AudioSource, measured: dict, descriptors: dict, model: AudioFeatureModel | None,
    version: ModelVersion | None,
) -> str:
    features = {name: value for name, value in measured.items() if name != "duration_ms"}
    if model is not None:
        features = model.estimate_from(features, descriptors)
    # A preview's length is not the song's: only the track's own file tells its duration.
    duration = measured.get("duration_ms") if source.kind == "file" else None
    outcome = track_features_store(track_id=track.pk, features=features, duration_ms=duration)
    _record(track, source, outcome=outcome, measured=measured, descriptors=descriptors, version=version)
    return outcome


def _record(track: Track, source: AudioSource, *, outcome: str, measured: dict | None = None,
            descriptors: dict | None = None, version: ModelVersion | None = None, error: str = "") -> None:  # fmt: skip
    TrackAudioAnalysis.objects.update_or_create(track=track, defaults={
        "audio_kind": source.kind, "audio_name": source.name[:600], "analysis_version": ANALYSIS_VERSION,
        "measured": measured or {}, "descriptors": descriptors or {}, "model_version": version, "outcome": outcome,
        "error": error, "analysed_at": timezone.now(),
    })  # fmt: skip


def _keep_preview(track: Track, data: bytes) -> str | None:
    """Keep a preview as the track's audio file when PREVIEW_KEEP_FILES says so (else it is dropped), named by its
    content as the preview lookup names the files it keeps; never over a track's own audio file."""
    if not settings.PREVIEW_KEEP_FILES or track.audio_file:
        return None
    name = f"{KEPT_PREVIEW_DIR}/{hashlib.sha256(data).hexdigest()[:32]}.{_extension(data)}"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))
    Track.objects.filter(pk=track.pk, audio_file="").update(audio_file=name)
    return name


def _extension(data: bytes) -> str:
    """The file name extension the audio's first bytes call for."""
    for magic, extension in ((b"OggS", "ogg"), (b"fLaC", "flac"), (b"RIFF", "wav"), (b"FORM", "aiff")):
        if data.startswith(magic):
            return extension
    return "mp3"


# --- the tracks that need it ---


@dataclass
class AudioAnalysisSummary:
    tracks: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.tracks:
            return "audio analysis: no track without real features has audio to analyse"
        counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items()))
        return f"audio analysis of {self.tracks} tracks: {counts}"


def tracks_needing_analysis(*, limit: int | None = None) -> list[int]:
    """Tracks without real features that have audio (a file, a preview URL, or any with preview lookup on) and
    whose analysis is missing, made by an older analyser, or not yet estimated by the active audio model.
    Newest releases first."""
    tracks = Track.objects.exclude(features_source__in=REAL_SOURCES)
    if not settings.PREVIEW_SOURCES:
        tracks = tracks.exclude(audio_file="", preview_url="")
    same_audio = Q(audio_analysis__audio_name=F("audio_file")) | Q(audio_analysis__audio_name=F("preview_url"))
    if settings.PREVIEW_SOURCES:  # a lookup that found no link to name it by (see track_audio_source)
        same_audio |= Q(audio_file="", preview_url="", audio_analysis__audio_name__startswith="lookup:")
    done = same_audio & Q(audio_analysis__analysis_version=ANALYSIS_VERSION)
    _, version = audio_model_active()
    if version is not None:  # analysed, but not yet estimated by this model version: estimated again
        done &= Q(audio_analysis__outcome=TrackAudioAnalysis.Outcome.FAILED) | Q(audio_analysis__model_version=version)
    ids = tracks.exclude(done).order_by("-album__release_date", "-pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)


def tracks_audio_analyse(
    *, track_ids: Iterable[int] | None = None, limit: int | None = None, progress: Callable | None = None
) -> AudioAnalysisSummary:
    """Analyse the audio of `track_ids` (default: `tracks_needing_analysis(limit=...)`) and store the features.
    `progress` wraps the ids (a tqdm). Safe to re-run: analysed audio is not analysed again."""
    ids = list(track_ids) if track_ids is not None else tracks_needing_analysis(limit=limit)
    summary = AudioAnalysisSummary(tracks=len(ids))
    for track_id in progress(ids) if progress else ids:
        outcome = track_audio_analyse(track_id=track_id)
        summary.outcomes[outcome] = summary.outcomes.get(outcome, 0) + 1
    return summary


# --- what the audio model learns from ---


@dataclass
class AudioTrainingSet:
    """Tracks with audio and real features: their descriptors, real learned features, measured and real values."""

    track_ids: list[int]
    descriptors: Any  # np.ndarray, tracks x DESCRIPTOR_NAMES
    targets: Any  # tracks x LEARNED_FEATURES (NaN unknown)
    measured: Any  # tracks x MEASURED_FEATURES, as the analysis measured them
    truth: Any  # the same, as the catalog has them
    failed: int = 0  # tracks whose audio could not be analysed


def audio_training_set(*, progress: bool = False) -> AudioTrainingSet:
    """Analyse (once) the audio of up to AUDIO_TRAINING_MAX_TRACKS tracks with real features, and return the set.

    Analyses are kept (outcome `kept`: real features are never touched), so a re-run decodes only new audio.
    """
    import numpy as np

    from recommendations.engines.audio.analysis import DESCRIPTOR_NAMES
    from recommendations.engines.audio.mapping import LEARNED_FEATURES, MEASURED_FEATURES

    tracks = _training_tracks()
    _analyse_for_training(tracks, progress=progress)
    analyses = {row.track_id: row for row in TrackAudioAnalysis.objects.filter(track__in=[t.pk for t in tracks])}
    usable = [track for track in tracks if _is_current(analyses.get(track.pk), track_audio_source(track))]
    rows = [analyses[track.pk] for track in usable]

    def matrix(values: Iterable[Iterable[Any]]) -> np.ndarray:
        return np.array([[np.nan if v is None else float(v) for v in row] for row in values], dtype=np.float64)

    width = len(DESCRIPTOR_NAMES)
    return AudioTrainingSet(
        track_ids=[track.pk for track in usable],
        descriptors=matrix([row.descriptors.get(name) for name in DESCRIPTOR_NAMES] for row in rows).reshape(-1, width),
        targets=matrix([getattr(t, name) for name in LEARNED_FEATURES] for t in usable).reshape(-1, 7),
        measured=matrix([row.measured.get(name) for name in MEASURED_FEATURES] for row in rows).reshape(-1, 4),
        truth=matrix([getattr(t, name) for name in MEASURED_FEATURES] for t in usable).reshape(-1, 4),
        failed=sum(1 for track in tracks if (a := analyses.get(track.pk)) and a.outcome == "failed"),
    )


def _training_tracks() -> list[Track]:
    """Tracks with real features and audio (their own, a preview URL, or any with preview lookup on), spread evenly
    over the catalog by id."""
    with_audio = Track.objects.filter(features_source__in=REAL_SOURCES)
    if not settings.PREVIEW_SOURCES:
        with_audio = with_audio.exclude(audio_file="", preview_url="")
    ids = list(with_audio.order_by("pk").values_list("pk", flat=True))
    limit = settings.AUDIO_TRAINING_MAX_TRACKS
    if limit and len(ids) > limit:
        ids = [ids[round(i * len(ids) / limit)] for i in range(limit)]
    return list(Track.objects.filter(pk__in=ids).order_by("pk"))


def _is_current(analysis: TrackAudioAnalysis | None, source: AudioSource | None) -> bool:
    return (
        analysis is not None and source is not None and analysis.audio_name == source.name[:600]
        and analysis.analysis_version == ANALYSIS_VERSION and analysis.outcome != TrackAudioAnalysis.Outcome.FAILED
    )  # fmt: skip


def _analyse_for_training(tracks: list[Track], *, progress: bool) -> None:
    """Analyse the tracks whose audio has no current analysis, in worker processes; record each (never failing)."""
    import sys

    from tqdm import tqdm

    analyses = {row.track_id: row for row in TrackAudioAnalysis.objects.filter(track__in=[t.pk for t in tracks])}
    todo = []
    for track in tracks:
        source = track_audio_source(track)
        previous = analyses.get(track.pk)
        if source is None or (previous is not None and previous.audio_name == source.name[:600]
                              and previous.analysis_version == ANALYSIS_VERSION):  # fmt: skip
            continue
        todo.append((track, source))
    with tqdm(total=len(todo), unit="track", desc="audio analysis", disable=not progress, file=sys.stderr) as bar:
        for chunk, results in _analysed_in_chunks(todo):
            for (track, source), result in zip(chunk, results, strict=True):
                if isinstance(result, str):
                    _record(track, source, outcome=TrackAudioAnalysis.Outcome.FAILED, error=result)
                else:
                    measured = {**result.measured_features(), "duration_ms": result.duration_ms}
                    _record(track, source, outcome=TrackAudioAnalysis.Outcome.KEPT, measured=measured,
                            descriptors=result.descriptors)  # fmt: skip
            bar.update(len(chunk))


ANALYSIS_CHUNK = 16


def _analysed_in_chunks(todo: list[tuple[Track, AudioSource]]) -> Iterator[tuple[list, list]]:
    """(chunk, results) pairs: audio read here (storage, network), analysed in AUDIO_ANALYSIS_WORKERS processes.
    A track whose preview lookup is deferred is left out of its chunk (and so not recorded: asked again next time)."""
    import concurrent.futures
    import multiprocessing

    from recommendations.engines.audio.analysis import analyse_batch

    def read(chunk: list) -> tuple[list, list]:
        pairs = [(item, _read_or_error(item[1])) for item in chunk]
        pairs = [(item, data) for item, data in pairs if data is not None]
        return [item for item, _ in pairs], [data for _, data in pairs]

    chunks = [todo[start : start + ANALYSIS_CHUNK] for start in range(0, len(todo), ANALYSIS_CHUNK)]
    workers = min(settings.AUDIO_ANALYSIS_WORKERS, len(chunks))
    if multiprocessing.current_process().daemon or workers <= 1:  # a Celery prefork child may not start processes
        for chunk in chunks:
            items, inputs = read(chunk)
            yield items, analyse_batch(inputs)
        return
    # spawn, not fork: a forked Django process would share its database connection with the children.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending = []
        for chunk in chunks:
            items, inputs = read(chunk)
            pending.append((items, pool.submit(analyse_batch, inputs)))
            if len(pending) > 2 * workers:  # bounded: audio bytes of a few chunks in flight, not of the whole catalog
                done_items, future = pending.pop(0)
                yield done_items, future.result()
        for done_items, future in pending:
            yield done_items, future.result()


def _read_or_error(source: AudioSource) -> bytes | str | None:
    """The audio's bytes, why they cannot be read (passed on as the analysis' error), or None if deferred."""
    try:
        data = source.read()
    except AudioError as error:
        return str(error)
    except PreviewDeferred as error:
        logger.info("preview lookup deferred for training: %s", error)
        return None
    return data if data is not None else "No preview was found for this track."


def track_analysis_store(*, track_id: int, analysis: AudioAnalysis, audio_name: str) -> str:
    """Store the features of an analysis made elsewhere (`manage.py analyse_audio --track`) on a track, under the
    same rules as every analysis (real features kept); returns the outcome. The file's length becomes the track's
    duration only when that is unknown. Safe to re-run."""
    model, version = audio_model_active()
    features = audio_features_estimate(analysis, model)
    outcome = track_features_store(track_id=track_id, features=features, duration_ms=analysis.duration_ms,
                                   reason="audio analysis (analyse_audio)")  # fmt: skip
    measured = {**analysis.measured_features(), "duration_ms": analysis.duration_ms}
    source = AudioSource("command", audio_name, lambda: None)
    _record(Track(pk=track_id), source, outcome=outcome, measured=measured, descriptors=analysis.descriptors,
            version=version)  # fmt: skip
    return outcome
