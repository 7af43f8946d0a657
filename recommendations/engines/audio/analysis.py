"""Measuring a recording: tempo, key, mode, loudness, duration and time signature, and a fixed vector of spectral,
rhythmic, dynamic and tonal descriptors from which a learned mapping estimates the rest (danceability, energy, ...).

librosa does the signal processing (spectrograms, onset strength, chroma, harmonic/percussive separation, MFCCs;
chosen over essentia by measurement and licence, see BENCHMARKS.md); rhythm.py and tonal.py turn its output into
Spotify-style features. One magnitude STFT feeds everything, so a 30-second preview costs a few tenths of a second.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from recommendations.engines.audio.decoding import ANALYSIS_RATE, DecodedAudio, decode_audio
from recommendations.engines.audio.rhythm import Rhythm, rhythm_from_envelope
from recommendations.engines.audio.tonal import Tonality, tonality_from_chroma

# Stored analyses made by another version of this code are made again (recommendations.models.TrackAudioAnalysis).
ANALYSIS_VERSION = 1
N_FFT, HOP = 2048, 256  # 93 ms windows every 11.6 ms
N_MELS = 64
KICK_HZ = 200.0  # mel bands below this make the kick envelope that tells bars apart
N_MFCC = 13
HPSS_KERNEL = 9  # median filter length (frames, mel bands) of the harmonic/percussive split: 31 costs 3x for little
# Chroma from its own, longer STFT over 60-1000 Hz: semitones apart at the bass, and fewer of the upper harmonics
# that pull a key towards its dominant (measured: 97 % of synthesized previews' keys right, against 90 % from the
# 2048-point STFT over the whole band).
CHROMA_N_FFT, CHROMA_HOP = 4096, 1024
CHROMA_BAND_HZ = (60.0, 1000.0)

DESCRIPTOR_NAMES: tuple[str, ...] = (
    # spectral
    "centroid_hz", "centroid_sd_hz", "bandwidth_hz", "rolloff_hz", "flatness", "zero_crossing_rate",
    *(f"contrast_{band}" for band in range(7)),
    *(f"mfcc_{index}" for index in range(1, N_MFCC + 1)),
    "mfcc_1_sd", "mfcc_2_sd",
    "low_energy_share", "high_energy_share",
    # rhythmic
    "tempo", "pulse_clarity", "beat_strength", "onset_rate", "percussive_share", "kick_share",
    "flux_sd", "syllable_modulation",
    # dynamic
    "loudness", "rms_db_mean", "rms_db_sd", "dynamic_range_db", "crest_db", "quiet_share",
    # tonal
    "key_strength", "mode_margin", "chroma_entropy", "harmonic_change", "pitched_share",
)


@dataclass(frozen=True, slots=True)
class AudioAnalysis:
    """What signal processing measures directly, in the catalog's feature units, plus the descriptor vector."""

    duration_ms: int
    loudness: float  # LUFS
    tempo: float | None  # BPM; None without a steady pulse
    time_signature: int | None
    key: int  # -1 when no key stands out
    mode: int | None
    descriptors: dict[str, float] = field(repr=False)
    key_name: str = ""

    def measured_features(self) -> dict[str, float | int]:
        """The catalog features measured directly (ingestion.models.FEATURE_FIELDS names), leaving out the unknown."""
        features: dict[str, float | int] = {"loudness": round(max(-60.0, min(5.0, self.loudness)), 3)}
        if self.tempo is not None:
            features["tempo"] = round(self.tempo, 3)
        if self.time_signature is not None:
            features["time_signature"] = self.time_signature
        features["key"] = self.key
        if self.mode is not None:
            features["mode"] = self.mode
        return features

    def descriptor_vector(self) -> np.ndarray:
        return np.array([self.descriptors[name] for name in DESCRIPTOR_NAMES], dtype=np.float64)


def analyse_audio(source: str | os.PathLike | bytes | BinaryIO, **decode_options) -> AudioAnalysis:
    """Analyse an audio file (a path, its bytes or a binary file object); AudioError if it cannot be."""
    return analyse_decoded(decode_audio(source, **decode_options))


