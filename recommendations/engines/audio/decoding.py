"""Reading an audio file safely: a clear AudioError for anything that is not usable audio, never a crash.

soundfile (libsndfile) decodes WAV, AIFF, FLAC, Ogg Vorbis / Opus and MP3 (the formats of uploads and of public
previews such as Deezer's). Loudness is measured here, on the file's own channels and rate, before the mix to mono
and the resampling that the other measurements share.
"""
from __future__ import annotations

import io
import math
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

ANALYSIS_RATE = 22050  # every file is analysed at this rate, so descriptors are comparable across files
MAX_BYTES = 100 * 2**20  # larger is no preview nor a song a curator would upload: refused unread
MIN_SECONDS = 1.0
MAX_SECONDS = 20 * 60.0
EXCERPT_SECONDS = 120.0  # longer audio is measured on its middle two minutes (duration stays the whole)
SILENCE_LUFS = -70.0  # ITU-R BS.1770's absolute gate: quieter is silence


class AudioError(ValueError):
    """The file cannot be analysed; the message says why, in words a curator can act on."""


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    samples: np.ndarray  # mono float32 at ANALYSIS_RATE (the excerpt, for long audio)
    duration: float  # seconds, of the whole file
    loudness: float  # integrated LUFS of the whole file (ITU-R BS.1770-4, all channels)
    source_rate: int
    channels: int
    format: str  # soundfile's name for it: "WAV", "OGG", "MP3", ...


def decode_audio(source: str | os.PathLike | bytes | BinaryIO, *, max_bytes: int = MAX_BYTES) -> DecodedAudio:
    """Read `source` (a path, the file's bytes or a binary file object) for analysis, or raise AudioError."""
    data = _read_bytes(source, max_bytes)
    import soundfile  # imported here: reading a path's size needs nothing of libsndfile

    try:
        info = soundfile.info(io.BytesIO(data))
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, EOFError) as error:
        raise AudioError(
            "This is not audio that can be read (WAV, FLAC, Ogg Vorbis/Opus or MP3 expected), "
            f"or the file is damaged: {_short(error)}."
        ) from None
    return _checked(samples, rate, info.format)


def _read_bytes(source: str | os.PathLike | bytes | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise AudioError(f"No such file: {path.name}.")
        size = path.stat().st_size
        if size > max_bytes:
            raise AudioError(_too_big(size, max_bytes))
        data = path.read_bytes()
    else:
        data = source.read(max_bytes + 1)
    if not data:
        raise AudioError("The file is empty.")
    if len(data) > max_bytes:
        raise AudioError(_too_big(len(data), max_bytes))
    return data


def _too_big(size: int, limit: int) -> str:
    return f"The file is {size / 2**20:.0f} MiB; audio files up to {limit / 2**20:.0f} MiB are analysed."


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = re.sub(r"^Error opening <[^>]*>: ", "", text)  # libsndfile names our in-memory buffer: no help to anyone
    return text[:160].rstrip(".")


def _checked(samples: np.ndarray, rate: int, format: str) -> DecodedAudio:
    frames, channels = samples.shape
    duration = frames / rate if rate else 0.0
    if duration < MIN_SECONDS:
        raise AudioError(f"The audio lasts {duration:.2f} s; at least {MIN_SECONDS:g} s is needed to measure it.")
    if duration > MAX_SECONDS:
        raise AudioError(f"The audio lasts {duration / 60:.0f} minutes; up to {MAX_SECONDS / 60:.0f} are analysed.")
    if not np.all(np.isfinite(samples)):
        raise AudioError("The audio holds invalid sample values (NaN or infinity): the file is damaged.")
    loudness = integrated_loudness(samples, rate)
    if loudness < SILENCE_LUFS:
        raise AudioError("The audio is silent (quieter than -70 LUFS): there is nothing to measure.")
    excerpt = _middle(samples, rate)
    mono = excerpt.mean(axis=1)
    return DecodedAudio(
        samples=_resampled(mono, rate), duration=duration, loudness=loudness, source_rate=rate,
        channels=channels, format=format,
    )


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of samples shaped (frames,) or (frames, channels), by pyloudnorm; -inf if silent."""
    import pyloudnorm

    data = np.asarray(samples, dtype=np.float64)
    if data.ndim == 2 and data.shape[1] > 5:  # BS.1770 weights five channels; more are mixed down
        data = data.mean(axis=1)
    with warnings.catch_warnings(), np.errstate(divide="ignore"):
        warnings.simplefilter("ignore")  # pyloudnorm warns about clipped input; loudness is still defined
        value = float(pyloudnorm.Meter(rate).integrated_loudness(data))
    return value if math.isfinite(value) else -math.inf


def _middle(samples: np.ndarray, rate: int) -> np.ndarray:
    keep = round(EXCERPT_SECONDS * rate)
    if len(samples) <= keep:
        return samples
    start = (len(samples) - keep) // 2
    return samples[start : start + keep]


def _resampled(mono: np.ndarray, rate: int) -> np.ndarray:
    if rate == ANALYSIS_RATE:
        return mono.astype(np.float32)
    import soxr

    return soxr.resample(mono, rate, ANALYSIS_RATE, quality="HQ").astype(np.float32)
