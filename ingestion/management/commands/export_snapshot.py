import json
from dataclasses import asdict

from django.core.management.base import BaseCommand

from ingestion.services.snapshots import catalog_snapshot_write


class Command(BaseCommand):
    help = (
        "Export the whole catalog as one JSON file in the original project's format (readable by import_catalog) "
        "to default storage (S3 when AWS_STORAGE_BUCKET_NAME is set) under snapshots/catalog-YYYYMMDD-HHMMSS.json."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")

    def handle(self, *args, **options) -> None:
        snapshot = catalog_snapshot_write(reason="manage.py export_snapshot")
        if options["json"]:
            self.stdout.write(json.dumps(asdict(snapshot)))
            return
        self.stdout.write(
            f"Wrote {snapshot.name}: {snapshot.tracks:,} tracks, {snapshot.size / 1e6:.1f} MB"
            + (f" ({snapshot.skipped:,} left out: no Spotify id or no artist)" if snapshot.skipped else "")
        )
