"""manage.py analyse_audio PATH... [--track ID] [--json]: the features of audio files, measured and (with a trained
audio model) learned; `--track` stores them on a catalog track, never over real features (services.audio)."""
from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ingestion.models import Track
from recommendations.artifacts import ArtifactUnavailable
from recommendations.engines.audio.analysis import analyse_audio
from recommendations.engines.audio.decoding import AudioError
from recommendations.engines.audio.mapping import AudioFeatureModel
from recommendations.models import ModelVersion
from recommendations.services.audio import audio_features_estimate, audio_model_active, track_analysis_store

FEATURE_ORDER = (
    "tempo", "key", "mode", "time_signature", "loudness", "danceability", "energy", "valence", "acousticness",
    "instrumentalness", "speechiness", "liveness",
)  # fmt: skip


class Command(BaseCommand):
    help = (
        "Measure audio files (WAV, FLAC, Ogg Vorbis/Opus, MP3): tempo, key, mode, time signature, loudness and "
        "duration, plus danceability, energy, valence and the rest when an audio model is trained "
        "(train_recommenders --engine audio). With --track, store them on that catalog track: a track with "
        "features from Spotify or a file keeps them. A file that cannot be analysed is reported and the exit "
        "code is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Audio files to analyse.")
        parser.add_argument("--track", type=int, metavar="ID", help="Store the one file's features on this track.")
        parser.add_argument("--json", action="store_true", help="Print the results as JSON on standard output.")

    def handle(self, *args: Any, paths: list[str], track: int | None, **options: Any) -> None:
        as_json = options["json"]
        if track is not None and len(paths) != 1:
            raise CommandError(f"--track stores one file's features: give one PATH, not {len(paths)}.")
        if track is not None and not Track.objects.filter(pk=track).exists():
            raise CommandError(f"There is no track {track} in the catalog.")
        model, version, note = self._model()
        results = []
        show_bar = len(paths) > 1 and options["verbosity"] >= 1
        with tqdm(paths, unit="file", desc="analysing", disable=not show_bar, file=sys.stderr, leave=False) as bar:
            for path in bar:
                result = _analysed(path, model)
                if track is not None and "features" in result:
                    result["stored"] = track_analysis_store(
                        track_id=track, analysis=result.pop("_analysis"), audio_name=path
                    )
                result.pop("_analysis", None)
                results.append(result)
                if not as_json:
                    bar.clear()
                    self._print(result, track)
        failed = sum(1 for result in results if "error" in result)
        if as_json:
            document = {"model": _model_document(model, version), "files": results}
            self.stdout.write(json.dumps(document, ensure_ascii=False))
        else:
            self.stdout.write(f"{len(results) - failed} of {len(results)} files analysed; {note}")
        if failed:
            sys.exit(1)  # after the summary, so a script sees which files failed

    def _model(self) -> tuple[AudioFeatureModel | None, ModelVersion | None, str]:
        try:
            model, version = audio_model_active()
        except ArtifactUnavailable as error:
            return None, None, f"the audio model could not be loaded ({error}): measured features only."
        if model is None:
            return None, None, "no audio model is trained (train_recommenders --engine audio): measured features only."
        if not model.learned:
            return model, version, (
                f"audio v{version.version} learned nothing (too few tracks with audio and real features): "
                "measured features only."
            )
        return model, version, f"learned features by audio v{version.version}."

    def _print(self, result: dict[str, Any], track: int | None) -> None:
        if "error" in result:
            self.stdout.write(self.style.ERROR(f"{result['path']}: {result['error']}"))
            return
        features = result["features"]
        parts = [f"{result['duration_ms'] / 1000:.1f} s", result["key_name"]]
        parts += [_feature_text(name, features[name]) for name in FEATURE_ORDER if features.get(name) is not None
                  and name not in ("key", "mode")]  # fmt: skip
        self.stdout.write(f"{result['path']}: {', '.join(parts)}")
        if track is not None:
            self.stdout.write(_stored_text(track, result["stored"]))


def _analysed(path: str, model: AudioFeatureModel | None) -> dict[str, Any]:
    """One file's result as plain data; every failure becomes its `error` (never a traceback)."""
    try:
        analysis = analyse_audio(path)
    except AudioError as error:
        return {"path": path, "error": str(error)}
    except MemoryError:
        return {"path": path, "error": "The file is too large to analyse in the memory available."}
    except Exception as error:  # a decoder's own failure on a damaged file: reported like any other bad file
        return {"path": path, "error": f"The file could not be analysed ({type(error).__name__}: {error})."}
    return {
        "path": path,
        "duration_ms": analysis.duration_ms,
        "key_name": analysis.key_name,
        "features": audio_features_estimate(analysis, model),
        "_analysis": analysis,
    }


def _feature_text(name: str, value: float | int) -> str:
    if name == "tempo":
        return f"{value:.1f} BPM"
    if name == "loudness":
        return f"{value:.1f} LUFS"
    if name == "time_signature":
        return f"{value}/4"
    return f"{name} {value:.2f}"


def _stored_text(track: int, outcome: str) -> str:
    return {
        "analysed": f"  stored on track {track}: its features are now measured from this audio ('analysed').",
        "measured": f"  stored on track {track}: tempo, key, mode, loudness and time signature only (no learned "
                    "audio model); its feature source is unchanged.",
        "kept": f"  not stored: track {track} has real features (from Spotify or a file), which are never replaced.",
    }[outcome]  # fmt: skip


def _model_document(model: AudioFeatureModel | None, version: ModelVersion | None) -> dict[str, Any] | None:
    if model is None or version is None:
        return None
    return {"version": version.version, "learned": model.learned}
