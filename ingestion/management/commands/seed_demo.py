"""manage.py seed_demo: build the deterministic synthetic demo catalog (see ingestion.demo)."""
import argparse
import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.demo.generate import MAX_SCALE
from ingestion.services.demo import DemoCatalogConflict, demo_catalog_seed
from ingestion.services.demo_previews import demo_previews_ensure


def _scale(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number such as 1 or 0.1, not {raw!r}") from None
    if not 0 < value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_SCALE:g} (1 is the full demo), not {raw}")
    return value


def _workers(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of processes, 1 or more, not {raw!r}")
    return int(raw)


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date as YYYY-MM-DD, not {raw!r}") from None


class Command(BaseCommand):
    help = (
        "Build the synthetic demo catalog: ~3,000 tracks, 300 artists, 25 genres and ~1,000 situation playlists, "
        "all marked as demo data, and a short synthesized audio preview per track in media storage. Running it "
        "again changes nothing; --reset deletes the demo rows and rebuilds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=_scale, default=1.0, help="Size relative to the full demo (default 1).")
        parser.add_argument("--reset", action="store_true", help="Delete all demo rows first, then rebuild.")
        parser.add_argument(
            "--today", type=_date, default=None,
            help="Count release dates back from this day instead of today (YYYY-MM-DD).",
        )
        previews = parser.add_mutually_exclusive_group()
        previews.add_argument(
            "--no-previews", action="store_true", help="Only the catalog: make no audio previews (run_demo makes "
            "them afterwards in the background)."
        )
        previews.add_argument(
            "--previews-only", action="store_true", help="Only make the demo tracks' missing audio previews."
        )
        parser.add_argument(
            "--workers", type=_workers, default=None, help="Processes that render previews (default: one per core)."
        )
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")

    def handle(
        self, *args, scale: float, reset: bool, today: dt.date | None, json: bool, no_previews: bool,
        previews_only: bool, workers: int | None, **options,
    ) -> None:
        progress = options["verbosity"] >= 1 and not json
        result: dict = {}
        if not previews_only:
            try:
                summary = demo_catalog_seed(scale=scale, reset=reset, today=today, progress=progress)
            except DemoCatalogConflict as error:
                raise CommandError(str(error)) from error
            result = summary.as_dict()
            if not json:
                if summary.deleted:
                    self.stdout.write(f"Deleted demo rows first: {sum(summary.deleted.values())}.")
                self.stdout.write(self.style.SUCCESS(str(summary)))
        if not no_previews:
            previews = demo_previews_ensure(progress=progress, workers=workers)
            result["previews"] = previews.as_dict()
            if not json:
                self.stdout.write(self.style.SUCCESS(str(previews)))
        if json:
            self.stdout.write(_json_dumps(result))


def _json_dumps(data: dict) -> str:
    # `json` is shadowed by the option's name inside handle().
    return json.dumps(data, ensure_ascii=False)
