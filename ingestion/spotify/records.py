"""Spotify Web API objects turned into the catalog's records, and playlist references into ids.

Every field Spotify may leave out (popularity, followers, genres, images, release date, even a track's
album) becomes "unknown" in the record, which never erases what the catalog already knows. A value that
is present but wrong raises BadValue, so the crawler can report the item and go on.
"""
from __future__ import annotations

import re

from ingestion.importers.formats import values as v
from ingestion.importers.records import AlbumRecord, ArtistRecord, Origin, TrackFeatures, TrackRecord

BadValue = v.BadValue

_PLAYLIST_REFERENCE = re.compile(
    r"^(?:spotify:(?:user:[^:]+:)?playlist:|https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(?:embed/)?playlist/)?"
    r"(?P<id>[0-9A-Za-z]{22})(?:[?#].*)?$"
)


def playlist_id_from(reference: str) -> str:
    """The playlist id in a bare id, an open.spotify.com URL or a spotify:playlist: URI; ValueError otherwise."""
    match = _PLAYLIST_REFERENCE.match(reference.strip())
    if match is None:
        raise ValueError(
            f"{reference!r} is not a Spotify playlist: give its id (22 letters and digits), "
            "an https://open.spotify.com/playlist/... link or a spotify:playlist:... URI"
        )
    return match.group("id")


def _image(obj: dict) -> str:
    images = obj.get("images") or []
    first = images[0] if images and isinstance(images[0], dict) else {}
    return v.url(first.get("url"), "images.url")


def artist_record(obj: dict) -> ArtistRecord:
    """An artist object, full or simplified; a simplified one leaves genres, popularity and images unknown."""
    followers = obj.get("followers")
    return ArtistRecord(
        name=v.text(obj.get("name"), "artist.name", max_length=v.MAX_LENGTH["artist"]),
        spotify_id=v.spotify_id(obj.get("id"), "artist.id", "artist"),
        genres=v.genres(obj.get("genres"), "artist.genres"),
        popularity=v.popularity(obj.get("popularity"), "artist.popularity"),
        followers=v.followers(followers.get("total") if isinstance(followers, dict) else None, "artist.followers"),
        image_url=_image(obj),
    )


def album_record(obj: dict, artists: dict[str, ArtistRecord] | None = None) -> AlbumRecord:
    """An album object; its main artist is taken from `artists` (full records by id) when given there."""
    release_date, precision = v.release_date(obj.get("release_date"), "album.release_date")
    credited = obj.get("artists") or []
    main = _artist(credited[0], artists) if credited else None
    return AlbumRecord(
        name=v.text(obj.get("name"), "album.name", max_length=v.MAX_LENGTH["album"]),
        spotify_id=v.spotify_id(obj.get("id"), "album.id", "album"),
        artist=main,
        release_date=release_date,
        release_date_precision=precision,
        image_url=_image(obj),
    )


def _artist(obj: dict, artists: dict[str, ArtistRecord] | None) -> ArtistRecord:
    known = (artists or {}).get(obj.get("id"))
    return known if known is not None else artist_record(obj)


def features_record(obj: dict | None) -> TrackFeatures | None:
    """An audio-features object (None when Spotify has no analysis for the track)."""
    if not obj:
        return None
    return v.track_features(obj)


def track_record(
    obj: dict,
    *,
    album: AlbumRecord | None = None,
    artists: dict[str, ArtistRecord] | None = None,
    features: TrackFeatures | None = None,
) -> TrackRecord:
    """A track object, full (with its album) or simplified (album tracks: pass `album`)."""
    track_id = v.spotify_id(obj.get("id"), "track.id", "track")
    if album is None and isinstance(obj.get("album"), dict):
        album = album_record(obj["album"], artists)
    return TrackRecord(
        name=v.text(obj.get("name"), "track.name", max_length=v.MAX_LENGTH["track"]),
        origin=Origin(f"spotify:track:{track_id}", 0),
        spotify_id=track_id,
        artists=tuple(_artist(a, artists) for a in obj.get("artists") or []),
        album=album,
        duration_ms=v.duration_ms(obj.get("duration_ms"), "track.duration_ms"),
        explicit=v.explicit(obj.get("explicit"), "track.explicit"),
        popularity=v.popularity(obj.get("popularity"), "track.popularity"),
        features=features,
        features_source="spotify",
    )


def is_crawlable_track(obj: object) -> bool:
    """A playlist item's track we can store: a Spotify track with an id (not a local file or an episode)."""
    return (
        isinstance(obj, dict)
        and obj.get("type", "track") == "track"
        and not obj.get("is_local")
        and isinstance(obj.get("id"), str)
    )
