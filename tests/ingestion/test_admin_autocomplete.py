"""Picking a track in the admin (suggested tracks, favourites): four tracks with one title can be told apart, and
the one picked is the one saved."""
import datetime as dt

import pytest
from django.urls import reverse

from filters.models import SuggestedTrack
from tests.factories import AlbumFactory, ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db

AUTOCOMPLETE_URL = reverse("admin:autocomplete")


@pytest.fixture
def moonlights():
    """Four tracks called "Moonlight Pt. 2", by four artists on four albums of different years."""
    tracks = []
    for n, (artist, album, year) in enumerate(
        [("Luna", "Night", 2019), ("Sol", "Day", 2020), ("Mar", "Tide", 2021), ("Ceu", "Sky", 2022)]
    ):
        album = AlbumFactory(name=album, artist=ArtistFactory(name=artist), release_date=dt.date(year, 1, 1 + n))
        tracks.append(TrackFactory(name="Moonlight Pt. 2", album=album))
    return tracks


def autocomplete(admin_client, term: str) -> dict[str, str]:
    response = admin_client.get(
        AUTOCOMPLETE_URL,
        {"term": term, "app_label": "filters", "model_name": "suggestedtrack", "field_name": "track"},
    )
    assert response.status_code == 200
    return {result["text"]: result["id"] for result in response.json()["results"]}


def test_the_track_autocomplete_lists_title_artist_album_and_year(admin_client, moonlights):
    results = autocomplete(admin_client, "Moonlight")

    assert set(results) == {
        "Moonlight Pt. 2 — Luna — Night (2019)",
        "Moonlight Pt. 2 — Sol — Day (2020)",
        "Moonlight Pt. 2 — Mar — Tide (2021)",
        "Moonlight Pt. 2 — Ceu — Sky (2022)",
    }


def test_picking_one_of_four_same_titles_saves_that_track(admin_client, moonlights):
    chosen_id = autocomplete(admin_client, "Moonlight")["Moonlight Pt. 2 — Mar — Tide (2021)"]

    response = admin_client.post(
        reverse("admin:filters_suggestedtrack_add"), {"track": chosen_id, "position": 0, "is_active": "on"}
    )

    assert response.status_code == 302
    suggestion = SuggestedTrack.objects.get()
    assert suggestion.track == moonlights[2]
    change_page = admin_client.get(reverse("admin:filters_suggestedtrack_change", args=[suggestion.pk])).content
    assert "Moonlight Pt. 2 — Mar — Tide (2021)" in change_page.decode()
    listing = admin_client.get(reverse("admin:filters_suggestedtrack_changelist")).content.decode()
    assert "Moonlight Pt. 2 — Mar — Tide (2021)" in listing


def test_the_autocomplete_finds_a_track_by_its_artist(admin_client, moonlights):
    assert list(autocomplete(admin_client, "Ceu")) == ["Moonlight Pt. 2 — Ceu — Sky (2022)"]


def test_other_autocompletes_keep_their_names(admin_client):
    ArtistFactory(name="Luna")

    response = admin_client.get(
        AUTOCOMPLETE_URL, {"term": "Lun", "app_label": "ingestion", "model_name": "album", "field_name": "artist"}
    )

    assert [result["text"] for result in response.json()["results"]] == ["Luna"]


def test_the_autocomplete_needs_a_staff_login(client, moonlights):
    response = client.get(
        AUTOCOMPLETE_URL,
        {"term": "Moon", "app_label": "filters", "model_name": "suggestedtrack", "field_name": "track"},
    )

    assert response.status_code == 302
