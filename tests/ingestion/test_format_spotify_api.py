"""The spotify-api-2021 crawl: four CSV files joined into whole track records."""
import datetime as dt
from pathlib import Path

import pytest

from ingestion.importers.formats import read_records
from ingestion.importers.records import AlbumRecord, ArtistRecord, Origin, Rejection, TrackFeatures, TrackRecord

ARIANA, MISSING_ARTIST = "66CXWjxzNUsdJxJ2JdwvnR", "1pPmIToKXyGdsCF6LmqLmI"
ALBUM, OTHER_ALBUM = "74vajFwEwXJ61OW1DKSPEa", "3euz4vS7ezKGnNSwgyvKcd"
SHUT_UP, SONG_2, SONG_3 = "12sliObzVzbLbAlDb8eChf", "1hG4V53eR16jg7jVTNLOiX", "20aaaaaaaaaaaaaaaaaaaa"
IMAGE = "https://i.scdn.co/image/f8c793519d837ca2f920c561535fe62ef32e8e5b"

FILES = {
    "artist.csv": [
        "artist_id,artist_name,artist_genre,artist_popularity,artist_followers,artist_image,artist_homepage",
        f"{ARIANA},Ariana Grande,\"['dance pop', 'pop']\",97,59355769,{IMAGE},https://open.spotify.com/artist/x",
    ],
    "album.csv": [
        "album_id,album_name,album_release_date,album_total_tracks,album_artist_id,album_image,album_homepage",
        f"{ALBUM},Positions (Deluxe),2021-02-19,19,{ARIANA},{IMAGE},https://open.spotify.com/album/x",
    ],
    "track.csv": [
        "track_id,track_name,track_artist_id,track_album_id,track_number,track_popularity,track_explicit,"
        "track_homepage",
        f"{SHUT_UP},shut up,{ARIANA},{ALBUM},1,63,True,https://open.spotify.com/track/x",
    ],
    "audio.csv": [
        "track_id,track_duration,danceability,energy,loudness,speechiness,acousticness,instrumentalness,liveness,"
        "valence,tempo,key,mode,time_signature",
        f"{SHUT_UP},157710,0.499,0.462,-5.308,0.0312,0.801,0.0,0.0946,0.599,127.698,0,1,4",
    ],
}


def write_crawl(tmp_path: Path, **extra_lines: list[str]) -> Path:
    """The four files (with the byte-order mark the crawl writes), each with extra lines appended."""
    directory = tmp_path / "spotify-api-2021"
    directory.mkdir()
    for name, lines in FILES.items():
        all_lines = lines + extra_lines.get(name.removesuffix(".csv"), [])
        (directory / name).write_bytes(b"\xef\xbb\xbf" + "\n".join(all_lines).encode() + b"\n")
    return directory


def test_track_is_joined_to_its_artist_album_and_audio(tmp_path):
    directory = write_crawl(tmp_path)

    (record,) = read_records(directory, "spotify-api-csv")

    artist = ArtistRecord(
        name="Ariana Grande", spotify_id=ARIANA, genres=("dance pop", "pop"), popularity=97, followers=59355769,
        image_url=IMAGE,
    )
    assert record == TrackRecord(
        name="shut up",
        origin=Origin(str(directory / "track.csv"), 2),
        spotify_id=SHUT_UP,
        artists=(artist,),
        album=AlbumRecord(
            name="Positions (Deluxe)", spotify_id=ALBUM, artist=artist, release_date=dt.date(2021, 2, 19),
            release_date_precision="day", image_url=IMAGE,
        ),
        duration_ms=157710,
        explicit=True,
        popularity=63,
        features=TrackFeatures(
            danceability=0.499, energy=0.462, valence=0.599, key=0, loudness=-5.308, mode=1, speechiness=0.0312,
            acousticness=0.801, instrumentalness=0.0, liveness=0.0946, tempo=127.698, time_signature=4,
        ),
    )


@pytest.mark.parametrize("member", ["artist.csv", "album.csv", "track.csv", "audio.csv"])
def test_any_of_the_four_files_stands_for_the_crawl(tmp_path, member):
    directory = write_crawl(tmp_path)

    (record,) = read_records(directory / member, "spotify-api-csv")

    assert record.origin == Origin(str(directory / "track.csv"), 2)