def analyse_decoded(audio: DecodedAudio) -> AudioAnalysis:
    import librosa

    y = audio.samples
    spectrum = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
    power = spectrum**2
    mel_power = _mel_basis() @ power
    chroma, chroma_power = _chroma(librosa, y)
    chord_changes = np.concatenate(([0.0], np.abs(np.diff(chroma, axis=1)).sum(axis=0)))
    on_envelope_frames = np.repeat(chord_changes, CHROMA_HOP // HOP)[: spectrum.shape[1]]
    rhythm, rhythmic = _rhythm(librosa, mel_power, spectrum, on_envelope_frames)
    tonality, tonal = _tonality(chroma, chroma_power, chord_changes)
    descriptors = {
        **_spectral(librosa, y, spectrum, mel_power),
        **rhythmic,
        **_dynamic(librosa, spectrum, audio.loudness),
        **tonal,
    }
    return AudioAnalysis(
        duration_ms=round(audio.duration * 1000),
        loudness=audio.loudness,
        tempo=rhythm.tempo,
        time_signature=rhythm.time_signature,
        key=tonality.key,
        mode=tonality.mode,
        descriptors={name: float(np.nan_to_num(descriptors[name])) for name in DESCRIPTOR_NAMES},
        key_name=tonality.name,
    )


@functools.lru_cache(maxsize=1)
def _mel_basis() -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=ANALYSIS_RATE, n_fft=N_FFT, n_mels=N_MELS)


@functools.lru_cache(maxsize=1)
def _chroma_basis() -> np.ndarray:
    """Chroma filters over CHROMA_BAND_HZ (a matrix product: librosa's einsum is several times slower here)."""
    import librosa

    basis = librosa.filters.chroma(sr=ANALYSIS_RATE, n_fft=CHROMA_N_FFT, tuning=0.0)
    frequencies = librosa.fft_frequencies(sr=ANALYSIS_RATE, n_fft=CHROMA_N_FFT)
    low, high = CHROMA_BAND_HZ
    basis[:, (frequencies < low) | (frequencies > high)] = 0.0
    return basis


def _frame_rate() -> float:
    return ANALYSIS_RATE / HOP


def _rhythm(
    librosa, mel_power: np.ndarray, spectrum: np.ndarray, chord_changes: np.ndarray
) -> tuple[Rhythm, dict[str, float]]:
    magnitude = np.sqrt(mel_power)
    envelope = librosa.onset.onset_strength(S=magnitude, sr=ANALYSIS_RATE)
    mel_hz = librosa.mel_frequencies(n_mels=N_MELS, fmax=ANALYSIS_RATE / 2)
    kick = librosa.onset.onset_strength(S=magnitude[mel_hz < KICK_HZ], sr=ANALYSIS_RATE)
    harmonic, percussive = librosa.decompose.hpss(magnitude, kernel_size=HPSS_KERNEL)
    rhythm = rhythm_from_envelope(envelope, _frame_rate(), low_envelope=kick, harmonic_change=chord_changes)
    seconds = len(envelope) / _frame_rate()
    onsets = librosa.onset.onset_detect(onset_envelope=envelope, sr=ANALYSIS_RATE, hop_length=HOP)
    total = float(harmonic.sum() + percussive.sum()) or 1.0
    rms = np.sqrt((spectrum**2).mean(axis=0))
    return rhythm, {
        "tempo": rhythm.tempo or 0.0,
        "pulse_clarity": rhythm.pulse_clarity,
        "beat_strength": rhythm.beat_strength,
        "onset_rate": len(onsets) / seconds,
        "percussive_share": float(percussive.sum()) / total,
        "kick_share": float(kick.sum() / (envelope.sum() + 1e-9)),
        "flux_sd": float(envelope.std() / (envelope.mean() + 1e-9)),
        "syllable_modulation": _modulation_share(rms, low=2.0, high=8.0),
    }


def _modulation_share(rms: np.ndarray, *, low: float, high: float) -> float:
    """Share of the loudness envelope's modulation energy between `low` and `high` Hz (speech: ~4 Hz syllables)."""
    envelope = rms - rms.mean()
    if not np.any(envelope):
        return 0.0
    spectrum = np.abs(np.fft.rfft(envelope)) ** 2
    frequencies = np.fft.rfftfreq(len(envelope), 1 / _frame_rate())
    band = (frequencies >= low) & (frequencies <= high)
    usable = frequencies >= 0.5
    return float(spectrum[band].sum() / (spectrum[usable].sum() + 1e-12))


