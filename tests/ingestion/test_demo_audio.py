"""The demo preview synthesizer (ingestion.demo.audio): pure, deterministic, and it carries the features it claims."""
import io

import numpy as np
import pytest
import soundfile

from ingestion.demo.audio import (
    PREVIEW_FORMATS,
    PREVIEW_RATE,
    PreviewSound,
    integrated_loudness,
    preview_encode,
    preview_file,
    preview_render,
)

SR = PREVIEW_RATE
BASE = {
    "tempo": 120.0, "key": 0, "mode": 1, "time_signature": 4, "energy": 0.6, "danceability": 0.6,
    "acousticness": 0.3, "valence": 0.5, "loudness": -9.0,
}


def sound(**changes) -> PreviewSound:
    return PreviewSound.from_features({**BASE, **changes})


def render(seconds: float = 4.0, seed: str = "a track", **changes) -> np.ndarray:
    return preview_render(sound(**changes), seed=seed, seconds=seconds)


def spectral_centroid(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    frequencies = np.fft.rfftfreq(len(samples), 1 / SR)
    return float((spectrum * frequencies).sum() / spectrum.sum())


def test_same_sound_and_seed_give_the_same_samples_and_another_seed_others():
    assert np.array_equal(render(), render())
    assert not np.array_equal(render(), render(seed="another track"))


def test_length_and_range():
    samples = render(seconds=3.0)
    assert samples.dtype == np.float32
    assert len(samples) == 3 * SR
    assert np.max(np.abs(samples)) < 1.0


@pytest.mark.parametrize("lufs", [-21.0, -12.0, -6.0, -4.0])
def test_the_mix_has_the_tracks_loudness(lufs):
    assert integrated_loudness(render(loudness=lufs), SR) == pytest.approx(lufs, abs=0.7)


def test_fast_songs_are_measured_fast_and_slow_ones_slow():
    from recommendations.engines.audio.analysis import analyse_audio

    fast = analyse_audio(preview_file(sound(tempo=160, energy=0.5), seed="fast", seconds=6.0))
    slow = analyse_audio(preview_file(sound(tempo=80, energy=0.5), seed="slow", seconds=6.0))
    assert fast.tempo == pytest.approx(160, abs=3)
    assert slow.tempo == pytest.approx(80, abs=3)


def test_bright_songs_are_brighter_than_dark_ones():
    bright = render(valence=0.9, mode=1, acousticness=0.1, loudness=-9)
    dark = render(valence=0.1, mode=0, acousticness=0.1, loudness=-9)
    assert spectral_centroid(bright) > 1.15 * spectral_centroid(dark)


def test_missing_values_take_middling_defaults_and_out_of_range_ones_are_clamped():
    assert PreviewSound.from_features({}).tempo == 110.0
    wild = PreviewSound.from_features({**BASE, "tempo": 999, "energy": 3, "loudness": 4, "time_signature": 11})
    assert (wild.tempo, wild.energy, wild.loudness, wild.time_signature) == (220.0, 1.0, -3.0, 4)


def test_fingerprint_changes_with_what_the_samples_depend_on():
    assert sound().fingerprint("a") == sound().fingerprint("a")
    assert len({sound().fingerprint("a"), sound().fingerprint("b"), sound(tempo=121).fingerprint("a"),
                sound().fingerprint("a", seconds=4)}) == 4


@pytest.mark.parametrize("name", sorted(PREVIEW_FORMATS))
def test_every_format_decodes_to_the_same_length(name):
    samples = render(seconds=2.0)
    data = preview_encode(samples, format=name)
    decoded, rate = soundfile.read(io.BytesIO(data))
    assert rate == SR
    assert abs(len(decoded) - len(samples)) < 0.05 * SR


def test_a_preview_file_is_ogg_vorbis():
    data = preview_file(sound(), seed="x", seconds=2.0)
    info = soundfile.info(io.BytesIO(data))
    assert (info.format, info.subtype, info.channels, info.samplerate) == ("OGG", "VORBIS", 1, SR)
    assert data[:4] == b"OggS"