def test_track_without_audio_row_has_no_features(tmp_path):
    directory = write_crawl(tmp_path, track=[f"{SONG_2},34+35,{ARIANA},{ALBUM},2,63,False,x"])

    _, record = read_records(directory, "spotify-api-csv")

    assert (record.features, record.duration_ms, record.explicit) == (None, None, False)


def test_tempo_zero_and_time_signature_one_become_unknown(tmp_path):
    directory = write_crawl(
        tmp_path,
        track=[f"{SONG_2},34+35,{ARIANA},{ALBUM},2,63,False,x"],
        audio=[f"{SONG_2},173711,0.83,0.585,-6.476,0.094,0.237,0.0,0.248,0.485,0,0,1,1"],
    )

    _, record = read_records(directory, "spotify-api-csv")

    assert (record.features.tempo, record.features.time_signature, record.features.danceability) == (None, None, 0.83)


def test_track_whose_artist_has_no_row_is_rejected_naming_it(tmp_path):
    directory = write_crawl(tmp_path, track=[f"{SONG_2},Nobody Safe,{MISSING_ARTIST},{ALBUM},1,51,True,x"])

    _, rejection = read_records(directory, "spotify-api-csv")

    assert rejection == Rejection(
        Origin(str(directory / "track.csv"), 3), f"track_artist_id {MISSING_ARTIST} has no row in artist.csv"
    )


def test_bad_album_row_is_reported_at_its_own_line_and_rejects_its_tracks(tmp_path):
    directory = write_crawl(
        tmp_path,
        album=[f"{OTHER_ALBUM},Positions,2020-13-30,14,{ARIANA},{IMAGE},x"],
        track=[f"{SONG_2},positions,{ARIANA},{OTHER_ALBUM},1,80,False,x"],
    )

    album_rejection, good, track_rejection = read_records(directory, "spotify-api-csv")

    album_file, track_file = str(directory / "album.csv"), str(directory / "track.csv")
    assert album_rejection == Rejection(
        Origin(album_file, 3), "album_release_date '2020-13-30' is not a date like YYYY-MM-DD, YYYY-MM or YYYY"
    )
    assert good.spotify_id == SHUT_UP
    assert track_rejection == Rejection(
        Origin(track_file, 3), f"track_album_id {OTHER_ALBUM} refers to a rejected row ({album_file}:3)"
    )


def test_bad_audio_row_is_reported_and_rejects_its_track(tmp_path):
    directory = write_crawl(
        tmp_path,
        track=[f"{SONG_2},34+35,{ARIANA},{ALBUM},2,63,False,x"],
        audio=[f"{SONG_2},173711,0.83,0.585,-6.476,0.094,0.237,0.0,0.248,0.485,109.9,0,2,4"],
    )

    audio_rejection, _, track_rejection = read_records(directory, "spotify-api-csv")

    assert audio_rejection == Rejection(Origin(str(directory / "audio.csv"), 3), "mode 2 is outside 0..1")
    assert track_rejection.reason == f"its audio row was rejected ({directory / 'audio.csv'}:3)"


def test_album_whose_artist_has_no_row_keeps_an_unknown_artist(tmp_path):
    directory = write_crawl(
        tmp_path,
        album=[f"{OTHER_ALBUM},Nobody Safe,2020-11,15,{MISSING_ARTIST},{IMAGE},x"],
        track=[f"{SONG_3},Feature,{ARIANA},{OTHER_ALBUM},3,40,false,x"],
    )

    _, record = read_records(directory, "spotify-api-csv")

    assert record.album.artist is None
    assert (record.album.release_date, record.album.release_date_precision) == (dt.date(2020, 11, 1), "month")
    assert record.artists[0].spotify_id == ARIANA


def test_truncated_track_row_is_rejected_at_its_line(tmp_path):
    directory = write_crawl(tmp_path, track=[f"{SONG_2},34+35,{ARIANA}"])

    _, rejection = read_records(directory, "spotify-api-csv")

    assert rejection == Rejection(Origin(str(directory / "track.csv"), 3), "truncated row: expected 8 fields, found 3")


def test_explicit_accepts_the_usual_spellings(tmp_path):
    spellings = ["true", "0", "1", "False", "maybe"]
    tracks = [f"{SONG_2},34+35,{ARIANA},{ALBUM},2,63,{word},x" for word in spellings]
    directory = write_crawl(tmp_path, track=tracks)

    _, *items = read_records(directory, "spotify-api-csv")

    assert [item.explicit for item in items[:4]] == [True, False, True, False]
    assert items[4].reason == "track_explicit 'maybe' is not true/false"
