"""What an audio file's tags say about it (ID3, Vorbis comments, FLAC, MP4), read with mutagen."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AudioTags:
    isrc: str = ""
    artist: str = ""
    title: str = ""


def audio_tags(data: bytes) -> AudioTags:
    """The file's ISRC, artist and title where its tags carry them; empty strings where not (or no tags at all)."""
    import mutagen

    try:
        tagged = mutagen.File(io.BytesIO(data), easy=True)
    except Exception as error:  # mutagen raises many kinds on damaged tags; the sound itself may still be fine
        logger.info("audio tags unreadable: %s", type(error).__name__)
        return AudioTags()
    if tagged is None or not tagged.tags:
        return AudioTags()
    if hasattr(tagged.tags, "getall"):  # raw ID3 frames (WAV and AIFF files have no "easy" view)
        return AudioTags(
            isrc=normalized_isrc(_frame(tagged.tags, "TSRC")),
            artist=_frame(tagged.tags, "TPE1") or _frame(tagged.tags, "TPE2"),
            title=_frame(tagged.tags, "TIT2"),
        )
    return AudioTags(
        isrc=normalized_isrc(_first(tagged.tags, "isrc")),
        artist=_first(tagged.tags, "artist") or _first(tagged.tags, "albumartist"),
        title=_first(tagged.tags, "title"),
    )


def normalized_isrc(raw: str) -> str:
    """"US-RC1-76-07839" -> "USRC17607839"; "" when it is not shaped like an ISRC (2 letters, 3 alnum, 7 digits)."""
    value = "".join(ch for ch in raw.upper() if ch.isalnum())
    if len(value) == 12 and value[:2].isalpha() and value[:2].isascii() and value[5:].isdigit() \
            and value[2:5].isascii():
        return value
    return ""


def _first(tags, key: str) -> str:
    try:
        values = tags.get(key) or []
    except (KeyError, ValueError):
        return ""
    if isinstance(values, str):
        return values.strip()
    return str(values[0]).strip() if values else ""


def _frame(tags, frame_id: str) -> str:
    frames = tags.getall(frame_id)
    return str(frames[0].text[0]).strip() if frames and frames[0].text else ""
