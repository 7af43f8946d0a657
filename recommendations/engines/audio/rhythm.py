"""Tempo, beats and time signature from an onset-strength envelope (librosa's), with the metrical level chosen.

librosa's own tempo estimate weighs the envelope's periodicities by a prior around 120 BPM, so a steady pulse at
60 or 170 BPM is often reported at its double or half: periodic clicks repeat at every multiple of their period.
Here every candidate period (the envelope's autocorrelation peaks and their halves, doubles and thirds) is aligned
with the onsets by a phase-searching comb and scored by its contrast: the onset strength on its beats minus the
strongest in-between position (a third, a half, two thirds of a beat). A faster level puts half its beats on empty
time (clicks' double) or weak hits (hats between kicks and snares); a slower one (half notes, bars) has strong hits
between its beats; the beat has strong hits on it and only weaker ones between. The envelope is the flux of a
magnitude (not decibel) mel spectrogram, so a soft hat stays soft beside a kick.
The chosen period is then refined to a fraction of a frame, which is what makes 2-BPM accuracy possible from
11.6 ms frames.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_BPM, MAX_BPM = 50.0, 220.0  # Spotify's range in practice; slower candidates are bars, not beats
MIN_PULSE_CLARITY = 0.12  # below this, there is no steady beat to report (noise, speech, a drone)


@dataclass(frozen=True, slots=True)
class Rhythm:
    tempo: float | None  # BPM; None when there is no steady pulse
    beat_times: np.ndarray  # seconds
    pulse_clarity: float  # 0..1: how much of the envelope the chosen comb explains beyond its mean
    beat_strength: float  # on-beat onset strength over the envelope's mean
    time_signature: int | None  # beats per bar (3 or 4; 5..7 never guessed from so little); None without a tempo


def rhythm_from_envelope(envelope: np.ndarray, frame_rate: float, *, low_envelope: np.ndarray | None = None,
                         harmonic_change: np.ndarray | None = None) -> Rhythm:
    """The rhythm of an onset envelope sampled at `frame_rate` frames per second.

    `low_envelope` (onsets below ~200 Hz: kicks) and `harmonic_change` (chroma novelty: chord changes), on the same
    frames, tell bars apart for the time signature.
    """
    envelope = _smoothed(np.asarray(envelope, dtype=np.float64))
    if len(envelope) < frame_rate * 2 or not np.any(envelope > 0):
        return Rhythm(None, np.empty(0), 0.0, 0.0, None)
    envelope = envelope / envelope.max()
    candidates = _candidate_periods(envelope, frame_rate)
    scored = {period: _comb(envelope, period) for period in candidates}  # period: (on-beat strength, phase)
    if not scored:
        return Rhythm(None, np.empty(0), 0.0, 0.0, None)
    period = max(scored, key=lambda p: _contrast(envelope, p, scored[p][1]))
    period, phase = _refine(envelope, period)
    on_beat, _ = _comb(envelope, period, phase=phase)
    mean = float(envelope.mean())
    clarity = float(np.clip((on_beat - mean) / max(1.0 - mean, 1e-9), 0.0, 1.0))
    beats = np.arange(phase, len(envelope), period)
    if clarity < MIN_PULSE_CLARITY:
        return Rhythm(None, np.empty(0), clarity, on_beat / max(mean, 1e-9), None)
    signature = _time_signature(beats, low_envelope, harmonic_change)
    return Rhythm(
        tempo=60.0 * frame_rate / period,
        beat_times=beats / frame_rate,
        pulse_clarity=clarity,
        beat_strength=float(on_beat / max(mean, 1e-9)),
        time_signature=signature,
    )


def _smoothed(envelope: np.ndarray) -> np.ndarray:
    """A 3-frame triangular smoothing: onsets smeared over a frame or two still line up with a comb."""
    return np.convolve(envelope, [0.25, 0.5, 0.25], mode="same")


def _candidate_periods(envelope: np.ndarray, frame_rate: float) -> list[float]:
    """Autocorrelation peaks between MIN_BPM and MAX_BPM, and their metrical relatives (x2, /2, x3, /3).

    (Ratios such as 2/3 are left out: measured, they let a period that is no level of the metre win now and then.)
    """
    low, high = 60.0 * frame_rate / MAX_BPM, 60.0 * frame_rate / MIN_BPM
    centred = envelope - envelope.mean()
    size = 1 << (2 * len(centred) - 1).bit_length()
    spectrum = np.fft.rfft(centred, size)
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum), size)[: len(centred)]
    autocorrelation /= max(autocorrelation[0], 1e-12)
    lags = np.arange(len(autocorrelation))
    usable = (lags >= math.floor(low)) & (lags <= math.ceil(high)) & (lags < len(centred) // 2)
    peaks = [
        lag for lag in lags[usable][1:-1]
        if autocorrelation[lag] > 0.05
        and autocorrelation[lag] >= autocorrelation[lag - 1] and autocorrelation[lag] >= autocorrelation[lag + 1]
    ]
    peaks = sorted(peaks, key=lambda lag: autocorrelation[lag], reverse=True)[:6]
    periods = set()
    for lag in peaks:
        shift = _parabolic(autocorrelation, lag)
        for factor in (1.0, 0.5, 2.0, 1 / 3, 3.0):
            period = (lag + shift) * factor
            if low <= period <= high:
                periods.add(round(period, 3))
    return sorted(periods)


def _parabolic(values: np.ndarray, index: int) -> float:
    """The sub-sample offset of a peak from a parabola through it and its neighbours."""
    left, centre, right = values[index - 1], values[index], values[index + 1]
    denominator = left - 2 * centre + right
    return 0.0 if denominator == 0 else float(np.clip(0.5 * (left - right) / denominator, -0.5, 0.5))


def _comb(envelope: np.ndarray, period: float, *, phase: float | None = None) -> tuple[float, float]:
    """(mean envelope on the beats of the best phase, that phase) for a beat every `period` frames.

    Without `phase`, every whole-frame phase is tried at once (one interpolation over a phases x beats grid).
    """
    phases = np.array([phase]) if phase is not None else np.arange(0.0, period, 1.0)
    strengths = _on_beat(envelope, period, phases)
    best = int(np.argmax(strengths))
    return float(strengths[best]), float(phases[best])


def _on_beat(envelope: np.ndarray, period: float, phases: np.ndarray) -> np.ndarray:
    """Mean envelope on the beats, for each phase (beats that would fall past the end are left out for all)."""
    count = int((len(envelope) - 1 - phases.max()) // period) + 1
    if count < 2:
        return np.full(len(phases), -1.0)
    positions = phases[:, None] + period * np.arange(count)[None, :]
    return np.interp(positions.ravel(), np.arange(len(envelope)), envelope).reshape(positions.shape).mean(axis=1)


def _contrast(envelope: np.ndarray, period: float, phase: float) -> float:
    """On-beat strength minus the strongest of the in-between positions (1/3, 1/2, 2/3 of a beat).

    The beat level is where this is highest: a faster level puts half its beats on weak hits or on nothing, a
    slower one (half notes, bars) has strong hits between its beats.
    """
    on_beat = _on_beat(envelope, period, np.array([phase]))[0]
    between = _on_beat(envelope, period, phase + period * np.array([1 / 3, 0.5, 2 / 3])).max()
    return float(on_beat - between)


def _refine(envelope: np.ndarray, period: float) -> tuple[float, float]:
    """The period (to 0.05 % of itself) and phase (to a quarter frame) that line the comb up best near `period`."""
    best = (-1.0, period, 0.0)
    for step, span in ((0.004, 0.04), (0.0005, 0.005)):
        centre = best[1]
        for candidate in centre * (1 + np.arange(-span, span + step / 2, step)):
            phases = np.arange(0.0, candidate, 0.25)
            strengths = _on_beat(envelope, float(candidate), phases)
            index = int(np.argmax(strengths))
            if strengths[index] > best[0]:
                best = (float(strengths[index]), float(candidate), float(phases[index]))
    return best[1], best[2]


def _time_signature(
    beats: np.ndarray, low_envelope: np.ndarray | None, harmonic_change: np.ndarray | None
) -> int | None:
    """3 or 4 beats per bar: which grouping makes bar starts stand out (kicks and chord changes fall on them)."""
    if len(beats) < 7:
        return None
    accents = np.zeros(len(beats))
    for series in (low_envelope, harmonic_change):
        if series is None or not np.any(series > 0):
            continue
        values = np.interp(beats, np.arange(len(series)), np.asarray(series, dtype=np.float64))
        accents += (values - values.mean()) / (values.std() + 1e-9)
    if not np.any(accents):
        return None
    scores = {}
    for meter in (3, 4):
        scores[meter] = max(
            accents[start::meter].mean() - np.delete(accents, np.arange(start, len(accents), meter)).mean()
            for start in range(meter)
        )
    return max(scores, key=scores.get)
