"""manage.py train_recommenders: fit the engines on the catalog and activate the new versions (services.training)."""
from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.artifacts import ENGINES, installed_engines
from recommendations.models import ModelVersion
from recommendations.services.training import (
    NothingToTrainOn,
    TrainingData,
    TrainingFailed,
    recommender_train,
    training_data_read,
)


class Command(BaseCommand):
    help = (
        "Train the recommenders on the catalog and make the new versions active. An engine whose catalog (and "
        "parameters) did not change since its active version is skipped; a failed build leaves the previous "
        "version serving and makes the exit code non-zero."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--engine", action="append", choices=list(ENGINES), metavar="NAME",
            help=f"Train only this engine ({', '.join(ENGINES)}); repeat for several. Default: all installed.",
        )  # fmt: skip
        parser.add_argument(
            "--skip", action="append", choices=list(ENGINES), metavar="NAME", default=[],
            help="Train every installed engine but this one; repeat for several (run_demo leaves the audio model to "
                 "its background preview process).",
        )  # fmt: skip
        parser.add_argument("--force", action="store_true", help="Train even when the catalog is unchanged.")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON on standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        engines = [name for name in self._engines(options["engine"]) if name not in options["skip"]]
        as_json = options["json"]
        started = time.perf_counter()
        if not as_json:
            self.stdout.write("Reading the catalog…")
        data = training_data_read(engines=engines)
        summary: dict[str, Any] = {"catalog_seconds": round(time.perf_counter() - started, 3), "engines": {}}
        if not as_json:
            self.stdout.write(_catalog_line(data, summary["catalog_seconds"]))
        for engine in engines:
            if not as_json:
                self.stdout.write(f"{engine}: training…")
            result = _train(engine, options["force"], data, progress=not as_json and options["verbosity"] >= 1)
            summary["engines"][engine] = result
            if not as_json:
                self._print_result(engine, result)
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if any(result["outcome"] == "failed" for result in summary["engines"].values()):
            sys.exit(1)  # after the summary, so scripts see both what failed and what did not

    def _engines(self, requested: list[str] | None) -> list[str]:
        available = installed_engines()
        missing = [name for name in requested or [] if name not in available]
        if missing:
            raise CommandError(f"not installed: {', '.join(missing)} (installed: {', '.join(available)})")
        return list(dict.fromkeys(requested)) if requested else available

    def _print_result(self, engine: str, result: dict[str, Any]) -> None:
        if result["outcome"] == "failed":
            self.stdout.write(self.style.ERROR(f"{engine}: FAILED (v{result['version']}): {result['error']}"))
            self.stdout.write("  the previous version (if any) is still active")
        elif result["outcome"] == "skipped":
            self.stdout.write(f"{engine}: unchanged since v{result['version']} ({result['data_hash']}), skipped")
        elif result["outcome"] == "nothing to train on":
            self.stdout.write(self.style.WARNING(f"{engine}: not trained: {result['reason']}"))
        elif result["outcome"] == "in progress":
            self.stdout.write(f"{engine}: v{result['version']} is being built from this data by {result['builder']}")
        else:
            state = "active" if result["active"] else "ready, but a newer version is active"
            megabytes = result["metrics"]["artifact_bytes"] / 1e6
            self.stdout.write(self.style.SUCCESS(
                f"{engine}: trained v{result['version']} in {result['seconds']} s on "
                f"{result['metrics']['tracks']:,} tracks ({megabytes:.1f} MB), {state}"
            ))  # fmt: skip
            if result["metrics"].get("ranker") == "fixed":
                self.stdout.write(self.style.WARNING(f"  fixed blend: {result['metrics']['ranker_message']}"))
            elif result["metrics"].get("ranker") == "learned":
                self.stdout.write(f"  ranker learnt from {result['metrics']['ranker_playlists']} playlists")
            if "learned" in result["metrics"]:  # the audio model: what it learned from, or that it could not
                self.stdout.write(f"  {_audio_line(result['metrics'])}")


def _audio_line(metrics: dict[str, Any]) -> str:
    tracks, minimum = metrics["training_tracks"], metrics["min_training_tracks"]
    if not metrics["learned"]:
        return (f"too few tracks with audio and real features ({tracks} of {minimum}): it estimates only tempo, "
                "key, mode, loudness and time signature")  # fmt: skip
    errors = ", ".join(f"{name} {fit['cv_mae']:.3f}" for name, fit in metrics["learned_features"].items())
    return f"learned from {tracks:,} tracks with audio and real features; cross-validated error: {errors}"


def _catalog_line(data: TrainingData, seconds: float) -> str:
    playlists = f", {len(data.playlists):,} playlists" if data.playlists is not None else ""
    return f"  {len(data.catalog):,} tracks{playlists} in {seconds} s"


def _train(engine: str, force: bool, data: TrainingData, *, progress: bool) -> dict[str, Any]:
    """One engine's outcome as plain data: trained, skipped (unchanged or no data), in progress elsewhere, failed."""
    started = time.perf_counter()
    try:
        version = recommender_train(engine=engine, force=force, data=data, progress=progress)
    except TrainingFailed as error:
        return {"outcome": "failed", "version": error.version.version, "error": error.reason}
    except NothingToTrainOn as error:
        return {"outcome": "nothing to train on", "reason": str(error)}
    seconds = round(time.perf_counter() - started, 3)
    if version is None:
        active = ModelVersion.objects.get(engine=engine, is_active=True)
        return {"outcome": "skipped", "version": active.version, "data_hash": active.short_hash, "seconds": seconds}
    if version.status == ModelVersion.Status.BUILDING:
        return {"outcome": "in progress", "version": version.version, "builder": version.builder, "seconds": seconds}
    return {
        "outcome": "trained",
        "version": version.version,
        "active": version.is_active,
        "data_hash": version.short_hash,
        "seconds": seconds,
        "metrics": version.metrics,
    }
