"""One track of the seed dataset ("오늘의 노래"), the same columns in its JSON and its CSV export.

Each row names one artist (no artist id) with that artist's genres, popularity and followers, and an
album without an id (keyed by name + that artist). There is no `mode` column, so mode stays unknown.
"""
from __future__ import annotations

from collections.abc import Mapping

from ingestion.importers.formats import values as v
from ingestion.importers.records import AlbumRecord, ArtistRecord, Origin, TrackRecord

Row = Mapping[str, object]


def seed_track(row: Row, origin: Origin) -> TrackRecord:
    """The row as a whole record; raises BadValue naming the first bad column."""
    artist = ArtistRecord(
        name=v.text(row.get("artist_name"), "artist_name", max_length=v.MAX_LENGTH["artist"]),
        genres=v.genres(row.get("artist_genre"), "artist_genre"),
        popularity=v.popularity(row.get("artist_popularity"), "artist_popularity"),
        followers=v.followers(row.get("artist_followers"), "artist_followers"),
    )
    duration = v.duration_ms(row.get("duration_ms"), "duration_ms")
    return TrackRecord(
        name=v.text(row.get("track_name"), "track_name", max_length=v.MAX_LENGTH["track"]),
        origin=origin,
        spotify_id=_track_id(row),
        artists=(artist,),
        album=_album(row, artist),
        duration_ms=duration,
        popularity=v.popularity(row.get("track_popularity"), "track_popularity"),
        features=v.track_features(row, duration=duration),
    )


def _track_id(row: Row) -> str:
    """From `id`, or from `uri` (spotify:track:…) when `id` is absent; the two must agree."""
    track_id = v.optional_spotify_id(row.get("id"), "id", "track")
    uri_id = v.optional_spotify_id(row.get("uri"), "uri", "track")
    if track_id and uri_id and track_id != uri_id:
        raise v.BadValue(f"id {track_id} does not match uri {row.get('uri')}")
    if not (track_id or uri_id):
        raise v.BadValue("id is missing")
    return track_id or uri_id


def _album(row: Row, artist: ArtistRecord) -> AlbumRecord | None:
    if v.is_blank(row.get("album_name")):
        return None
    date, precision = v.release_date(row.get("release_date"), "release_date")
    return AlbumRecord(
        name=v.text(row.get("album_name"), "album_name", max_length=v.MAX_LENGTH["album"]),
        artist=artist,
        release_date=date,
        release_date_precision=precision,
        image_url=v.url(row.get("album_image"), "album_image"),
    )
