"""What a curator reads when an upload goes wrong: a failed run with its reason in words, each rejected row once."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from ingestion.models import ImportRun, Track
from ingestion.services.imports import import_paths
from tests.ingestion.test_admin import UPLOAD_URL, seed_json_upload, seed_row

pytestmark = pytest.mark.django_db


def upload(admin_client, capture, file: SimpleUploadedFile, **fields) -> str:
    with capture(execute=True):
        admin_client.post(UPLOAD_URL, {"file": file, "kind": "catalog", "format": "", **fields})
    run = ImportRun.objects.get()
    return admin_client.get(reverse("admin:ingestion_importrun_change", args=[run.pk])).content.decode()


def test_an_unreadable_upload_is_a_failed_run_with_its_reason_and_no_server_path(
    admin_client, django_capture_on_commit_callbacks, settings
):
    garbage = SimpleUploadedFile("garbage.csv", b"\x89PNG\x00\x01\x02 not a catalog", content_type="text/csv")

    page = upload(admin_client, django_capture_on_commit_callbacks, garbage)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.error.startswith("garbage.csv: cannot tell which format this file is in")
    assert not run.rejections.exists()
    assert "completed with rejected rows" not in page
    assert ":0:" not in page
    assert str(settings.MEDIA_ROOT) not in page and str(settings.MEDIA_ROOT) not in run.error
    assert "garbage.csv: cannot tell which format" in page


def test_an_empty_upload_fails_and_says_the_file_is_empty(admin_client, django_capture_on_commit_callbacks, settings):
    page = upload(admin_client, django_capture_on_commit_callbacks, SimpleUploadedFile("empty.json", b" "), format="")

    run = ImportRun.objects.get()
    assert (run.status, run.error) == (ImportRun.Status.FAILED, "empty.json: the file is empty.")
    assert str(settings.MEDIA_ROOT) not in page


@pytest.mark.django_db(transaction=True)
def test_the_message_after_an_unreadable_upload_says_it_failed_and_why(admin_client):
    # No outer test transaction: on_commit fires as in production, and the eager task runs in the request.
    garbage = SimpleUploadedFile("notes.txt", b"just some words\n")

    response = admin_client.post(UPLOAD_URL, {"file": garbage, "kind": "catalog", "format": ""}, follow=True)

    run = ImportRun.objects.get()
    page = response.content.decode()
    assert f"Import #{run.pk} failed: notes.txt: cannot tell which format" in page
    assert "rows rejected" not in page


def test_each_rejected_row_is_listed_once_on_the_run_page(admin_client, django_capture_on_commit_callbacks):
    rows = [seed_row(1), seed_row(2, valence=1.5), seed_row(3, energy="x")]

    page = upload(admin_client, django_capture_on_commit_callbacks, seed_json_upload(rows, name="bad.json"))

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.COMPLETED_WITH_REJECTIONS
    for rejection in run.rejections.all():
        assert page.count(escape(str(rejection))) == 1, str(rejection)
    assert page.count("valence 1.5 is outside 0..1") == 1
    assert Track.objects.get().name == "Song 1"


def test_a_file_that_cannot_be_read_beside_good_files_is_one_rejection_without_line_zero(tmp_path):
    good = tmp_path / "tracks.json"
    good.write_text(json.dumps([seed_row(1)]))
    bad = tmp_path / "notes.txt"
    bad.write_text("just some words\n")

    run = import_paths(kind="catalog", paths=[str(good), str(bad)])

    assert (run.status, run.created, run.rejected) == (ImportRun.Status.COMPLETED_WITH_REJECTIONS, 1, 1)
    rejection = run.rejections.get()
    assert str(rejection).startswith(f"{bad}: cannot tell which format")
    assert ":0:" not in str(rejection)


def test_a_command_over_only_unreadable_files_fails_the_run(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("just some words\n")

    run = import_paths(kind="catalog", paths=[str(bad)])

    assert run.status == ImportRun.Status.FAILED
    assert run.error.startswith(f"{bad}: cannot tell which format")
    assert "ImportFileError" not in run.error
