"""Small generated audio for tests: a click track as a WAV file (numpy + the standard library's `wave`)."""
from __future__ import annotations

import io
import wave

import numpy as np

RATE = 22_050


def click_track_wav(*, seconds: float = 4.0, bpm: float = 120.0) -> bytes:
    """A mono 16-bit WAV: a short 880 Hz blip on every beat over a quiet 220 Hz hum, so it is audibly music-like."""
    t = np.arange(int(seconds * RATE)) / RATE
    hum = 0.1 * np.sin(2 * np.pi * 220 * t)
    beat = (t % (60.0 / bpm)) < 0.05
    samples = hum + beat * 0.5 * np.sin(2 * np.pi * 880 * t)
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()
