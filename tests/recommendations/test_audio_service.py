"""The audio model against the catalog: training on tracks with audio and real features, the measured-only
fallback, provenance (analysed features never replace real ones), and the analysis task's idempotency."""
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ingestion.demo.audio import PreviewSound, preview_file
from ingestion.importers.records import Origin, TrackFeatures, TrackRecord
from ingestion.models import Track
from ingestion.services.catalog import UpsertSummary, catalog_upsert_tracks
from ingestion.services.changes import catalog_state
from recommendations.models import ModelVersion, TrackAudioAnalysis
from recommendations.services.audio import track_audio_analyse, track_features_store, tracks_audio_analyse
from recommendations.services.training import NothingToTrainOn, recommender_train
from recommendations.tasks import analyse_tracks_audio_task
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_process(settings):
    settings.AUDIO_ANALYSIS_WORKERS = 1  # starting worker processes costs more than these few files


SECONDS = 8.0  # as long as a demo preview: shorter ones sometimes lose the beat


def _with_preview(track: Track, seed: str = "") -> Track:
    """Give `track` a short synthesized preview of its own features (the demo synthesizer)."""
    features = {name: getattr(track, name) for name in ("tempo", "key", "mode", "time_signature", "energy",
                                                         "danceability", "acousticness", "valence", "loudness")}
    data = preview_file(PreviewSound.from_features(features), seed=seed or track.name, seconds=SECONDS)
    track.audio_file = default_storage.save(f"audio/test/{track.pk}.ogg", ContentFile(data))
    track.save(update_fields=["audio_file"])
    return track


def _real_tracks(count: int) -> list[Track]:
    """Imported tracks whose energy and danceability rise together with tempo and loudness."""
    return [
        _with_preview(TrackFactory(
            energy=0.1 + 0.8 * i / count, danceability=0.2 + 0.6 * i / count, valence=0.3 + 0.4 * (i % 2),
            acousticness=0.9 - 0.8 * i / count, tempo=80 + 5 * i, key=i % 12, mode=i % 2, time_signature=4,
            loudness=-20 + 12 * i / count,
        ))  # fmt: skip
        for i in range(count)
    ]


def _new_release() -> Track:
    """A track Spotify would not describe: no features at all, but a preview."""
    track = TrackFactory(danceability=None, energy=None, valence=None, tempo=None, acousticness=None,
                         features_source=Track.FeatureSource.MISSING)  # fmt: skip
    features = {"tempo": 128.0, "key": 9, "mode": 0, "time_signature": 4, "energy": 0.8, "danceability": 0.8,
                "acousticness": 0.1, "valence": 0.4, "loudness": -7.0}
    data = preview_file(PreviewSound.from_features(features), seed="new release", seconds=SECONDS)
    track.audio_file = default_storage.save(f"audio/test/new-{track.pk}.ogg", ContentFile(data))
    track.save(update_fields=["audio_file"])
    return track


@pytest.fixture
def learned(settings, model_storage):
    """An audio model learned from ten imported tracks (the minimum lowered to ten for the test)."""
    settings.AUDIO_MIN_TRAINING_TRACKS = 10
    tracks = _real_tracks(10)
    return recommender_train(engine="audio"), tracks


def test_training_reports_the_cross_validated_error_of_each_feature(learned):
    version, tracks = learned
    metrics = version.metrics
    assert version.is_active and metrics["learned"] and metrics["training_tracks"] == 10
    energy = metrics["learned_features"]["energy"]
    assert energy["model"] in ("ridge", "gradient_boosting", "mean") and 0 <= energy["cv_mae"] <= energy["mean_mae"]
    assert set(metrics["learned_features"]) == {"danceability", "energy", "valence", "acousticness"}  # known ones
    assert metrics["measured_agreement"]["tempo"]["tracks"] == 10
    # The real features were read, never written.
    sources = set(Track.objects.filter(pk__in=[t.pk for t in tracks]).values_list("features_source", flat=True))
    assert sources == {Track.FeatureSource.IMPORTED}
    assert recommender_train(engine="audio") is None  # same audio, same features: skipped


