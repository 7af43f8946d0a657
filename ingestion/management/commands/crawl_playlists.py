import json
import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.models import CrawlRun
from ingestion.services.crawls import crawl_playlists, playlist_references_parse
from ingestion.services.crawls.runs import crawl_run_as_json, crawl_run_summary


class Command(BaseCommand):
    help = (
        "Crawl Spotify playlists into the catalog: every page of each playlist, its tracks, albums, artists and "
        "audio features (or estimates where Spotify refuses them). Takes playlist ids, open.spotify.com links or "
        "spotify:playlist: URIs. Safe to re-run; exits 1 if something was left for the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("playlists", nargs="+", metavar="ID_OR_URL", help="Playlist ids, links or URIs.")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON on standard output.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        playlist_ids, problems = playlist_references_parse(options["playlists"])
        for problem in problems:
            self.stderr.write(problem)
        if not playlist_ids:
            raise CommandError("No playlist to crawl: every argument was refused (see above).")
        try:
            run = crawl_playlists(
                playlist_ids=playlist_ids, progress=not options["no_progress"] and not options["json"]
            )
        except ImproperlyConfigured as problem:
            raise CommandError(str(problem)) from None
        if options["json"]:
            self.stdout.write(json.dumps(crawl_run_as_json(run), ensure_ascii=False))
        else:
            self.stdout.write("\n".join(crawl_run_summary(run)))
        if problems or run.status != CrawlRun.Status.SUCCEEDED:
            sys.exit(1)
