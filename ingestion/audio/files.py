"""Is this audio? A file is accepted when libsndfile can open its header and decode its first second.

soundfile decodes WAV, AIFF, FLAC, Ogg Vorbis / Opus and MP3: the formats of uploads and of Deezer's previews, and
what the audio analysis reads. AAC (.m4a, iTunes' previews) is not among them and is refused with that reason.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from ingestion.audio.reasons import reason_text

# soundfile's format name -> (file extension, MIME type)
FORMATS: dict[str, tuple[str, str]] = {
    "WAV": ("wav", "audio/wav"),
    "WAVEX": ("wav", "audio/wav"),
    "AIFF": ("aiff", "audio/aiff"),
    "FLAC": ("flac", "audio/flac"),
    "OGG": ("ogg", "audio/ogg"),
    "MP3": ("mp3", "audio/mpeg"),
}
AUDIO_EXTENSIONS = frozenset({"wav", "wave", "aif", "aiff", "flac", "ogg", "oga", "opus", "mp3", "m4a", "aac", "mp4"})
_AAC_EXTENSIONS = frozenset({"m4a", "aac", "mp4"})
MIN_SECONDS = 0.5  # shorter is no song, nor anything the analysis could measure


class AudioRejected(ValueError):
    """Not usable audio: `code` names the reason (`ingestion.audio.reasons`), `params` its values."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(reason_text(code, params))


@dataclass(frozen=True, slots=True)
class AudioInfo:
    format: str  # soundfile's name: "WAV", "OGG", "MP3", ...
    extension: str
    mime: str
    seconds: float
    rate: int
    channels: int

    @property
    def duration_ms(self) -> int:
        return max(1, round(self.seconds * 1000))


def audio_check(data: bytes, *, max_bytes: int, name: str = "") -> AudioInfo:
    """What the audio is, or AudioRejected: empty, bigger than `max_bytes`, not decodable, or shorter than half a
    second. Decodes only the first second, so a big file costs little more than its header."""
    import soundfile  # libsndfile is loaded on first use, not when Django starts

    if not data:
        raise AudioRejected("empty")
    if len(data) > max_bytes:
        raise AudioRejected("too_big", size=len(data), limit=max_bytes)
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as sound:
            frames = sound.frames
            rate, channels, format_name = sound.samplerate, sound.channels, sound.format
            decoded = sound.read(frames=min(frames, rate) if frames > 0 else rate, dtype="float32")
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, EOFError):
        raise AudioRejected("aac" if name.rpartition(".")[2].lower() in _AAC_EXTENSIONS else "undecodable") from None
    if rate <= 0 or len(decoded) == 0 or frames <= 0:
        raise AudioRejected("silent")
    seconds = frames / rate
    if seconds < MIN_SECONDS:
        raise AudioRejected("too_short", seconds=f"{seconds:.2f}")
    extension, mime = FORMATS.get(format_name, (format_name.lower(), "application/octet-stream"))
    return AudioInfo(format=format_name, extension=extension, mime=mime, seconds=seconds, rate=rate,
                     channels=channels)
