"""Short audio previews for demo tracks, synthesized from the track's own audio features.

A preview is a few bars of a band that plays what the features say, so a listener hears the catalog's
differences and the audio analysis engine can measure them back:

- tempo and time signature: a drum kit (kick, backbeat snare, hi-hats) and the chords' rhythm on that beat;
- key and mode: a chord progression (bass on the roots) in that key, major or minor (with the harmonic minor's
  leading tone, so the key is unambiguous), that starts and ends each cycle on the tonic;
- energy: how dense the drums are (quarter, eighth or sixteenth hats, extra hits) and how loud they sit;
- danceability: the groove: a steady four-on-the-floor kick and straight time when high, sparse syncopated
  kicks, swing and loose timing when low;
- acousticness: the timbre: plucked strings, a soft kit and brushes when acoustic; saw pads, an 808-style kick
  and claps when electronic;
- valence (with the mode): brightness: more high harmonics and a higher voicing when happy, dark and low when sad;
- loudness: the mix is brought to the track's loudness in LUFS (ITU-R BS.1770 integrated loudness, measured by
  pyloudnorm as the analysis engine does), with a soft limiter where that loud needs it.

Pure numpy and pyloudnorm (no Django); the same features and seed always give the same samples.
"""
from __future__ import annotations

import functools
import hashlib
import io
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyloudnorm

SYNTH_VERSION = 2  # part of every preview's name: bump it when the sound changes, so old files are replaced
# 8 s at 16 kHz in Ogg Vorbis: about 34 KiB and 40-60 ms of CPU per preview (see BENCHMARKS.md for the
# measurements that chose the format, the length and the rate).
PREVIEW_SECONDS = 8.0
PREVIEW_RATE = 16000
FADE_IN_SECONDS, FADE_OUT_SECONDS = 0.01, 0.6
_TABLE_SIZE = 2048
_A4 = 440.0


@dataclass(frozen=True, slots=True)
class PreviewFormat:
    """An encoding that Chromium's <audio> plays; soundfile (libsndfile) writes all of these."""

    name: str
    extension: str
    content_type: str
    soundfile_format: str
    subtype: str
    compression_level: float | None = None  # 0 (largest, best) .. 1 (smallest); None: the codec's default


PREVIEW_FORMATS: dict[str, PreviewFormat] = {
    "mp3": PreviewFormat("mp3", "mp3", "audio/mpeg", "MP3", "MPEG_LAYER_III", 0.9),
    "ogg": PreviewFormat("ogg", "ogg", "audio/ogg", "OGG", "VORBIS", 0.9),
    "opus": PreviewFormat("opus", "opus", "audio/ogg", "OGG", "OPUS", 0.9),
    "wav": PreviewFormat("wav", "wav", "audio/wav", "WAV", "PCM_16"),
}
DEFAULT_FORMAT = "ogg"


@dataclass(frozen=True, slots=True)
class PreviewSound:
    """What a preview is synthesized from: the audio features it is meant to carry."""

    tempo: float
    key: int  # 0 = C ... 11 = B; -1 (no key known) is played in C
    mode: int  # 1 major, 0 minor
    time_signature: int
    energy: float
    danceability: float
    acousticness: float
    valence: float
    loudness: float  # LUFS

    @classmethod
    def from_features(cls, features: Mapping[str, float | int | None]) -> PreviewSound:
        """From a track's features (ingestion.models.FEATURE_FIELDS); absent values take a middling default."""

        def value(name: str, default: float) -> float:
            raw = features.get(name)
            return default if raw is None else float(raw)

        signature = int(value("time_signature", 4))
        return cls(
            tempo=min(max(value("tempo", 110.0), 40.0), 220.0),
            key=int(value("key", 0)),
            mode=1 if value("mode", 1) >= 0.5 else 0,
            time_signature=signature if signature in (3, 4, 5, 6, 7) else 4,
            energy=_unit(value("energy", 0.5)),
            danceability=_unit(value("danceability", 0.5)),
            acousticness=_unit(value("acousticness", 0.5)),
            valence=_unit(value("valence", 0.5)),
            loudness=min(max(value("loudness", -9.0), -40.0), -3.0),
        )

    def fingerprint(self, seed: str, seconds: float = PREVIEW_SECONDS) -> str:
        """A short hash of everything the samples depend on (for content-addressed file names)."""
        text = f"v{SYNTH_VERSION}|{seed}|{seconds:g}|{PREVIEW_RATE}|" + "|".join(
            f"{getattr(self, name):.6g}" for name in self.__dataclass_fields__
        )
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def preview_render(
    sound: PreviewSound, *, seed: str, seconds: float = PREVIEW_SECONDS, sample_rate: int = PREVIEW_RATE
) -> np.ndarray:
    """`seconds` of mono float32 samples in [-1, 1] that carry `sound`; deterministic for (sound, seed)."""
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(f"{seed}|{SYNTH_VERSION}".encode()).digest()[:8]))
    length = round(seconds * sample_rate)
    grid = _Grid.for_sound(sound, sample_rate, length, rng)
    drums = _drums(sound, grid, rng)
    harmony = _harmony(sound, grid, rng)
    _TONES.clear()
    mix = drums * (0.35 + 0.65 * sound.energy) + harmony
    mix *= _fades(length, sample_rate)
    return _to_loudness(mix, sound.loudness, sample_rate).astype(np.float32)


