from ingestion.management.commands._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import playlists from Million Playlist Dataset slice files (a file or a directory of them), "
        "creating the tracks and artists they mention. Re-running changes nothing; rejected rows are listed "
        "as file:line: reason and make the exit code 1."
    )
    kind = "playlists"
