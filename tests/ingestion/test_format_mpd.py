"""Million Playlist Dataset slices: one PlaylistRecord per playlist, rejected whole when an entry is bad."""
import json
from pathlib import Path

import pytest

from ingestion.importers.formats import ImportFileError, read_records
from ingestion.importers.records import AlbumRecord, ArtistRecord, Origin, PlaylistRecord, Rejection, TrackRecord

TOXIC, CRAZY = "6I9VzXrHxO9rA9A5euc8Ak", "0WqIKmW4BTrj3eJFmnCKMv"
BRITNEY, ALBUM = "26dSoYclwsYLMAKD3tpOr4", "0z7pVBGOD7HCIB7S8eLkLI"
FULL_ENTRY = {
    "pos": 0, "artist_name": "Britney Spears", "track_uri": f"spotify:track:{TOXIC}",
    "artist_uri": f"spotify:artist:{BRITNEY}", "track_name": "Toxic", "album_uri": f"spotify:album:{ALBUM}",
    "duration_ms": 198800, "album_name": "In The Zone",
}
REDUCED_ENTRY = {"artist_name": "Beyoncé", "track_uri": f"spotify:track:{CRAZY}", "track_name": "Crazy In Love"}


def playlist(pid: int, tracks: list[dict], **fields) -> dict:
    return {"name": f"list {pid}", "pid": pid, "num_tracks": len(tracks), "num_followers": 10, "tracks": tracks,
            **fields}


def write_slice(tmp_path: Path, playlists: list[dict], name: str = "mpd.slice.0-999.json") -> Path:
    path = tmp_path / name
    document = {"info": {"slice": "0-999", "version": "v1"}, "playlists": playlists}
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def playlist_lines(path: Path) -> list[int]:
    return [n for n, line in enumerate(path.read_text().splitlines(), 1) if line == "  {"]


def test_full_schema_playlist_becomes_exact_record(tmp_path):
    path = write_slice(tmp_path, [playlist(7, [FULL_ENTRY], description="gym  ")])
    origin = Origin(str(path), playlist_lines(path)[0])

    (record,) = read_records(path, "mpd")

    britney = ArtistRecord(name="Britney Spears", spotify_id=BRITNEY)
    assert record == PlaylistRecord(
        source="mpd", external_id="7", name="list 7", origin=origin, description="gym", followers=10,
        tracks=(
            TrackRecord(
                name="Toxic", origin=origin, spotify_id=TOXIC, artists=(britney,),
                album=AlbumRecord(name="In The Zone", spotify_id=ALBUM, artist=britney), duration_ms=198800,
            ),
        ),
    )


def test_reduced_entries_give_tracks_with_named_artists_only(tmp_path):
    path = write_slice(tmp_path, [playlist(1, [REDUCED_ENTRY])])

    (record,) = read_records(path, "mpd")

    (track,) = record.tracks
    assert (track.spotify_id, track.name, track.album, track.duration_ms, track.features) == (
        CRAZY, "Crazy In Love", None, None, None
    )
    assert track.artists == (ArtistRecord(name="Beyoncé"),)
    assert record.description == ""


def test_tracks_follow_pos_when_every_entry_has_one(tmp_path):
    second = {**FULL_ENTRY, "pos": 1}
    first = {**FULL_ENTRY, "pos": 0, "track_uri": f"spotify:track:{CRAZY}", "track_name": "Crazy In Love"}
    path = write_slice(tmp_path, [playlist(1, [second, first]), playlist(2, [REDUCED_ENTRY, FULL_ENTRY])])

    by_pos, by_list = read_records(path, "mpd")

    assert [track.name for track in by_pos.tracks] == ["Crazy In Love", "Toxic"]
    assert [track.name for track in by_list.tracks] == ["Crazy In Love", "Toxic"]


def test_playlist_with_a_bad_entry_is_rejected_whole_naming_its_position(tmp_path):
    bad = {**FULL_ENTRY, "pos": 1, "track_uri": "spotify:track:nope"}
    path = write_slice(tmp_path, [playlist(1, [FULL_ENTRY]), playlist(2, [FULL_ENTRY, bad]), playlist(3, [])])
    lines = playlist_lines(path)

    items = list(read_records(path, "mpd"))

    assert [type(item) for item in items] == [PlaylistRecord, Rejection, PlaylistRecord]
    assert items[1] == Rejection(
        Origin(str(path), lines[1]),
        "entry pos 1: track_uri 'spotify:track:nope' is not a Spotify track id (22 letters and digits)",
    )
    assert items[2].tracks == ()


def test_playlist_level_problems_are_rejected(tmp_path):
    entries = [FULL_ENTRY]
    path = write_slice(tmp_path, [
        {"name": "no pid", "tracks": entries},
        playlist(2, entries, num_followers=-1),
        playlist(3, entries, name=""),
        playlist(4, [FULL_ENTRY, FULL_ENTRY]),
        playlist(5, [{**REDUCED_ENTRY, "artist_name": None}]),
    ])

    reasons = [item.reason for item in read_records(path, "mpd")]

    assert reasons == [
        "pid is missing",
        "num_followers -1 is below 0",
        "name is empty",
        "entry pos 0 appears more than once",
        "entry pos 0: artist_name is missing",
    ]


def test_invalid_json_is_one_rejection_at_the_error_line_after_the_good_playlists(tmp_path):
    path = write_slice(tmp_path, [playlist(1, [REDUCED_ENTRY]), playlist(2, [REDUCED_ENTRY])])
    text = path.read_text()
    cut_at = text.index('"pid": 2')
    path.write_text(text[:cut_at] + '"pid" 2' + text[cut_at + len('"pid": 2') :], encoding="utf-8")

    good, rejection = read_records(path, "mpd")

    assert good.external_id == "1"
    assert rejection.origin == Origin(str(path), text[:cut_at].count("\n") + 1)
    assert rejection.reason.startswith("invalid JSON: Expecting ':' delimiter")


def test_json_without_playlists_cannot_be_read(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"info": {}, "items": []}', encoding="utf-8")

    with pytest.raises(ImportFileError, match='other.json: no "playlists" list'):
        list(read_records(path, "mpd"))


def test_playlists_key_may_come_first_or_last(tmp_path):
    path = tmp_path / "reordered.json"
    path.write_text(json.dumps({"playlists": [playlist(9, [REDUCED_ENTRY])], "info": {"slice": "x"}}), "utf-8")

    (record,) = read_records(path, "mpd")

    assert (record.external_id, record.origin.line) == ("9", 1)
