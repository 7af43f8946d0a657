"""Audio in the curation admin: the upload page, the upload's progress and report, and the preview action."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from ingestion.models import AudioUpload, Track
from tests.factories import ArtistFactory, TrackFactory
from tests.fake_previews import FakePreviews, FakeSong
from tests.ingestion.sounds import tone

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("admin:ingestion_audioupload_upload")
TRACKS_URL = reverse("admin:ingestion_track_changelist")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def missing_features_track(name: str, artist: str) -> Track:
    return TrackFactory(name=name, artists=[ArtistFactory(name=artist)], features_source=Track.FeatureSource.MISSING,
                        danceability=None, energy=None, valence=None, tempo=None, acousticness=None)


# --- uploads ---


def test_the_upload_page_is_linked_from_the_uploads_list(admin_client):
    content = admin_client.get(reverse("admin:ingestion_audioupload_changelist")).content.decode()

    assert UPLOAD_URL in content


@pytest.mark.django_db(transaction=True)  # the upload runs when the view's transaction commits, as it does live
def test_uploading_several_files_shows_a_report_line_per_file(admin_client):
    track = TrackFactory(name="Hype Boy", artists=[ArtistFactory(name="NewJeans")])
    files = [SimpleUploadedFile("NewJeans - Hype Boy.ogg", tone()), SimpleUploadedFile("notes.mp3", b"not audio" * 50),
             SimpleUploadedFile("Indie - New Song.mp3", tone(format="mp3"))]

    response = admin_client.post(UPLOAD_URL, {"files": files, "create_missing": "on"})

    upload = AudioUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:ingestion_audioupload_change", args=[upload.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert "1 matched, 1 created, 0 unchanged, 1 rejected" in page
    assert "NewJeans - Hype Boy.ogg" in page and "by artist and title" in page
    assert reverse("admin:ingestion_track_change", args=[track.pk]) in page
    assert "This is not audio that can be read" in page
    assert "new track, without features" in page
    assert 'http-equiv="refresh"' not in page  # finished: the page stops refreshing
    assert Track.objects.filter(name="New Song", credits__artist__name="Indie").exists()


def test_a_queued_upload_page_refreshes_itself_until_done(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(UPLOAD_URL, {"files": [SimpleUploadedFile("track-1.ogg", tone())]})

    page = admin_client.get(reverse("admin:ingestion_audioupload_change", args=[AudioUpload.objects.get().pk]))

    assert 'http-equiv="refresh" content="2"' in page.content.decode()
    assert "0 of 0 files" in page.content.decode() or "0 of 1 files" in page.content.decode()


def test_the_report_is_korean_for_a_korean_curator(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(UPLOAD_URL, {"files": [SimpleUploadedFile("empty.mp3", b"")]})

    page = admin_client.get(reverse("admin:ingestion_audioupload_change", args=[AudioUpload.objects.get().pk]),
                            headers={"accept-language": "ko"}).content.decode()

    assert "파일이 비어 있습니다." in page


def test_an_upload_without_files_is_refused_by_the_form(admin_client):
    response = admin_client.post(UPLOAD_URL, {})

    assert response.status_code == 200 and AudioUpload.objects.count() == 0
    assert response.context["form"].errors["files"]


def test_curators_without_the_permission_cannot_upload(client, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)

    assert client.get(UPLOAD_URL).status_code == 403


def test_a_tracks_isrc_is_edited_with_dashes_and_stored_without(admin_client):
    from tests.ingestion.test_admin import change_url, track_form_data

    track = TrackFactory()

    admin_client.post(change_url(track), track_form_data(track, isrc="us-rc1-76-07839"))

    track.refresh_from_db()
    assert track.isrc == "USRC17607839"
    response = admin_client.post(change_url(track), track_form_data(track, isrc="not an isrc"))
    assert "An ISRC is 12 characters" in response.content.decode()


# --- previews ---


def test_the_preview_action_says_lookup_is_off_until_configured(admin_client):
    track = missing_features_track("Hype Boy", "NewJeans")

    response = admin_client.post(TRACKS_URL, {"action": "look_up_previews", "_selected_action": [track.pk]},
                                 follow=True)

    assert "Preview lookup is off: set PREVIEW_SOURCES" in response.content.decode()


def test_the_preview_action_stores_links_of_the_selected_tracks(admin_client, settings):
    track = missing_features_track("Hype Boy", "NewJeans")
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")]) as fake:
        settings.PREVIEW_SOURCES, settings.DEEZER_API_URL = ["deezer"], fake.deezer_url
        response = admin_client.post(TRACKS_URL, {"action": "look_up_previews", "_selected_action": [track.pk]},
                                     follow=True)

    track.refresh_from_db()
    assert track.preview_url == fake.audio_url(0)
    assert "Previews: 1 found for 1 tracks (0 files kept)" in response.content.decode()


def test_the_command_looks_up_tracks_without_real_features_and_prints_a_summary(settings, capsys):
    missing_features_track("Hype Boy", "NewJeans")
    missing_features_track("Unknown Song", "Nobody")
    with FakePreviews([FakeSong("NewJeans", "Hype Boy")]) as fake:
        settings.PREVIEW_SOURCES, settings.DEEZER_API_URL = ["deezer"], fake.deezer_url
        call_command("look_up_previews", "--json", "--keep")

    counts = json.loads(capsys.readouterr().out)
    assert (counts["tracks"], counts["found"], counts["not_found"], counts["kept_files"]) == (2, 1, 1, 1)
    assert Track.objects.get(name="Hype Boy").audio_file


def test_the_command_refuses_when_lookup_is_off():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="PREVIEW_SOURCES"):
        call_command("look_up_previews")
