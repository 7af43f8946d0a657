"""Key and mode from a chromagram: Temperley's key profiles, rotated to all 24 keys, against the recording's mean
pitch-class distribution. (Krumhansl-Kessler's, EDMA's, Aarden's and Sha'ath's were measured on the same synthesized
test set and were each right less often; bench/audio_analysis_bench.py.)

Spotify reports key -1 when none is detected; so does this, when the best key's correlation is too weak to stand
for a tonal centre (noise, speech, unpitched percussion).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Temperley (1999, "What's key for key?"): how well each pitch class fits a major / minor key, tonic first.
MAJOR_PROFILE = np.array([5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0])
MINOR_PROFILE = np.array([5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0])
MIN_KEY_CORRELATION = 0.55  # below this no key stands out (a drum loop, noise, speech)
MIN_CHROMA_PEAKINESS = 0.15  # chroma this flat has no pitch content to speak of
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True, slots=True)
class Tonality:
    key: int  # 0 = C ... 11 = B; -1 when no key stands out
    mode: int | None  # 1 major, 0 minor; None without a key
    key_strength: float  # the best key's correlation (-1..1)
    mode_margin: float  # best major minus best minor correlation: > 0 leans major
    chroma_entropy: float  # 0 (one pitch class) .. 1 (all equal)

    @property
    def name(self) -> str:
        if self.key < 0:
            return "no key"
        return f"{PITCH_CLASSES[self.key]} {'major' if self.mode else 'minor'}"


def _rotations(profile: np.ndarray) -> np.ndarray:
    """12 x 12: row k is the profile with its tonic on pitch class k, centred and normalised for correlation."""
    rows = np.stack([np.roll(profile, k) for k in range(12)])
    rows = rows - rows.mean(axis=1, keepdims=True)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


_MAJOR_KEYS, _MINOR_KEYS = _rotations(MAJOR_PROFILE), _rotations(MINOR_PROFILE)


def tonality_from_chroma(chroma: np.ndarray, weights: np.ndarray | None = None) -> Tonality:
    """The key of a chromagram (12 x frames), frames weighted by `weights` (e.g. their loudness) if given."""
    chroma = np.asarray(chroma, dtype=np.float64)
    if chroma.ndim != 2 or chroma.shape[0] != 12 or chroma.shape[1] == 0:
        return Tonality(-1, None, 0.0, 0.0, 1.0)
    frame_weights = np.ones(chroma.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    profile = (chroma * frame_weights).sum(axis=1)
    total = profile.sum()
    if total <= 0:
        return Tonality(-1, None, 0.0, 0.0, 1.0)
    distribution = profile / total
    entropy = float(-(distribution * np.log(distribution + 1e-12)).sum() / np.log(12))
    centred = distribution - distribution.mean()
    norm = np.linalg.norm(centred)
    if norm == 0:
        return Tonality(-1, None, 0.0, 0.0, entropy)
    centred /= norm
    major, minor = _MAJOR_KEYS @ centred, _MINOR_KEYS @ centred
    best_major, best_minor = int(np.argmax(major)), int(np.argmax(minor))
    margin = float(major[best_major] - minor[best_minor])
    strength = float(max(major[best_major], minor[best_minor]))
    peakiness = float(distribution.max() - distribution.mean()) / max(float(distribution.max()), 1e-12)
    if strength < MIN_KEY_CORRELATION or peakiness < MIN_CHROMA_PEAKINESS:
        return Tonality(-1, None, strength, margin, entropy)
    if margin >= 0:
        return Tonality(best_major, 1, strength, margin, entropy)
    return Tonality(best_minor, 0, strength, margin, entropy)
