"""manage.py seed_demo: build the deterministic synthetic demo catalog (see ingestion.demo)."""
import argparse
import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.demo.generate import MAX_SCALE
from ingestion.services.demo import DemoCatalogConflict, demo_catalog_seed


def _scale(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number such as 1 or 0.1, not {raw!r}") from None
    if not 0 < value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_SCALE:g} (1 is the full demo), not {raw}")
    return value


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date as YYYY-MM-DD, not {raw!r}") from None


class Command(BaseCommand):
    help = (
        "Build the synthetic demo catalog: ~3,000 tracks, 300 artists, 25 genres and ~1,000 situation playlists, "
        "all marked as demo data. Running it again changes nothing; --reset deletes the demo rows and rebuilds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=_scale, default=1.0, help="Size relative to the full demo (default 1).")
        parser.add_argument("--reset", action="store_true", help="Delete all demo rows first, then rebuild.")
        parser.add_argument(
            "--today", type=_date, default=None,
            help="Count release dates back from this day instead of today (YYYY-MM-DD).",
        )
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")

    def handle(self, *args, scale: float, reset: bool, today: dt.date | None, json: bool, **options) -> None:
        try:
            summary = demo_catalog_seed(
                scale=scale, reset=reset, today=today, progress=options["verbosity"] >= 1 and not json
            )
        except DemoCatalogConflict as error:
            raise CommandError(str(error)) from error
        if json:
            self.stdout.write(_json_dumps(summary.as_dict()))
        else:
            if summary.deleted:
                self.stdout.write(f"Deleted demo rows first: {sum(summary.deleted.values())}.")
            self.stdout.write(self.style.SUCCESS(str(summary)))


def _json_dumps(data: dict) -> str:
    # `json` is shadowed by the option's name inside handle().
    return json.dumps(data, ensure_ascii=False)
