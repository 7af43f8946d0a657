"""Synthesized test audio with known ground truth: clicks and drums at known tempi, chords and scales in known keys,
tones at known loudness, noise and speech-like sound. Short and at a low rate, so tests stay fast."""
from __future__ import annotations

import io

import numpy as np
import soundfile

RATE = 16000
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
HARMONIC_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 11)


def wav_bytes(samples: np.ndarray, rate: int = RATE, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def _seconds(duration: float, rate: int = RATE) -> np.ndarray:
    return np.arange(round(duration * rate)) / rate


def _add(track: np.ndarray, sound: np.ndarray, at: float, rate: int = RATE) -> None:
    start = round(at * rate)
    if start < len(track):
        end = min(len(track), start + len(sound))
        track[start:end] += sound[: end - start]


def clicks(bpm: float, seconds: float = 6.0) -> np.ndarray:
    """A metronome: a short 1 kHz tick on every beat."""
    track = np.zeros(round(seconds * RATE))
    t = _seconds(0.02)
    tick = np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.004)
    for beat in np.arange(0.1, seconds - 0.05, 60.0 / bpm):
        _add(track, tick, beat)
    return 0.5 * track


def drums(bpm: float, seconds: float = 6.0, seed: int = 0) -> np.ndarray:
    """A rock beat: kick on 1 and 3, snare on 2 and 4, closed hats on every eighth."""
    rng = np.random.default_rng(seed)
    t = _seconds(0.25)
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-t / 0.02)) * t) * np.exp(-t / 0.12)
    snare = rng.normal(0, 0.5, len(t)) * np.exp(-t / 0.06) + 0.3 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.04)
    hat = np.diff(rng.normal(0, 1, len(t) + 1)) * np.exp(-t / 0.012) * 0.12
    track = np.zeros(round(seconds * RATE))
    beat = 60.0 / bpm
    for index, at in enumerate(np.arange(0.05, seconds - 0.05, beat / 2)):
        _add(track, hat, at)
        if index % 2 == 0:
            _add(track, kick if index % 4 == 0 else snare, at)
    return 0.6 * track / np.max(np.abs(track))


def _note(midi: float, duration: float, level: float = 0.2) -> np.ndarray:
    """A piano-like tone: four harmonics, a quick attack and a decay."""
    t = _seconds(duration)
    frequency = 440.0 * 2 ** ((midi - 69) / 12)
    tone = sum(np.sin(2 * np.pi * frequency * k * t) / k**1.5 for k in range(1, 5))
    return level * tone * np.minimum(1, t / 0.01) * np.exp(-t / (duration * 0.8))


def cadence(tonic: int, major: bool, chord_seconds: float = 0.75) -> np.ndarray:
    """I-IV-V-I (i-iv-V-i, with the harmonic minor's leading tone) in root position, bass on the roots."""
    third = 4 if major else 3
    chords = [(0, third, 7), (5, 5 + (4 if major else 3), 12), (7, 11, 14), (0, third, 7)]
    track = np.zeros(round(chord_seconds * len(chords) * RATE) + RATE // 4)
    for index, chord in enumerate(chords):
        base = 60 + tonic
        for interval in chord:
            _add(track, _note(base + interval, chord_seconds), index * chord_seconds)
        _add(track, _note(36 + tonic + chord[0], chord_seconds, 0.3), index * chord_seconds)
    return track


def scale(tonic: int, major: bool, note_seconds: float = 0.3) -> np.ndarray:
    """The scale up and down from the tonic, over a held tonic drone, the tonic long at each end."""
    steps = MAJOR_SCALE if major else HARMONIC_MINOR_SCALE
    melody = [*steps, 12, *reversed(steps)]
    track = np.zeros(round(note_seconds * (len(melody) + 2) * RATE))
    for index, step in enumerate(melody):
        length = note_seconds * (3 if index in (0, len(melody) - 1) else 1)
        _add(track, _note(60 + tonic + step, length), index * note_seconds + (2 * note_seconds if index else 0))
    drone = _note(48 + tonic, len(track) / RATE, 0.15)
    return track + drone[: len(track)]


def sine(amplitude: float, frequency: float = 997.0, seconds: float = 3.0) -> np.ndarray:
    """A steady tone; at 997 Hz its BS.1770 loudness is 20·log10(amplitude) - 3.01 LUFS."""
    return amplitude * np.sin(2 * np.pi * frequency * _seconds(seconds))


def noise(seconds: float = 4.0, level: float = 0.1, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, level, round(seconds * RATE))


def speech_like(seconds: float = 4.0, seed: int = 2) -> np.ndarray:
    """Voiced syllables about four a second: a gliding ~120 Hz buzz through changing vowel formants, with pauses."""
    rng = np.random.default_rng(seed)
    track = np.zeros(round(seconds * RATE))
    at = 0.05
    while at < seconds - 0.3:
        length = rng.uniform(0.12, 0.25)
        t = _seconds(length)
        pitch = 120 * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(1, 3) * t + rng.uniform(0, 6)))
        phase = 2 * np.pi * np.cumsum(pitch) / RATE
        formants = rng.choice([(700, 1200), (300, 2300), (500, 900), (400, 1900)])
        voice = sum(
            np.sin(k * phase) * sum(np.exp(-((k * 120 - f) ** 2) / (2 * 150**2)) for f in formants)
            for k in range(1, 30)
        )
        _add(track, voice * np.hanning(len(t)), at)
        at += length + rng.uniform(0.03, 0.25)
    return 0.3 * track / np.max(np.abs(track))