def preview_file(
    sound: PreviewSound, *, seed: str, seconds: float = PREVIEW_SECONDS, format: str = DEFAULT_FORMAT
) -> bytes:
    """A whole preview file (render and encode): what a worker process makes for one track."""
    return preview_encode(preview_render(sound, seed=seed, seconds=seconds), format=format)


def preview_files(
    jobs: list[tuple[PreviewSound, str]], seconds: float = PREVIEW_SECONDS, format: str = DEFAULT_FORMAT
) -> list[bytes]:
    """Files for (sound, seed) pairs: one task of a worker process (a module-level function, so it pickles)."""
    return [preview_file(sound, seed=seed, seconds=seconds, format=format) for sound, seed in jobs]


def preview_encode(samples: np.ndarray, *, sample_rate: int = PREVIEW_RATE, format: str = DEFAULT_FORMAT) -> bytes:
    """The samples as a complete audio file in `format` (a key of PREVIEW_FORMATS)."""
    import soundfile  # imported here: only encoding needs libsndfile

    spec = PREVIEW_FORMATS[format]
    buffer = io.BytesIO()
    options = {} if spec.compression_level is None else {"compression_level": spec.compression_level}
    soundfile.write(
        buffer, samples, sample_rate, format=spec.soundfile_format, subtype=spec.subtype, **options
    )
    return buffer.getvalue()


# --- time ---

@dataclass(frozen=True, slots=True)
class _Grid:
    """Where beats fall, in samples, with the groove's swing and looseness applied."""

    sample_rate: int
    length: int
    beat: float  # samples per beat
    beats_per_bar: int
    swing: float  # share of a beat the off-beat eighth is late by
    jitter: float  # timing looseness, in samples (sd)
    rng: np.random.Generator

    @classmethod
    def for_sound(cls, sound: PreviewSound, sample_rate: int, length: int, rng: np.random.Generator) -> _Grid:
        groove = sound.danceability
        return cls(
            sample_rate=sample_rate,
            length=length,
            beat=60.0 / sound.tempo * sample_rate,
            beats_per_bar=sound.time_signature,
            swing=0.16 * max(0.0, 0.75 - groove),
            jitter=0.004 * sample_rate * (1.0 - groove),
            rng=rng,
        )

    @property
    def beats(self) -> int:
        return math.ceil(self.length / self.beat) + 1

    def at(self, beat: float) -> int:
        """The sample where `beat` (counted from 0, fractions allowed) falls, with swing and jitter."""
        whole, part = divmod(beat, 1.0)
        if abs(part - 0.5) < 1e-9:
            part += self.swing
        offset = self.rng.normal(0.0, self.jitter) if self.jitter and part else 0.0
        return round((whole + part) * self.beat + offset)


def _place(track: np.ndarray, sound: np.ndarray, start: int, gain: float) -> None:
    """Add `sound` into `track` at `start`, cut at the end."""
    if start >= len(track) or gain <= 0:
        return
    start = max(start, 0)
    end = min(len(track), start + len(sound))
    track[start:end] += gain * sound[: end - start]


def _fades(length: int, sample_rate: int) -> np.ndarray:
    envelope = np.ones(length)
    fade_in, fade_out = round(FADE_IN_SECONDS * sample_rate), round(FADE_OUT_SECONDS * sample_rate)
    envelope[:fade_in] = np.linspace(0.0, 1.0, fade_in)
    envelope[-fade_out:] *= np.linspace(1.0, 0.0, fade_out) ** 2
    return envelope