def _chroma(librosa, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chroma normalised per frame (as librosa's chroma_stft), and the power spectrum it came from."""
    power = np.abs(librosa.stft(y, n_fft=CHROMA_N_FFT, hop_length=CHROMA_HOP)) ** 2
    chroma = _chroma_basis() @ power
    chroma /= np.maximum(chroma.max(axis=0, keepdims=True), 1e-12)
    return chroma, power


def _tonality(chroma: np.ndarray, power: np.ndarray, chord_changes: np.ndarray) -> tuple[Tonality, dict[str, float]]:
    loudness_weights = np.sqrt(power.sum(axis=0))
    tonality = tonality_from_chroma(chroma, loudness_weights)
    peaky = chroma.max(axis=0) > 2.5 * chroma.mean(axis=0)
    return tonality, {
        "key_strength": tonality.key_strength,
        "mode_margin": tonality.mode_margin,
        "chroma_entropy": tonality.chroma_entropy,
        "harmonic_change": float(chord_changes.mean()),
        "pitched_share": float(peaky.mean()),
    }


def _spectral(librosa, y: np.ndarray, spectrum: np.ndarray, mel_power: np.ndarray) -> dict[str, float]:
    sr = ANALYSIS_RATE
    # Centroid, bandwidth, roll-off and flatness as librosa defines them, computed here in one pass over the
    # spectrum (librosa's versions renormalise it each time: measured, a third of a 30-second analysis).
    frequencies = librosa.fft_frequencies(sr=sr, n_fft=N_FFT)
    totals = np.maximum(spectrum.sum(axis=0), 1e-12)
    centroid = (frequencies @ spectrum) / totals
    bandwidth = np.sqrt(((frequencies[:, None] - centroid[None, :]) ** 2 * spectrum).sum(axis=0) / totals)
    rolloff = frequencies[np.argmax(np.cumsum(spectrum, axis=0) >= 0.85 * totals, axis=0)]
    frame_power = np.maximum(spectrum**2, 1e-10)
    flatness = np.exp(np.log(frame_power).mean(axis=0)) / frame_power.mean(axis=0)
    contrast = librosa.feature.spectral_contrast(S=spectrum, sr=sr, fmin=100.0, n_bands=6).mean(axis=1)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel_power), n_mfcc=N_MFCC)
    energy = (spectrum**2).sum(axis=1)
    total = float(energy.sum()) or 1.0
    values = {
        "centroid_hz": float(centroid.mean()),
        "centroid_sd_hz": float(centroid.std()),
        "bandwidth_hz": float(bandwidth.mean()),
        "rolloff_hz": float(rolloff.mean()),
        "flatness": float(flatness.mean()),
        "zero_crossing_rate": float(librosa.feature.zero_crossing_rate(y, hop_length=HOP)[0].mean()),
        "mfcc_1_sd": float(mfcc[0].std()),
        "mfcc_2_sd": float(mfcc[1].std()),
        "low_energy_share": float(energy[frequencies < 250].sum() / total),
        "high_energy_share": float(energy[frequencies > 4000].sum() / total),
    }
    values.update({f"contrast_{band}": float(value) for band, value in enumerate(contrast)})
    values.update({f"mfcc_{index + 1}": float(value) for index, value in enumerate(mfcc.mean(axis=1))})
    return values


def _dynamic(librosa, spectrum: np.ndarray, loudness: float) -> dict[str, float]:
    rms = librosa.feature.rms(S=spectrum, frame_length=N_FFT)[0]
    peak = float(rms.max()) or 1e-9
    decibels = 20 * np.log10(np.maximum(rms, peak * 1e-5))
    return {
        "loudness": loudness,
        "rms_db_mean": float(decibels.mean()),
        "rms_db_sd": float(decibels.std()),
        "dynamic_range_db": float(np.percentile(decibels, 95) - np.percentile(decibels, 10)),
        "crest_db": float(20 * np.log10(peak / (rms.mean() + 1e-12))),
        "quiet_share": float((decibels < decibels.max() - 30).mean()),
    }


def analyse_batch(sources: list[bytes | str]) -> list[AudioAnalysis | str]:
    """Each file's analysis, or its AudioError's message (a str source is an error found reading it, passed on):
    one task of a worker process (module-level, so it pickles)."""
    from recommendations.engines.audio.decoding import AudioError

    results: list[AudioAnalysis | str] = []
    for source in sources:
        if isinstance(source, str):
            results.append(source)
            continue
        try:
            results.append(analyse_audio(source))
        except AudioError as error:
            results.append(str(error))
    return results
