"""The audio analysis engine on synthesized audio with known ground truth (tests/audio_signals.py)."""
import numpy as np
import pytest

from ingestion.demo.audio import PreviewSound, preview_file
from recommendations.engines.audio.analysis import DESCRIPTOR_NAMES, analyse_audio
from recommendations.engines.audio.decoding import AudioError
from tests import audio_signals as signals


@pytest.mark.parametrize(("kind", "bpm"), [
    ("clicks", 60), ("drums", 72), ("clicks", 88), ("drums", 100), ("clicks", 117), ("drums", 133),
    ("clicks", 150), ("drums", 166), ("clicks", 180), ("drums", 180),
])
def test_tempo_within_two_bpm_and_never_half_or_double(kind, bpm):
    analysis = analyse_audio(signals.wav_bytes(getattr(signals, kind)(bpm)))
    assert analysis.tempo == pytest.approx(bpm, abs=2.0)


def test_key_and_mode_right_on_at_least_nine_tonal_cases_in_ten():
    cases = [(kind, tonic, major) for tonic in range(0, 12, 2) for major in (True, False)
             for kind in ("cadence", "scale")][::2]
    right = sum(
        (analysis.key, analysis.mode) == (tonic, int(major))
        for kind, tonic, major in cases
        for analysis in [analyse_audio(signals.wav_bytes(getattr(signals, kind)(tonic, major)))]
    )
    assert right >= 0.9 * len(cases)


@pytest.mark.parametrize("amplitude", [0.5, 0.1, 0.02])
def test_loudness_within_one_and_a_half_db(amplitude):
    analysis = analyse_audio(signals.wav_bytes(signals.sine(amplitude)))
    assert analysis.loudness == pytest.approx(20 * np.log10(amplitude) - 3.01, abs=1.5)


def test_duration_and_a_complete_descriptor_vector():
    analysis = analyse_audio(signals.wav_bytes(signals.drums(120, seconds=5.0)))
    assert analysis.duration_ms == 5000
    assert set(analysis.descriptors) == set(DESCRIPTOR_NAMES)
    assert np.all(np.isfinite(analysis.descriptor_vector()))
    assert analysis.measured_features()["tempo"] == pytest.approx(120, abs=2)


def test_noise_has_no_key():
    analysis = analyse_audio(signals.wav_bytes(signals.noise()))
    assert (analysis.key, analysis.mode) == (-1, None)
    assert analysis.measured_features()["key"] == -1


def test_speech_like_sound_modulates_at_the_syllable_rate_more_than_music():
    speech = analyse_audio(signals.wav_bytes(signals.speech_like()))
    music = analyse_audio(signals.wav_bytes(signals.cadence(0, True)))
    assert speech.descriptors["syllable_modulation"] > music.descriptors["syllable_modulation"]
    assert speech.descriptors["key_strength"] < music.descriptors["key_strength"]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"this is a text file, not audio" * 20, "not audio"),
    (signals.wav_bytes(signals.sine(0.1))[:60], "lasts 0.00 s"),  # a cut-off file
    (signals.wav_bytes(np.zeros(signals.RATE * 2)), "silent"),
    (signals.wav_bytes(signals.sine(0.1, seconds=0.5)), "at least"),
    (signals.wav_bytes(np.full(signals.RATE * 2, np.nan), subtype="FLOAT"), "invalid sample"),
])
def test_unusable_files_are_rejected_with_a_clear_error(data, message):
    with pytest.raises(AudioError, match=message):
        analyse_audio(data)


def test_huge_files_are_refused_unread(tmp_path):
    path = tmp_path / "huge.wav"
    path.write_bytes(signals.wav_bytes(signals.sine(0.1)))
    with pytest.raises(AudioError, match="MiB"):
        analyse_audio(path, max_bytes=10_000)
    with pytest.raises(AudioError, match="No such file"):
        analyse_audio(tmp_path / "missing.wav")


@pytest.mark.parametrize("tempo", [74.0, 96.0, 128.0, 171.0])
def test_a_demo_preview_carries_its_tracks_tempo_key_and_loudness(tempo):
    """Issue 9's check: a demo preview's measured tempo is within 3 BPM of its track's tempo."""
    features = {"tempo": tempo, "key": 9, "mode": 0, "time_signature": 4, "energy": 0.7, "danceability": 0.7,
                "acousticness": 0.2, "valence": 0.4, "loudness": -7.0}
    analysis = analyse_audio(preview_file(PreviewSound.from_features(features), seed="demo track"))
    assert analysis.tempo == pytest.approx(tempo, abs=3.0)
    assert (analysis.key, analysis.mode) == (9, 0)
    assert analysis.loudness == pytest.approx(-7.0, abs=1.5)


@pytest.mark.django_db
def test_the_stored_preview_of_a_seeded_demo_track_is_within_three_bpm_of_its_tempo(settings, tmp_path):
    """Issue 9's check end to end: seed_demo's tracks, their previews as stored in media, measured by the engine."""
    import io

    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from ingestion.models import Track
    from ingestion.services.demo_previews import demo_previews_ensure

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", "--scale=0.03", "--today=2026-11-01", "--no-previews", stdout=io.StringIO())
    with_features = Track.objects.filter(is_demo=True, tempo__isnull=False).exclude(features_source="missing")
    slowest, fastest = with_features.order_by("tempo").first(), with_features.order_by("-tempo").first()
    middle = with_features.filter(tempo__gt=slowest.tempo + 20, tempo__lt=fastest.tempo - 20).first()
    chosen = [track for track in (slowest, middle, fastest) if track is not None]

    demo_previews_ensure(track_ids=[track.pk for track in chosen], workers=1)

    for track in chosen:
        track.refresh_from_db()
        measured = analyse_audio(default_storage.path(track.audio_file.name)).tempo
        assert measured == pytest.approx(track.tempo, abs=3.0), track.name
