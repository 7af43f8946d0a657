"""`mpd`: Million Playlist Dataset slices, {"info": {...}, "playlists": [{...}, ...]}.

One PlaylistRecord per playlist (source "mpd", external_id = str(pid)); its origin, and that of its
tracks, is the line where the playlist object starts. Tracks come in `pos` order when every entry has a
`pos`, else in list order. Entries may hold only artist_name, track_uri and track_name (reduced copies)
or the full schema (artist_uri, album_uri, album_name, duration_ms). Tracks carry no audio features.

A playlist with a bad entry is rejected whole, naming the entry's position. Invalid JSON yields one
Rejection at the syntax error's line and stops reading that file (playlists before it are yielded).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ingestion.importers.formats import jsonstream
from ingestion.importers.formats import values as v
from ingestion.importers.formats.textfiles import ImportFileError, read_text
from ingestion.importers.records import AlbumRecord, ArtistRecord, Origin, PlaylistRecord, Rejection, TrackRecord

SOURCE = "mpd"


def looks_like(head: str) -> bool:
    return jsonstream.first_char(head) == "{" and '"playlists"' in head


def read(path: Path) -> Iterator[PlaylistRecord | Rejection]:
    text = read_text(path)
    try:
        start = jsonstream.member_offset(text, "playlists")
        if start is None:
            raise ImportFileError(f'{path}: no "playlists" list at the top level; is this an MPD slice file?')
        lines = jsonstream.LineCounter(text)
        for offset, element in jsonstream.array_elements(text, start):
            yield _playlist(element, Origin(str(path), lines.line_at(offset)))
    except json.JSONDecodeError as error:
        yield jsonstream.invalid_json(path, error)


def _playlist(element: object, origin: Origin) -> PlaylistRecord | Rejection:
    if not isinstance(element, dict):
        return Rejection(origin, f"expected a playlist object, found {type(element).__name__}")
    try:
        if v.is_blank(element.get("pid")):
            raise v.BadValue("pid is missing")
        return PlaylistRecord(
            source=SOURCE,
            external_id=str(v.whole_number(element["pid"], "pid")),
            name=v.text(element.get("name"), "name", max_length=v.MAX_LENGTH["playlist"]),
            origin=origin,
            description=v.optional_text(element.get("description"), "description"),
            followers=v.followers(element.get("num_followers"), "num_followers"),
            tracks=_tracks(element.get("tracks"), origin),
        )
    except v.BadValue as problem:
        return Rejection(origin, str(problem))


def _tracks(entries: object, origin: Origin) -> tuple[TrackRecord, ...]:
    if not isinstance(entries, list):
        raise v.BadValue("tracks is missing" if entries is None else "tracks is not a list")
    positions = _positions(entries)
    tracks = []
    for position, entry in sorted(zip(positions, entries, strict=True), key=lambda pair: pair[0]):
        try:
            tracks.append(_track(entry, origin))
        except v.BadValue as problem:
            raise v.BadValue(f"entry pos {position}: {problem}") from None
    return tuple(tracks)


def _positions(entries: list) -> list[int]:
    """Each entry's `pos` if all have one (unique, whole), else its index in the list."""
    if not entries or not all(isinstance(entry, dict) and "pos" in entry for entry in entries):
        return list(range(len(entries)))
    positions = []
    for index, entry in enumerate(entries):
        try:
            positions.append(v.whole_number(entry["pos"], "pos"))
        except v.BadValue as problem:
            raise v.BadValue(f"entry {index} of the list: {problem}") from None
    if len(set(positions)) != len(positions):
        duplicate = next(pos for pos in positions if positions.count(pos) > 1)
        raise v.BadValue(f"entry pos {duplicate} appears more than once")
    return positions


def _track(entry: object, origin: Origin) -> TrackRecord:
    if not isinstance(entry, dict):
        raise v.BadValue(f"expected a track object, found {type(entry).__name__}")
    artist = ArtistRecord(
        name=v.text(entry.get("artist_name"), "artist_name", max_length=v.MAX_LENGTH["artist"]),
        spotify_id=v.optional_spotify_id(entry.get("artist_uri"), "artist_uri", "artist"),
    )
    return TrackRecord(
        name=v.text(entry.get("track_name"), "track_name", max_length=v.MAX_LENGTH["track"]),
        origin=origin,
        spotify_id=v.spotify_id(entry.get("track_uri"), "track_uri", "track"),
        artists=(artist,),
        album=_album(entry, artist),
        duration_ms=v.duration_ms(entry.get("duration_ms"), "duration_ms"),
        features=None,
    )


def _album(entry: dict, artist: ArtistRecord) -> AlbumRecord | None:
    if v.is_blank(entry.get("album_uri")) and v.is_blank(entry.get("album_name")):
        return None
    return AlbumRecord(
        name=v.text(entry.get("album_name"), "album_name", max_length=v.MAX_LENGTH["album"]),
        spotify_id=v.optional_spotify_id(entry.get("album_uri"), "album_uri", "album"),
        artist=artist,
    )