# --- drums ---

def _drums(sound: PreviewSound, grid: _Grid, rng: np.random.Generator) -> np.ndarray:
    kit = _Kit.make(sound, grid.sample_rate, rng)
    track = np.zeros(grid.length)
    for beat in range(grid.beats):
        in_bar = beat % grid.beats_per_bar
        for position, hit, gain in _pattern(sound, in_bar, grid.beats_per_bar, beat // grid.beats_per_bar, rng):
            _place(track, getattr(kit, hit), grid.at(beat + position), gain * rng.uniform(0.9, 1.0))
    return track


def _pattern(
    sound: PreviewSound, in_bar: int, beats_per_bar: int, bar: int, rng: np.random.Generator
) -> list[tuple[float, str, float]]:
    """The hits of one beat as (position within the beat, drum, gain).

    The beat itself is always marked (kick on one, snare on the backbeats), louder than anything between beats,
    so the pulse is the tempo and not its half or double.
    """
    energy, groove = sound.energy, sound.danceability
    hits: list[tuple[float, str, float]] = []
    backbeat = in_bar % 2 == 1 if beats_per_bar % 2 == 0 else in_bar > 0
    if in_bar == 0 or (groove > 0.62 and not backbeat) or groove > 0.8:
        hits.append((0.0, "kick", 0.8))
    if backbeat:
        hits.append((0.0, "snare", 1.0))
    elif in_bar != 0:
        hits.append((0.0, "kick", 0.65))
    if groove < 0.55 and rng.random() < 0.35 * (1 - groove):
        hits.append((0.75, "kick", 0.35))  # a syncopated ghost kick
    hat_gain = 0.12 + 0.12 * energy  # well under the kick and snare, so the pulse is the beat, not the eighths
    hits.append((0.0, "hat", hat_gain * 1.2))
    if energy > 0.3:
        hits.append((0.5, "hat", hat_gain))
    if energy > 0.72:
        hits += [(0.25, "hat", hat_gain * 0.6), (0.75, "hat", hat_gain * 0.6)]
    if energy > 0.85 and in_bar == 0 and bar % 2 == 1:
        hits.append((0.0, "crash", 0.5))
    return hits


@dataclass(frozen=True, slots=True)
class _Kit:
    kick: np.ndarray
    snare: np.ndarray
    hat: np.ndarray
    crash: np.ndarray

    @classmethod
    def make(cls, sound: PreviewSound, sample_rate: int, rng: np.random.Generator) -> _Kit:
        acoustic = sound.acousticness

        def seconds(duration: float) -> np.ndarray:
            return np.arange(round(duration * sample_rate)) / sample_rate

        # Kick: a falling sine; electronic ones (808) start higher and ring longer.
        t = seconds(0.45)
        low, high, decay = 48.0 + 12 * acoustic, 150.0 - 40 * acoustic, 0.32 - 0.2 * acoustic
        frequency = low + (high - low) * np.exp(-t / 0.03)
        phase = 2 * np.pi * np.cumsum(frequency) / sample_rate
        kick = np.sin(phase) * np.exp(-t / decay)
        kick[: round(0.004 * sample_rate)] += rng.normal(0, 0.3, round(0.004 * sample_rate))  # beater click
        # Snare: a drum tone and a noise burst; claps (electronic) are three quick bursts.
        t = seconds(0.3)
        noise = _bright_noise(rng, len(t))
        snare = 0.5 * np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.05) + noise * np.exp(-t / (0.05 + 0.06 * acoustic))
        if acoustic < 0.5:
            for delay in (0.011, 0.022):
                start = round(delay * sample_rate)
                snare[start:] += 0.6 * noise[: len(t) - start] * np.exp(-t[: len(t) - start] / 0.012)
        # Hats: short bright noise (brushes are softer and longer); a crash rings.
        t = seconds(0.12)
        hat = _bright_noise(rng, len(t), passes=2) * np.exp(-t / (0.018 + 0.03 * acoustic))
        t = seconds(1.2)
        crash = _bright_noise(rng, len(t), passes=2) * np.exp(-t / 0.45)
        return cls(kick=kick, snare=_normalised(snare), hat=_normalised(hat), crash=_normalised(crash))


