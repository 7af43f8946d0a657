import json
import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.models import CrawlRun
from ingestion.services.crawls import crawl_new_releases
from ingestion.services.crawls.runs import crawl_run_as_json, crawl_run_summary


class Command(BaseCommand):
    help = (
        "Crawl Spotify's new releases into the catalog: new albums (browse/new-releases, or search tag:new when "
        "refused), their tracks, artists and audio features (estimated where refused). Albums already complete "
        "are skipped. Safe to re-run; exits 1 if something was left for the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, help="Albums to read at most (default CRAWL_NEW_RELEASES_LIMIT).")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON on standard output.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        try:
            run = crawl_new_releases(
                limit=options["limit"], progress=not options["no_progress"] and not options["json"]
            )
        except ImproperlyConfigured as problem:
            raise CommandError(str(problem)) from None
        if options["json"]:
            self.stdout.write(json.dumps(crawl_run_as_json(run), ensure_ascii=False))
        else:
            self.stdout.write("\n".join(crawl_run_summary(run)))
        if run.status != CrawlRun.Status.SUCCEEDED:
            sys.exit(1)
