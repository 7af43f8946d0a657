"""Curators' audio uploads as the service does them: each file matched, created or rejected with its reason."""
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from ingestion.audio.reasons import reason_text
from ingestion.models import Artist, AudioUpload, Track
from ingestion.services.audio_uploads import audio_upload_execute, audio_upload_queue
from ingestion.services.changes import catalog_state
from tests.factories import ArtistFactory, TrackFactory
from tests.ingestion.sounds import tagged, tone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(files: dict[str, bytes], *, create_missing=False, run=True, capture=None) -> AudioUpload:
    """Queue the files as the admin does; the task runs in-process after the commit."""
    uploaded = [SimpleUploadedFile(name, data) for name, data in files.items()]
    if capture is None:
        result = audio_upload_queue(files=uploaded, create_missing=create_missing)
    else:
        with capture(execute=run):
            result = audio_upload_queue(files=uploaded, create_missing=create_missing)
    result.refresh_from_db()
    return result


def entry(result: AudioUpload, file: str) -> dict:
    return next(e for e in result.report if e["file"] == file)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- matching ---


def test_a_file_named_by_track_id_gets_stored_as_that_tracks_audio(django_capture_on_commit_callbacks):
    track = TrackFactory()
    data = tone(format="ogg")

    result = upload({f"track-{track.pk}.ogg": data}, capture=django_capture_on_commit_callbacks)

    track.refresh_from_db()
    assert result.status == AudioUpload.Status.SUCCEEDED
    assert entry(result, f"track-{track.pk}.ogg")["outcome"] == "matched"
    assert entry(result, f"track-{track.pk}.ogg")["how"] == "track_id"
    assert track.audio_file.name.startswith("audio/uploads/") and track.audio_file.name.endswith(".ogg")
    assert default_storage.open(track.audio_file.name).read() == data


def test_a_file_named_by_spotify_id_matches_that_track(django_capture_on_commit_callbacks):
    track = TrackFactory()

    result = upload({f"{track.spotify_id}.mp3": tone(format="mp3")}, capture=django_capture_on_commit_callbacks)

    track.refresh_from_db()
    assert (result.matched, entry(result, f"{track.spotify_id}.mp3")["how"]) == (1, "spotify_id")
    assert track.audio_file.name.endswith(".mp3")


def test_an_isrc_in_the_tags_matches_every_release_of_that_recording(django_capture_on_commit_callbacks):
    single, album_version = TrackFactory(isrc="KRA382200123"), TrackFactory(isrc="KRA382200123")
    other = TrackFactory(isrc="KRA382200999")
    data = tagged(tone(format="flac"), "flac", isrc="KR-A38-22-00123")

    result = upload({"whatever.flac": data}, capture=django_capture_on_commit_callbacks)

    assert entry(result, "whatever.flac")["tracks"] == [single.pk, album_version.pk]
    assert entry(result, "whatever.flac")["how"] == "isrc"
    assert Track.objects.exclude(audio_file="").count() == 2
    other.refresh_from_db()
    assert not other.audio_file


def test_artist_and_title_from_the_file_name_match_case_insensitively(django_capture_on_commit_callbacks):
    track = TrackFactory(name="Hype Boy", artists=[ArtistFactory(name="NewJeans")])

    result = upload({"01 - newjeans - HYPE BOY.wav": tone(format="wav")}, capture=django_capture_on_commit_callbacks)

    assert entry(result, "01 - newjeans - HYPE BOY.wav")["tracks"] == [track.pk]
    assert entry(result, "01 - newjeans - HYPE BOY.wav")["how"] == "artist_title"


def test_tags_come_before_the_file_name(django_capture_on_commit_callbacks):
    tagged_track = TrackFactory(name="Ditto", artists=[ArtistFactory(name="NewJeans")])
    TrackFactory(name="Wrong", artists=[ArtistFactory(name="Name")])
    data = tagged(tone(format="mp3"), "mp3", artist="NewJeans", title="Ditto")

    result = upload({"Name - Wrong.mp3": data}, capture=django_capture_on_commit_callbacks)

    assert entry(result, "Name - Wrong.mp3")["tracks"] == [tagged_track.pk]


