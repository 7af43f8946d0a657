from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.management.commands._crawl_command import add_output_arguments, run_and_report
from ingestion.services.crawls import crawl_new_releases


class Command(BaseCommand):
    help = (
        "Crawl Spotify's new releases into the catalog: new albums (browse/new-releases, or search tag:new when "
        "refused), their tracks, artists and audio features (estimated where refused). Albums already complete "
        "are skipped. Safe to re-run; exits 1 if something was left for the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, help="Albums to read at most (default CRAWL_NEW_RELEASES_LIMIT).")
        add_output_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        run_and_report(self, options, lambda progress: crawl_new_releases(limit=options["limit"], progress=progress))
