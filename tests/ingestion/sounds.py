"""Generated audio files for the upload and preview tests: a tone in any format soundfile writes, with tags."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import soundfile

RATE = 22_050
_FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"), "mp3": ("MP3", None)}


def tone(*, seconds: float = 2.0, hz: float = 440.0, format: str = "ogg") -> bytes:
    """A quiet sine tone with a click each half second, encoded as `format` (wav, flac, ogg, mp3)."""
    t = np.arange(int(seconds * RATE)) / RATE
    samples = 0.2 * np.sin(2 * np.pi * hz * t) + 0.3 * ((t % 0.5) < 0.02) * np.sin(2 * np.pi * 1760 * t)
    kind, subtype = _FORMATS[format]
    buffer = io.BytesIO()
    soundfile.write(buffer, samples.astype("float32"), RATE, format=kind, subtype=subtype)
    return buffer.getvalue()


def tagged(data: bytes, format: str, **tags: str) -> bytes:
    """`data` with tags (isrc=, artist=, title=) written by mutagen: ID3 frames (mp3, wav) or Vorbis comments."""
    import mutagen

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"tagged.{format}"
        path.write_bytes(data)
        if format == "wav":
            from mutagen import id3
            from mutagen.wave import WAVE

            frames = {"isrc": id3.TSRC, "artist": id3.TPE1, "title": id3.TIT2}
            file = WAVE(path)
            file.add_tags()
            for key, value in tags.items():
                file.tags.add(frames[key](encoding=3, text=[value]))
            file.save()
            return path.read_bytes()
        if format == "mp3":
            from mutagen.easyid3 import EasyID3
            from mutagen.id3 import ID3

            ID3().save(path)
            file = EasyID3(path)
        else:
            file = mutagen.File(path, easy=True)
        for key, value in tags.items():
            file[key] = value
        file.save()
        return path.read_bytes()
