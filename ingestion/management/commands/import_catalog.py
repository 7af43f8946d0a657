from ingestion.management.commands._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import tracks, albums, artists and audio features from files: the seed dataset (JSON or CSV), "
        "a relational Spotify dump directory (artist/album/track/audio CSVs) or a Kaggle SpotifyFeatures CSV. "
        "Re-running changes nothing; rejected rows are listed as file:line: reason and make the exit code 1."
    )
    kind = "catalog"
