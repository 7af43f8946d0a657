"""manage.py evaluate --playlists PATH: offline evaluation on MPD-format files (recommendations.evaluation).

Reads the files, holds out a deterministic sample of playlists, trains on the rest itself and scores each method
on the held-out ones. It reads nothing from the database; with --record it stores the report there.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ingestion.importers.formats import ImportFileError, detect_format, expand_paths, read_records
from ingestion.importers.records import PlaylistRecord, Rejection
from recommendations.engines.song2vec.vectors import Word2VecParams
from recommendations.evaluation import (
    DEFAULT_SEED,
    DEFAULT_TEST_SIZE,
    METHODS,
    EvaluationProgress,
    eval_playlists_from_records,
    evaluate,
    format_table,
)

DEFAULT_METHODS = ("popularity", "neighbours", "word2vec", "song2vec")


class Command(BaseCommand):
    help = (
        "Evaluate the recommenders on MPD-format playlist files as the RecSys Challenge 2018 did: hold out a "
        "deterministic sample of playlists, train on the rest, and report R-precision, NDCG and recommended-songs "
        "clicks per category (title only, title + first tracks, first 10 tracks without title). Needs nothing in "
        "the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--playlists", nargs="+", metavar="PATH",
            help="MPD slice files, or directories of them (*.json).",
        )  # fmt: skip
        parser.add_argument(
            "--lastfm", metavar="PATH",
            help="Instead: score user-based CF against popularity on Last.fm listening data in the HetRec 2011 "
            "format (user_artists.dat, or its folder): a fifth of each user's artists held out; recall@10, NDCG@10.",
        )  # fmt: skip
        parser.add_argument(
            "--engines", nargs="+", choices=METHODS, default=list(DEFAULT_METHODS), metavar="METHOD",
            help=f"Methods to score, in table order: {', '.join(METHODS)}. "
            f"Default: {' '.join(DEFAULT_METHODS)} (word2vec-nlp trains a second model).",
        )  # fmt: skip
        parser.add_argument(
            "--test-size", type=int,
            help=f"How many playlists to hold out, dealt evenly to the categories (default {DEFAULT_TEST_SIZE}, "
            "or a third of the playlists when the files hold fewer than three times that).",
        )  # fmt: skip
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Which deterministic sample to hold out.")
        parser.add_argument("--epochs", type=int, help="Word2Vec epochs for song2vec (default: the engine's).")
        parser.add_argument("--workers", type=int, help="Word2Vec threads (1 makes the numbers exactly repeatable).")
        parser.add_argument(
            "--blend-budget", choices=("engine", "product"), default="engine",
            help="The hybrid's training budget: the engine's defaults, or the smaller one train_recommenders uses "
            "(fewer ranker playlists, rounds and candidates; see RECOMMENDER_BLEND_*).",
        )  # fmt: skip
        parser.add_argument("--json", action="store_true", help="Print the report as JSON on standard output.")
        parser.add_argument(
            "--record", action="store_true",
            help="Also store the report in the database (admin: Recommendations → Offline evaluations).",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["json"] or options["verbosity"] < 1
        if options["lastfm"]:
            self._lastfm(options)
            return
        if not options["playlists"]:
            raise CommandError("give --playlists PATH (MPD files) or --lastfm PATH (HetRec 2011 Last.fm data)")
        started = time.perf_counter()
        playlists = self._read(options["playlists"], quiet)
        if not quiet:
            self.stdout.write(f"Read {len(playlists)} playlists in {time.perf_counter() - started:.1f} s.")
        bars = _Bars(enabled=not quiet)
        try:
            report = evaluate(
                playlists,
                list(dict.fromkeys(options["engines"])),
                test_size=options["test_size"],
                seed=options["seed"],
                params=_params(options),
                progress=bars.callbacks(),
                blend_params=_blend_params(options),
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        finally:
            bars.close()
        if options["record"]:
            from recommendations.services.evaluations import offline_evaluation_record  # the only database use

            recorded = offline_evaluation_record(report=report, paths=options["playlists"])
            if not quiet:
                self.stdout.write(f"Recorded as offline evaluation {recorded.pk}.")
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        self.stdout.write("")
        self.stdout.write(format_table(report))
        for method, note in report.notes.items():
            self.stdout.write(f"\n{method}: {note}.")
        trained = ", ".join(f"{name} {seconds} s" for name, seconds in report.train_seconds.items())
        self.stdout.write(f"\nTraining: {trained or 'none'}; total {time.perf_counter() - started:.0f} s.")

    def _lastfm(self, options: dict[str, Any]) -> None:
        from recommendations.lastfm import evaluate_lastfm, format_lastfm, read_user_artists

        seed = options["seed"]
        try:
            report = evaluate_lastfm(read_user_artists(Path(options["lastfm"])), seed=seed)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(report) if options["json"] else format_lastfm(report))

    def _read(self, paths: list[str], quiet: bool) -> list:
        try:
            units = expand_paths(paths)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        rejected = 0

        def records() -> Iterator[PlaylistRecord]:
            nonlocal rejected
            for unit in tqdm(units, desc="reading", unit="file", disable=quiet):
                for record in _mpd_records(unit):
                    if isinstance(record, Rejection):
                        rejected += 1
                        self.stderr.write(str(record))
                    else:
                        yield record

        playlists = eval_playlists_from_records(records())
        if rejected and not quiet:
            self.stderr.write(f"{rejected} playlists were unreadable and left out.")
        return playlists


def _mpd_records(unit: Path) -> Iterator[PlaylistRecord | Rejection]:
    try:
        format_name = detect_format(unit)
    except ImportFileError:
        format_name = "an unknown format"
    if format_name != "mpd":
        raise CommandError(f"{unit}: is {format_name}, not an MPD slice; evaluate reads MPD files only.")
    try:
        yield from read_records(unit, format_name)
    except ImportFileError as error:
        raise CommandError(str(error)) from None


def _params(options: dict[str, Any]) -> Word2VecParams | None:
    changes = {name: options[name] for name in ("epochs", "workers") if options.get(name) is not None}
    return replace(Word2VecParams(), **changes) if changes else None


class _Bars:
    """tqdm bars for the training epochs and the scoring of each method."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: tqdm | None = None

    def callbacks(self) -> EvaluationProgress:
        return EvaluationProgress(
            training_started=lambda name, epochs: self._open(f"training {name}", epochs, "epoch"),
            epoch_done=lambda epoch: self._step(),
            scoring_started=lambda method, cases: self._open(f"scoring {method}", cases, "playlist"),
            case_done=self._step,
        )

    def _open(self, description: str, total: int, unit: str) -> None:
        self.close()
        self.bar = tqdm(total=total, desc=description, unit=unit, disable=not self.enabled)

    def _step(self) -> None:
        if self.bar is not None:
            self.bar.update()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _blend_params(options: dict[str, Any]) -> dict[str, Any] | None:
    """The product's blend fit parameters (`artifacts.BLEND`) with --blend-budget product; else the engine's."""
    if options["blend_budget"] != "product":
        return None
    from recommendations.artifacts import BLEND

    return BLEND.params()
