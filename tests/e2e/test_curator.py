"""A curator in the admin, in headless Debian Chromium: an unreadable upload reads as a failed run with its reason,
and the track picker tells four "Moonlight Pt. 2" apart and saves the one picked. Screenshots of the admin go to
test-artifacts/screenshots/ with the listener's pages.

Skips when /usr/bin/chromium is missing, except under CI=true, where a missing browser is a failure.
"""
from __future__ import annotations

import datetime as dt

import pytest

from filters.models import SuggestedTrack
from tests.e2e.browser import shoot
from tests.factories import AlbumFactory, ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def curator_site(settings, tmp_path, django_user_model):
    settings.MEDIA_ROOT = tmp_path / "media"
    django_user_model.objects.create_superuser("curator", "curator@example.com", "curator-pass")
    moonlights = []
    for n, (artist, album, year) in enumerate([("Luna", "Night", 2019), ("Sol", "Day", 2020), ("Mar", "Tide", 2021),
                                               ("Ceu", "Sky", 2022)]):
        album = AlbumFactory(name=album, artist=ArtistFactory(name=artist), release_date=dt.date(year, 1, 1 + n))
        moonlights.append(TrackFactory(name="Moonlight Pt. 2", album=album).pk)
    return moonlights


def admin_log_in(page, site: str) -> None:
    page.goto(f"{site}/admin/login/")
    page.fill("input[name=username]", "curator")
    page.fill("input[name=password]", "curator-pass")
    page.click("input[type=submit]")
    page.wait_for_load_state()


def test_curator_sees_a_failed_upload_in_words_and_picks_the_right_one_of_four_same_titles(
    curator_site, browser_page, tmp_path
):
    page, site, _ = browser_page
    admin_log_in(page, site)
    shoot(page, "30-admin-home")

    unreadable = tmp_path / "cover.png"
    unreadable.write_bytes(b"\x89PNG\r\n\x1a\n not a catalog at all")
    page.goto(f"{site}/admin/ingestion/importrun/upload/")
    page.set_input_files("input[type=file]", str(unreadable))
    page.click("#content-main form [type=submit]")
    page.wait_for_load_state()
    text = page.locator("#content-main, .messagelist").all_inner_texts()
    joined = " ".join(text)
    assert "failed: cover.png: cannot tell which format this file is in" in joined
    assert "rejected rows" not in page.locator(".field-status").inner_text()
    assert ":0:" not in joined and str(tmp_path) not in page.content()
    shoot(page, "31-admin-failed-upload")

    page.goto(f"{site}/admin/filters/suggestedtrack/add/")
    page.click(".field-track .select2-selection")
    page.fill(".select2-search__field", "Moonlight")
    options = page.locator(".select2-results__option:not(.loading-results)")
    options.first.wait_for()
    labels = options.all_inner_texts()
    assert "Moonlight Pt. 2 — Mar — Tide (2021)" in labels and len(set(labels)) == 4
    shoot(page, "32-admin-track-picker")
    page.click(".select2-results__option >> text=Moonlight Pt. 2 — Mar — Tide (2021)")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert "Moonlight Pt. 2 — Mar — Tide (2021)" in page.locator("#result_list").inner_text()
    shoot(page, "33-admin-suggestions")
    assert list(SuggestedTrack.objects.values_list("track_id", flat=True)) == [curator_site[2]]
