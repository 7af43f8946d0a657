"""What import_catalog and import_playlists share: arguments, the printed summary, the exit code."""
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ingestion.importers.formats import FORMATS
from ingestion.importers.records import Rejection
from ingestion.models import ImportRun
from ingestion.services.imports import import_paths


class ImportCommand(BaseCommand):
    kind = ""  # "catalog" or "playlists"

    def add_arguments(self, parser: CommandParser) -> None:
        formats = [name for name, info in FORMATS.items() if info.kind == self.kind]
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files or directories to import.")
        parser.add_argument("--format", choices=formats, help="Skip detection and read every path as this format.")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON on standard output.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        run = import_paths(
            kind=self.kind,
            paths=options["paths"],
            format_name=options["format"],
            progress=not options["no_progress"] and not options["json"],
            on_rejection=self._print_rejection,
        )
        if options["json"]:
            self.stdout.write(json.dumps(_summary_json(run), ensure_ascii=False))
        else:
            self._print_summary(run)
        if run.status == ImportRun.Status.FAILED:
            self.stderr.write(self.style.ERROR(f"Import failed: {run.error}"))
            sys.exit(1)
        if run.rejected:
            # Non-zero so scripts notice; the good rows are imported all the same.
            sys.exit(1)

    def _print_rejection(self, rejection: Rejection) -> None:
        self.stderr.write(str(rejection))

    def _print_summary(self, run: ImportRun) -> None:
        details = run.details
        noun = "playlists" if self.kind == "playlists" else "tracks"
        self.stdout.write(
            f"Imported {noun} from {len(run.paths)} path(s) ({run.format or 'nothing readable'}) "
            f"in {details.get('seconds', 0)} s"
        )
        for kind in ("playlists", "tracks", "artists", "albums"):
            counts = details.get(kind, {})
            if kind == "playlists" and self.kind != "playlists":
                continue
            self.stdout.write(
                f"  {kind + ':':<10} {counts.get('created', 0)} created, {counts.get('updated', 0)} updated, "
                f"{counts.get('unchanged', 0)} unchanged"
            )
        if self.kind == "playlists":
            self.stdout.write(f"  entries:   {details.get('playlist_entries_written', 0)} written")
        self.stdout.write(f"  genres:    {details.get('genres_created', 0)} new")
        style = self.style.ERROR if run.rejected else self.style.SUCCESS
        self.stdout.write(style(f"  rejected:  {run.rejected} row(s)" + (" (listed above)" if run.rejected else "")))


def _summary_json(run: ImportRun) -> dict[str, Any]:
    return {
        "run": run.pk,
        "kind": run.kind,
        "format": run.format,
        "status": run.status,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "details": run.details,
    }
