"""manage.py analyse_audio: features of files, clear errors (never a traceback), --json, --track."""
import json

import pytest
from django.core.management import CommandError, call_command

from ingestion.models import Track
from tests.audio_signals import cadence, drums, wav_bytes
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(tmp_path):
    paths = {
        "drums": tmp_path / "drums.wav", "chords": tmp_path / "chords.wav", "text": tmp_path / "notes.wav",
        "empty": tmp_path / "empty.flac", "huge": tmp_path / "huge.wav",
    }  # fmt: skip
    paths["drums"].write_bytes(wav_bytes(drums(120.0, 8.0)))
    paths["chords"].write_bytes(wav_bytes(cadence(tonic=9, major=False)))
    paths["text"].write_text("these are notes, not sound")
    paths["empty"].write_bytes(b"")
    with open(paths["huge"], "wb") as handle:
        handle.truncate(101 * 2**20)  # sparse: large on paper, nothing written
    return paths


def run(*args: str) -> tuple[str, int]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("analyse_audio", *args, stdout=out, stderr=StringIO())
    except SystemExit as exit:
        return out.getvalue(), exit.code
    return out.getvalue(), 0


def test_prints_each_files_measured_features(files, model_storage):
    output, code = run(str(files["drums"]), str(files["chords"]))
    assert code == 0
    drums_line = next(line for line in output.splitlines() if line.startswith(str(files["drums"])))
    assert "8.0 s" in drums_line and "120." in drums_line and "BPM" in drums_line and "LUFS" in drums_line
    assert "A minor" in output
    assert "2 of 2 files analysed; no audio model is trained (train_recommenders --engine audio)" in output


def test_unusable_files_get_a_clear_error_each_and_exit_code_one(files, model_storage):
    output, code = run(*(str(files[name]) for name in ("text", "empty", "huge")), str(files["drums"]) + ".missing")
    assert code == 1
    assert "notes.wav: This is not audio that can be read (WAV, FLAC, Ogg Vorbis/Opus or MP3 expected)" in output
    assert "empty.flac: The file is empty." in output
    assert "huge.wav: The file is 101 MiB; audio files up to 100 MiB are analysed." in output
    assert "No such file: drums.wav.missing." in output
    assert "Traceback" not in output and "0 of 4 files analysed" in output


def test_json_lists_features_and_errors(files, model_storage):
    output, code = run(str(files["drums"]), str(files["empty"]), "--json")
    document = json.loads(output)
    assert code == 1 and document["model"] is None
    good, bad = document["files"]
    assert good["path"] == str(files["drums"]) and good["features"]["tempo"] == pytest.approx(120.0, abs=2.0)
    assert good["duration_ms"] == 8000 and good["features"]["time_signature"] == 4
    assert bad == {"path": str(files["empty"]), "error": "The file is empty."}


def test_track_stores_the_measured_features_without_a_model(files, model_storage):
    track = TrackFactory(danceability=None, energy=None, valence=None, tempo=None, acousticness=None,
                         duration_ms=None, features_source=Track.FeatureSource.MISSING)  # fmt: skip
    output, code = run(str(files["drums"]), "--track", str(track.pk))
    assert code == 0 and "tempo, key, mode, loudness and time signature only" in output
    track.refresh_from_db()
    assert track.tempo == pytest.approx(120.0, abs=2.0) and track.duration_ms == 8000
    assert track.features_source == Track.FeatureSource.MISSING
    assert track.audio_analysis.audio_kind == "command" and track.audio_analysis.outcome == "measured"


def test_track_with_real_features_keeps_them(files, model_storage):
    track = TrackFactory(features_source=Track.FeatureSource.SPOTIFY, tempo=61.0)
    output, code = run(str(files["drums"]), "--track", str(track.pk))
    assert code == 0 and "never replaced" in output
    track.refresh_from_db()
    assert (track.tempo, track.features_source) == (61.0, Track.FeatureSource.SPOTIFY)


def test_track_needs_exactly_one_file_and_a_known_track(files, model_storage):
    with pytest.raises(CommandError, match="give one PATH, not 2"):
        call_command("analyse_audio", str(files["drums"]), str(files["chords"]), "--track", "1")
    with pytest.raises(CommandError, match="There is no track 999999"):
        call_command("analyse_audio", str(files["drums"]), "--track", "999999")