def test_a_new_release_gets_analysed_features(learned):
    track = _new_release()
    assert track_audio_analyse(track_id=track.pk) == "analysed"
    track.refresh_from_db()
    assert track.features_source == Track.FeatureSource.ANALYSED
    assert track.tempo == pytest.approx(128.0, abs=2.0) and (track.key, track.mode) == (9, 0)
    assert 0 <= track.energy <= 1 and track.speechiness is None  # not learned: unknown, not guessed
    assert TrackAudioAnalysis.objects.get(track=track).model_version == learned[0]


def test_too_few_tracks_say_so_and_estimate_only_what_is_measured(settings, model_storage):
    _real_tracks(6)
    version = recommender_train(engine="audio")
    assert version.metrics["learned"] is False and version.metrics["learned_features"] == {}
    assert version.metrics["training_tracks"] == 6 and version.metrics["min_training_tracks"] == 40
    track = _new_release()
    assert track_audio_analyse(track_id=track.pk) == "measured"
    track.refresh_from_db()
    assert track.features_source == Track.FeatureSource.MISSING and track.energy is None
    assert track.tempo == pytest.approx(128.0, abs=2.0) and (track.key, track.mode) == (9, 0)
    assert track.loudness == pytest.approx(-7.0, abs=1.5)


def test_no_track_with_audio_and_real_features_is_nothing_to_train_on(model_storage):
    TrackFactory()
    with pytest.raises(NothingToTrainOn, match="audio"):
        recommender_train(engine="audio")
    assert not ModelVersion.objects.filter(engine="audio").exists()


@pytest.mark.parametrize("source", [Track.FeatureSource.SPOTIFY, Track.FeatureSource.IMPORTED])
def test_an_analysis_never_overwrites_real_features(learned, source):
    track = _with_preview(TrackFactory(features_source=source, energy=0.11, tempo=61.0, key=3), seed="other sound")
    assert track_audio_analyse(track_id=track.pk) == "kept"
    assert track_features_store(track_id=track.pk, features={"energy": 0.9, "danceability": 0.9, "valence": 0.9,
                                                             "tempo": 150.0}) == "kept"  # fmt: skip
    track.refresh_from_db()
    assert (track.features_source, track.energy, track.tempo, track.key) == (source, 0.11, 61.0, 3)


def test_estimates_and_imports_rank_against_analysed_features(learned):
    track = _new_release()
    track_audio_analyse(track_id=track.pk)
    estimate = TrackRecord(name=track.name, origin=Origin("test", 1), spotify_id=track.spotify_id,
                           features=TrackFeatures(danceability=0.1, energy=0.1, valence=0.1),
                           features_source=Track.FeatureSource.ESTIMATED)  # fmt: skip
    catalog_upsert_tracks(records=[estimate], summary=UpsertSummary())
    track.refresh_from_db()
    assert track.features_source == Track.FeatureSource.ANALYSED and track.energy != 0.1
    imported = TrackRecord(name=track.name, origin=Origin("test", 2), spotify_id=track.spotify_id,
                           features=TrackFeatures(danceability=0.2, energy=0.2, valence=0.2))  # fmt: skip
    catalog_upsert_tracks(records=[imported], summary=UpsertSummary())
    track.refresh_from_db()
    assert (track.features_source, track.energy) == (Track.FeatureSource.IMPORTED, 0.2)
    # ... and the next analysis run leaves the now real features alone.
    assert tracks_audio_analyse().tracks == 0


def test_the_analysis_task_is_idempotent(learned):
    track = _new_release()
    first = analyse_tracks_audio_task()
    assert "1 analysed" in first
    changes = catalog_state().change_count
    assert analyse_tracks_audio_task() == "audio analysis: no track without real features has audio to analyse"
    assert catalog_state().change_count == changes
    track.refresh_from_db()
    assert track.features_source == Track.FeatureSource.ANALYSED


def test_a_broken_file_is_recorded_and_not_tried_again(model_storage):
    track = TrackFactory(danceability=None, energy=None, valence=None, tempo=None, acousticness=None,
                         features_source=Track.FeatureSource.MISSING)  # fmt: skip
    track.audio_file = default_storage.save("audio/test/broken.ogg", ContentFile(b"OggS not really"))
    track.save(update_fields=["audio_file"])
    assert track_audio_analyse(track_id=track.pk) == "failed"
    assert "not audio that can be read" in TrackAudioAnalysis.objects.get(track=track).error
    assert tracks_audio_analyse().tracks == 0


