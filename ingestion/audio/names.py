"""What an audio file's name says: a catalog track id, a Spotify id, an ISRC, or "Artist - Title"."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ingestion.audio.tags import normalized_isrc

_TRACK_ID = re.compile(r"(?<![a-z0-9])track[-_ ]?(\d{1,12})(?![0-9])", re.IGNORECASE)
_SPOTIFY_ID = re.compile(r"(?:spotify[:_-]track[:_-]|(?<![A-Za-z0-9]))([0-9A-Za-z]{22})(?![A-Za-z0-9])")
_ISRC = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}-?[A-Za-z0-9]{3}-?\d{2}-?\d{5})(?![A-Za-z0-9])")
_LEADING_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.)_-]\s*")  # "01 - ", "3. " of a ripped album (not "3 Doors Down")


@dataclass(frozen=True, slots=True)
class NameHints:
    track_id: int | None = None
    spotify_id: str = ""
    isrc: str = ""
    artist: str = ""
    title: str = ""


def name_hints(file_name: str) -> NameHints:
    """Hints from a file name such as `track-123.mp3`, `4uLU6hMCjMI75M1A2tKUQC.ogg`, `USRC17607839.flac` or
    `NewJeans - Hype Boy.mp3`. A Spotify id must be a whole 22-character word (mixed letters and digits), so an
    ordinary long word is not taken for one; the lookup checks every hint against the catalog anyway."""
    stem = PurePosixPath(file_name.replace("\\", "/")).stem
    track = _TRACK_ID.search(stem)
    spotify = next((m.group(1) for m in _SPOTIFY_ID.finditer(stem) if _looks_like_id(m.group(1))), "")
    isrc = next((normalized_isrc(m.group(1)) for m in _ISRC.finditer(stem) if normalized_isrc(m.group(1))), "")
    artist, title = _artist_and_title(stem)
    return NameHints(
        track_id=int(track.group(1)) if track else None, spotify_id=spotify, isrc=isrc, artist=artist, title=title
    )


def _looks_like_id(word: str) -> bool:
    return any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)


def _artist_and_title(stem: str) -> tuple[str, str]:
    if " - " not in stem:
        return "", ""
    unnumbered = _LEADING_NUMBER.sub("", stem)
    artist, _, title = (unnumbered if " - " in unnumbered else stem).partition(" - ")
    artist, title = artist.strip(), title.strip()
    return (artist, title) if artist and title else ("", "")