def test_a_sidecar_csv_names_the_tracks_of_files_inside_a_zip(django_capture_on_commit_callbacks):
    by_isrc, by_id = TrackFactory(isrc="USRC17607839"), TrackFactory()
    sidecar = f"file,isrc,track_id\nsong-a.ogg,USRC17607839,\nsong-b.ogg,,{by_id.pk}\n".encode()
    archive = zipped({"batch/song-a.ogg": tone(format="ogg"), "batch/song-b.ogg": tone(hz=330, format="ogg"),
                      "batch/tracks.csv": sidecar, "__MACOSX/._song-a.ogg": b"junk", "batch/.DS_Store": b"junk"})

    result = upload({"batch.zip": archive}, capture=django_capture_on_commit_callbacks)

    assert [e["file"] for e in result.report] == ["batch.zip/batch/song-a.ogg", "batch.zip/batch/song-b.ogg"]
    assert entry(result, "batch.zip/batch/song-a.ogg")["tracks"] == [by_isrc.pk]
    assert entry(result, "batch.zip/batch/song-b.ogg")["tracks"] == [by_id.pk]
    assert (result.files_total, result.files_done, result.matched) == (2, 2, 2)


def test_two_tracks_of_the_same_name_and_artist_are_ambiguous_and_the_file_is_rejected(
    django_capture_on_commit_callbacks,
):
    artist = ArtistFactory(name="IU")
    first, second = TrackFactory(name="Love wins all", artists=[artist]), TrackFactory(name="Love wins all",
                                                                                       artists=[artist])

    result = upload({"IU - Love wins all.ogg": tone()}, capture=django_capture_on_commit_callbacks)

    rejected = entry(result, "IU - Love wins all.ogg")
    assert rejected["outcome"] == "rejected" and rejected["reason"] == "ambiguous"
    assert f"{first.pk}, {second.pk}" in reason_text(rejected["reason"], rejected["params"])


# --- new tracks ---


def test_an_unmatched_file_becomes_a_new_track_when_asked(django_capture_on_commit_callbacks):
    data = tagged(tone(seconds=3, format="ogg"), "ogg", artist="Indie Band", title="First Song", isrc="QZES72400001")

    result = upload({"demo.ogg": data}, create_missing=True, capture=django_capture_on_commit_callbacks)

    created = Track.objects.get(pk=entry(result, "demo.ogg")["tracks"][0])
    assert entry(result, "demo.ogg")["outcome"] == "created" and result.created == 1
    assert (created.name, created.isrc, created.duration_ms) == ("First Song", "QZES72400001", 3000)
    assert [c.artist.name for c in created.credits.all()] == ["Indie Band"]
    assert created.features_source == Track.FeatureSource.MISSING and created.audio_file


def test_a_new_track_joins_an_artist_of_that_name_already_in_the_catalog(django_capture_on_commit_callbacks):
    artist = ArtistFactory(name="Jannabi")

    result = upload({"jannabi - 새 노래.mp3": tone(format="mp3")}, create_missing=True,
                    capture=django_capture_on_commit_callbacks)

    created = Track.objects.get(pk=entry(result, "jannabi - 새 노래.mp3")["tracks"][0])
    assert created.name == "새 노래" and created.credits.get().artist == artist
    assert Artist.objects.filter(name__iexact="jannabi").count() == 1


def test_uploading_the_same_batch_again_changes_nothing(django_capture_on_commit_callbacks):
    files = {"Indie Band - First Song.ogg": tone(), "Indie Band - Second Song.ogg": tone(hz=330)}
    upload(files, create_missing=True, capture=django_capture_on_commit_callbacks)
    tracks_before, count_before = Track.objects.count(), catalog_state().change_count

    again = upload(files, create_missing=True, capture=django_capture_on_commit_callbacks)

    assert [e["outcome"] for e in again.report] == ["unchanged", "unchanged"]
    assert Track.objects.count() == tracks_before and catalog_state().change_count == count_before
    assert again.status == AudioUpload.Status.SUCCEEDED


def test_without_create_an_unmatched_file_is_rejected_saying_what_was_tried(django_capture_on_commit_callbacks):
    result = upload({"Nobody - Nothing.ogg": tone()}, capture=django_capture_on_commit_callbacks)

    rejected = entry(result, "Nobody - Nothing.ogg")
    assert (rejected["outcome"], rejected["reason"]) == ("rejected", "no_match")
    assert "“Nobody - Nothing”" in reason_text(rejected["reason"], rejected["params"])
    assert Track.objects.count() == 0 and result.status == AudioUpload.Status.COMPLETED_WITH_REJECTIONS


def test_a_new_track_needs_an_artist_and_a_title(django_capture_on_commit_callbacks):
    result = upload({"recording.ogg": tone()}, create_missing=True, capture=django_capture_on_commit_callbacks)

    assert entry(result, "recording.ogg")["reason"] == "no_names" and Track.objects.count() == 0


# --- bad input ---