def _bright_noise(rng: np.random.Generator, length: int, passes: int = 1) -> np.ndarray:
    """White noise with its lows removed (each difference pass tilts it up 6 dB per octave)."""
    noise = rng.normal(0.0, 1.0, length + passes)
    for _ in range(passes):
        noise = np.diff(noise)
    return _normalised(noise)


def _normalised(samples: np.ndarray) -> np.ndarray:
    peak = np.max(np.abs(samples))
    return samples / peak if peak > 0 else samples


# --- harmony ---

# Chord roots (semitones above the tonic) and qualities; every progression opens on the tonic and returns to it,
# so that even the two bars of a short, slow preview say which key it is in.
_MAJOR_PROGRESSIONS = (
    ((0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")),
    ((0, "maj"), (5, "maj"), (0, "maj"), (7, "maj")),
    ((0, "maj"), (7, "maj"), (0, "maj"), (5, "maj")),
)
_MINOR_PROGRESSIONS = (
    ((0, "min"), (5, "min"), (7, "maj"), (0, "min")),
    ((0, "min"), (8, "maj"), (7, "maj"), (0, "min")),
    ((0, "min"), (5, "min"), (0, "min"), (7, "maj")),
)
_QUALITIES = {"maj": (0, 4, 7), "min": (0, 3, 7)}


def _harmony(sound: PreviewSound, grid: _Grid, rng: np.random.Generator) -> np.ndarray:
    """Chords (one per bar, on the beat's rhythm) over a bass line on their roots."""
    progressions = _MAJOR_PROGRESSIONS if sound.mode else _MINOR_PROGRESSIONS
    progression = progressions[int(rng.integers(len(progressions)))]
    tonic = sound.key if 0 <= sound.key <= 11 else 0
    bright = 0.5 * sound.valence + 0.5 * (0.35 + 0.3 * sound.mode) * (0.5 + sound.valence)
    chord_table = _wavetable(tilt=2.4 - 1.6 * bright, harmonics=12)
    bass_table = _wavetable(tilt=2.0, harmonics=4)
    track = np.zeros(grid.length)
    bar_samples = grid.beat * grid.beats_per_bar
    # Bars shorter than 1.6 s hold each chord for two bars, so that a short preview still hears the tonic long.
    bars_per_chord = 2 if bar_samples < 1.6 * grid.sample_rate else 1
    for bar in range(math.ceil(grid.length / bar_samples) + 1):
        root, quality = progression[(bar // bars_per_chord) % len(progression)]
        base = _voicing_base(tonic, root, bright)
        notes = [base + interval for interval in _QUALITIES[quality]]
        bass = 36 + (tonic + root) % 12
        for in_bar in range(grid.beats_per_bar):
            beat = bar * grid.beats_per_bar + in_bar
            _chord_beat(track, sound, grid, notes, beat, chord_table)
            _bass_beat(track, sound, grid, bass, beat, bass_table)
    return track


def _voicing_base(tonic: int, root: int, bright: float) -> int:
    """The MIDI note of the chord's root: around G3..F#4, an octave up for bright songs."""
    pitch_class = (tonic + root) % 12
    base = 55 + (pitch_class - 7) % 12
    return base + (12 if bright > 0.62 else 0)


def _chord_beat(
    track: np.ndarray, sound: PreviewSound, grid: _Grid, notes: list[int], beat: int, table: np.ndarray
) -> None:
    """Acoustic: a plucked strum on each beat. Electronic: a held pad with stabs on the off-beats when energetic."""
    acoustic = sound.acousticness
    start = grid.at(beat)
    duration = grid.beat * (1.0 if acoustic >= 0.5 else 1.02)
    gain = 0.16
    for index, note in enumerate(notes):
        strum = round(index * 0.012 * grid.sample_rate * acoustic)
        tone = _tone(table, _frequency(note), round(duration), grid.sample_rate, pluck=acoustic)
        _place(track, tone, start + strum, gain)
    if acoustic < 0.5 and sound.energy > 0.6:
        stab = round(grid.beat * 0.25)
        for note in notes:
            tone = _tone(table, _frequency(note + 12), stab, grid.sample_rate, pluck=0.7)
            _place(track, tone, grid.at(beat + 0.5), gain * 0.6 * sound.energy)


def _bass_beat(
    track: np.ndarray, sound: PreviewSound, grid: _Grid, note: int, beat: int, table: np.ndarray
) -> None:
    """Roots on the beat; danceable songs add the octave on the off-beat."""
    length = round(grid.beat * (0.9 if sound.danceability > 0.6 else 1.0))
    _place(track, _tone(table, _frequency(note), length, grid.sample_rate, pluck=0.6), grid.at(beat), 0.3)
    if sound.danceability > 0.6:
        octave = _tone(table, _frequency(note + 12), round(grid.beat * 0.45), grid.sample_rate, pluck=0.8)
        _place(track, octave, grid.at(beat + 0.5), 0.18)


def _frequency(midi: int) -> float:
    return _A4 * 2.0 ** ((midi - 69) / 12)


def _wavetable(*, tilt: float, harmonics: int) -> np.ndarray:
    """One cycle whose k-th harmonic has amplitude 1/k**tilt: a low tilt is bright (saw-like), a high one mellow."""
    phase = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    cycle = sum(np.sin(2 * np.pi * k * phase) / k**tilt for k in range(1, harmonics + 1))
    return _normalised(cycle)


def _tone(table: np.ndarray, frequency: float, length: int, sample_rate: int, *, pluck: float) -> np.ndarray:
    """`length` samples of the wavetable at `frequency`, with a pluck's decay (pluck=1) or a pad's swell (0)."""
    key = (id(table), frequency, length, sample_rate, pluck)
    cached = _TONES.get(key)
    if cached is None:
        cached = _TONES[key] = _tone_samples(table, frequency, length, sample_rate, pluck)
    return cached


# Tones repeat beat after beat within a preview; preview_render clears this after each preview.
_TONES: dict[tuple, np.ndarray] = {}


def _tone_samples(table: np.ndarray, frequency: float, length: int, sample_rate: int, pluck: float) -> np.ndarray:
    t = np.arange(length) / sample_rate
    index = (np.arange(length) * (frequency * _TABLE_SIZE / sample_rate)).astype(np.int64) % _TABLE_SIZE
    attack = np.minimum(1.0, t / (0.004 + 0.05 * (1 - pluck)))
    decay = np.exp(-t / (0.15 + 1.5 * (1 - pluck)))
    release = np.minimum(1.0, (length - np.arange(length)) / (0.01 * sample_rate))
    return table[index] * attack * decay * release


# --- level ---

def _to_loudness(mix: np.ndarray, target_lufs: float, sample_rate: int) -> np.ndarray:
    """Scale (and softly limit, where the target is loud) to `target_lufs` integrated loudness, peaks under 0 dBFS.

    K-weighting is linear and the gates are relative, so one measurement gives the gain exactly. A mix that needs
    limiting at that gain loses some loudness to the limiter: one more measurement says how much, and the gain is
    raised by a little more than that, until the limited mix is within a quarter dB (or four tries have passed).
    """
    current = integrated_loudness(mix, sample_rate)
    if not math.isfinite(current):
        return np.zeros_like(mix)
    gain = 10 ** ((target_lufs - current) / 20)
    if np.max(np.abs(mix)) * gain <= _LIMIT_FROM:
        return mix * gain
    limited = _soft_limit(mix * gain)
    for _ in range(4):
        shortfall = target_lufs - integrated_loudness(limited, sample_rate)
        if shortfall < 0.25:
            break
        gain *= 10 ** (shortfall * 1.3 / 20)
        limited = _soft_limit(mix * gain)
    return limited


_LIMIT_FROM = 0.7  # peaks above this are bent down by a tanh knee, never past 0 dBFS


def _soft_limit(samples: np.ndarray) -> np.ndarray:
    out = samples.copy()
    over = np.abs(out) > _LIMIT_FROM
    headroom = 0.999 - _LIMIT_FROM
    out[over] = np.sign(out[over]) * (_LIMIT_FROM + headroom * np.tanh((np.abs(out[over]) - _LIMIT_FROM) / headroom))
    return out


@functools.lru_cache(maxsize=8)
def _meter(sample_rate: int) -> pyloudnorm.Meter:
    return pyloudnorm.Meter(sample_rate)


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness of mono samples in LUFS (ITU-R BS.1770-4, by pyloudnorm); -inf for silence."""
    if len(samples) < round(0.4 * sample_rate):
        return -math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyloudnorm warns about clipping, which the limiter handles
        with np.errstate(divide="ignore"):
            return float(_meter(sample_rate).integrated_loudness(np.asarray(samples, dtype=np.float64)))