def test_the_admin_shows_each_features_cross_validated_error_as_a_table(admin_client, learned):
    version, _ = learned
    page = admin_client.get(f"/admin/recommendations/modelversion/{version.pk}/change/").content.decode()
    assert "Learned from 10 tracks." in page
    assert "<th>CV error (MAE)</th>" in page and "<td>energy</td>" in page
    assert f"<td>{version.metrics['learned_features']['energy']['cv_mae']:.3f}</td>" in page
    assert "Measured directly, against the tracks&#x27; real values:" in page and "within 2 BPM" in page
    listing = admin_client.get("/admin/recommendations/modelversion/").content.decode()
    assert "learned from 10 tracks" in listing


def test_the_admin_says_when_too_few_tracks_taught_the_audio_model(admin_client, model_storage):
    _real_tracks(5)
    version = recommender_train(engine="audio")
    page = admin_client.get(f"/admin/recommendations/modelversion/{version.pk}/change/").content.decode()
    assert "Too few tracks (5 of 40): measured features only." in page
    assert "<th>CV error (MAE)</th>" not in page


def test_analyse_audio_command_stores_learned_features_on_a_track(learned, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    track = TrackFactory(danceability=None, energy=None, valence=None, tempo=None, acousticness=None,
                         features_source=Track.FeatureSource.MISSING)  # fmt: skip
    path = tmp_path / "song.ogg"
    features = {"tempo": 100.0, "key": 2, "mode": 1, "time_signature": 4, "energy": 0.5, "danceability": 0.5,
                "acousticness": 0.5, "valence": 0.5, "loudness": -10.0}
    path.write_bytes(preview_file(PreviewSound.from_features(features), seed="upload", seconds=SECONDS))
    out = StringIO()
    call_command("analyse_audio", str(path), "--track", str(track.pk), stdout=out)
    assert "now measured from this audio ('analysed')" in out.getvalue()
    assert f"learned features by audio v{learned[0].version}" in out.getvalue()
    track.refresh_from_db()
    assert track.features_source == Track.FeatureSource.ANALYSED and track.energy is not None


@pytest.mark.parametrize("keep", [False, True])
def test_a_looked_up_preview_is_analysed_and_dropped_unless_kept(settings, model_storage, keep):
    from pathlib import Path

    from tests.factories import ArtistFactory
    from tests.fake_previews import FakePreviews, FakeSong

    track = TrackFactory(name="Hype Boy", artists=[ArtistFactory(name="NewJeans")], duration_ms=200_000,
                         danceability=None, energy=None, valence=None, tempo=None, acousticness=None,
                         features_source=Track.FeatureSource.MISSING)  # fmt: skip
    features = {"tempo": 100.0, "key": 4, "mode": 1, "time_signature": 4, "energy": 0.6, "danceability": 0.6,
                "acousticness": 0.3, "valence": 0.7, "loudness": -9.0}
    audio = preview_file(PreviewSound.from_features(features), seed="hype", seconds=SECONDS)
    settings.PREVIEW_SOURCES, settings.PREVIEW_KEEP_FILES = ["deezer"], keep
    song = FakeSong("NewJeans", "Hype Boy", audio=audio, extension="ogg", content_type="audio/ogg")
    with FakePreviews([song]) as fake:
        settings.DEEZER_API_URL, settings.ITUNES_API_URL = fake.deezer_url, fake.itunes_url
        assert str(tracks_audio_analyse()) == "audio analysis of 1 tracks: 1 measured"
    track.refresh_from_db()
    assert track.tempo == pytest.approx(100.0, abs=2.0) and (track.key, track.mode) == (4, 1)
    assert track.duration_ms == 200_000  # a preview's length is not the song's
    kept = list((Path(settings.MEDIA_ROOT) / "audio" / "previews").glob("*"))
    if keep:
        assert track.audio_file.name.startswith("audio/previews/") and len(kept) == 1
    else:
        assert not track.audio_file and kept == []
    assert tracks_audio_analyse().tracks == 0  # analysed once


def test_train_recommenders_says_when_too_few_tracks_taught_the_audio_model(model_storage):
    from io import StringIO

    from django.core.management import call_command

    _real_tracks(5)
    out = StringIO()
    call_command("train_recommenders", "--engine", "audio", stdout=out)
    assert "too few tracks with audio and real features (5 of 40)" in out.getvalue()