def test_bad_files_are_rejected_one_by_one_and_the_good_ones_still_stored(
    django_capture_on_commit_callbacks, settings
):
    settings.AUDIO_UPLOAD_MAX_BYTES = 50_000
    track = TrackFactory(name="Good", artists=[ArtistFactory(name="Band")])
    files = {
        "Band - Good.ogg": tone(),
        "empty.mp3": b"",
        "notes.mp3": b"these are my notes, not a song\n" * 40,
        "huge.wav": tone(seconds=3, format="wav"),  # 132 kB of WAV
        "click.ogg": tone(seconds=0.2),
        "song.m4a": b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 500,
    }

    result = upload(files, capture=django_capture_on_commit_callbacks)

    reasons = {e["file"]: e.get("reason") for e in result.report}
    assert reasons == {"Band - Good.ogg": None, "empty.mp3": "empty", "notes.mp3": "undecodable",
                       "huge.wav": "too_big", "click.ogg": "too_short", "song.m4a": "aac"}
    assert (result.files_total, result.matched, result.rejected) == (6, 1, 5)
    track.refresh_from_db()
    assert track.audio_file
    assert "audio files up to 48.8\xa0KB are accepted" in reason_text("too_big", entry(result, "huge.wav")["params"])
    _, staged = default_storage.listdir(f"audio/staged/{result.pk}")
    assert staged == []  # nothing left behind


def test_a_too_big_member_of_a_zip_is_refused_unread(django_capture_on_commit_callbacks, settings):
    settings.AUDIO_UPLOAD_MAX_BYTES = 50_000
    TrackFactory(name="Small", artists=[ArtistFactory(name="Band")])
    archive = zipped({"Band - Small.ogg": tone(), "Band - Big.wav": tone(seconds=3, format="wav")})

    result = upload({"batch.zip": archive}, capture=django_capture_on_commit_callbacks)

    assert [(e["file"], e["outcome"]) for e in result.report] == [
        ("batch.zip/Band - Small.ogg", "matched"), ("batch.zip/Band - Big.wav", "rejected")]
    assert entry(result, "batch.zip/Band - Big.wav")["params"]["size"] > 50_000


def test_a_broken_zip_is_one_rejection(django_capture_on_commit_callbacks):
    result = upload({"broken.zip": b"PK\x03\x04 not really a zip"}, capture=django_capture_on_commit_callbacks)

    assert [(e["file"], e["reason"]) for e in result.report] == [("broken.zip", "bad_zip")]
    assert result.status == AudioUpload.Status.COMPLETED_WITH_REJECTIONS


def test_files_past_the_batch_limit_are_rejected_by_name(django_capture_on_commit_callbacks, settings):
    settings.AUDIO_UPLOAD_MAX_FILES = 2
    files = {f"Band - Song {n}.ogg": tone(hz=200 + n * 50) for n in range(3)}

    result = upload(files, create_missing=True, capture=django_capture_on_commit_callbacks)

    assert [e["outcome"] for e in result.report] == ["created", "created", "rejected"]
    assert result.report[2]["reason"] == "too_many_files"


# --- the run itself ---


def test_a_matched_upload_counts_one_catalog_change(django_capture_on_commit_callbacks):
    tracks = [TrackFactory() for _ in range(3)]
    before = catalog_state().change_count

    upload({f"track-{t.pk}.ogg": tone(hz=200 + i * 100) for i, t in enumerate(tracks)},
           capture=django_capture_on_commit_callbacks)

    assert catalog_state().change_count == before + 1
    assert "audio upload" in catalog_state().last_change_reason


def test_running_an_upload_twice_does_nothing_the_second_time(django_capture_on_commit_callbacks):
    track = TrackFactory()
    result = upload({f"track-{track.pk}.ogg": tone()}, capture=django_capture_on_commit_callbacks)

    again = audio_upload_execute(upload_id=result.pk)

    assert again.report == result.report and again.status == AudioUpload.Status.SUCCEEDED


def test_a_queued_upload_waits_for_its_task_and_reports_progress_when_run(django_capture_on_commit_callbacks):
    track = TrackFactory()
    queued = upload({f"track-{track.pk}.ogg": tone()}, run=False, capture=django_capture_on_commit_callbacks)
    assert (queued.status, queued.files_done) == (AudioUpload.Status.QUEUED, 0)

    done = audio_upload_execute(upload_id=queued.pk)

    assert (done.status, done.files_total, done.files_done, done.matched) == ("succeeded", 1, 1, 1)


def test_a_replaced_upload_file_nobody_uses_any_more_is_deleted(django_capture_on_commit_callbacks):
    track = TrackFactory()
    upload({f"track-{track.pk}.ogg": tone(hz=440)}, capture=django_capture_on_commit_callbacks)
    track.refresh_from_db()
    first = track.audio_file.name

    upload({f"track-{track.pk}.ogg": tone(hz=550)}, capture=django_capture_on_commit_callbacks)

    track.refresh_from_db()
    assert track.audio_file.name != first
    assert not default_storage.exists(first) and default_storage.exists(track.audio_file.name)
