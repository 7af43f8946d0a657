from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.management.commands._crawl_command import add_output_arguments, run_and_report
from ingestion.services.crawls import crawl_playlists, playlist_references_parse


class Command(BaseCommand):
    help = (
        "Crawl Spotify playlists into the catalog: every page of each playlist, its tracks, albums, artists and "
        "audio features (or estimates where Spotify refuses them). Takes playlist ids, open.spotify.com links or "
        "spotify:playlist: URIs. Safe to re-run; exits 1 if something was left for the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("playlists", nargs="+", metavar="ID_OR_URL", help="Playlist ids, links or URIs.")
        add_output_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        playlist_ids, problems = playlist_references_parse(options["playlists"])
        for problem in problems:
            self.stderr.write(problem)
        if not playlist_ids:
            raise CommandError("No playlist to crawl: every argument was refused (see above).")
        run_and_report(
            self,
            options,
            lambda progress: crawl_playlists(playlist_ids=playlist_ids, progress=progress),
            failed=bool(problems),
        )
