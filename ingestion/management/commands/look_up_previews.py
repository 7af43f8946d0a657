import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.services.previews import PreviewLookupOff, previews_look_up


class Command(BaseCommand):
    help = (
        "Look up 30-second previews on the public sources in PREVIEW_SOURCES (deezer, itunes) for tracks without "
        "real features and without audio, newest releases first, and store their links (and, with "
        "PREVIEW_KEEP_FILES or --keep, the files). Safe to re-run: tracks that got a link are skipped. Exits 1 "
        "when the sources rate-limited the run before it was done."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--track", type=int, action="append", dest="track_ids", metavar="ID",
                            help="Only this catalog track (repeatable), whatever its features.")
        parser.add_argument("--limit", type=int, help="Tracks to look up at most.")
        keep = parser.add_mutually_exclusive_group()
        keep.add_argument("--keep", action="store_true", default=None, help="Keep the files (PREVIEW_KEEP_FILES).")
        keep.add_argument("--no-keep", action="store_false", dest="keep", help="Store only the links.")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        try:
            summary = previews_look_up(
                track_ids=options["track_ids"], limit=options["limit"], keep=options["keep"],
                progress=not options["json"] and options["verbosity"] > 0,
            )
        except PreviewLookupOff as off:
            raise CommandError(str(off)) from None
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict()))
        else:
            self.stdout.write(str(summary))
        if summary.left:
            raise SystemExit(1)
