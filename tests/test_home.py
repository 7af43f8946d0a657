"""The home page: what the product is, the catalog at a glance, and how to fill an empty one."""
import datetime as dt

import pytest
from django.urls import reverse

from ingestion.models import Playlist
from tests.factories import AlbumFactory, ArtistFactory, GenreFactory, PlaylistFactory, TrackFactory

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def test_empty_catalog_explains_how_to_load_data(client):
    content = client.get(HOME).content.decode()

    assert "The catalog is empty" in content
    assert "manage.py seed_demo" in content
    assert "manage.py import_catalog" in content
    assert "Demo catalog" not in content


def test_counts_show_the_catalog_at_a_glance(client):
    GenreFactory(name="jazz")
    artist = ArtistFactory(genres=["k-pop", "dance pop"])
    tracks = [TrackFactory(artists=[artist]) for _ in range(3)]
    TrackFactory(danceability=None, energy=None, valence=None, features_source="missing")
    PlaylistFactory(tracks=tracks)

    response = client.get(HOME)

    overview = response.context["overview"]
    assert (overview.tracks, overview.playlists, overview.genres) == (4, 1, 3)
    assert overview.artists == 1 + 4  # the credited artist and each track's album artist
    assert overview.features_percent == 75
    content = response.content.decode()
    assert "75%" in content
    assert "The catalog is empty" not in content


def test_demo_data_shows_a_banner_and_marks_demo_releases(client):
    TrackFactory(is_demo=True, album=AlbumFactory(name="Synthetic Summer"))

    content = client.get(HOME).content.decode()

    assert "Demo catalog — synthetic data" in content
    assert "Synthetic Summer" in content
    assert "DEMO</span>" in content


def test_a_demo_playlist_alone_shows_the_banner(client):
    TrackFactory()
    PlaylistFactory(source=Playlist.Source.DEMO)

    assert "Demo catalog — synthetic data" in client.get(HOME).content.decode()


def test_real_catalog_has_no_demo_banner(client):
    TrackFactory()

    content = client.get(HOME).content.decode()

    assert "Demo catalog" not in content
    assert "DEMO</span>" not in content


def test_newest_releases_come_first_with_art_or_a_placeholder(client):
    TrackFactory(album=AlbumFactory(name="Older", release_date=dt.date(2020, 1, 1)))
    TrackFactory(album=AlbumFactory(name="Newest", release_date=dt.date(2025, 1, 1), image_url="https://i.scdn.co/image/a"))
    TrackFactory(album=AlbumFactory(name="Hidden only", release_date=dt.date(2025, 6, 1)), is_hidden=True)
    for n in range(10):
        TrackFactory(album=AlbumFactory(name=f"Filler {n}", release_date=dt.date(2023, 1, 1 + n)))

    response = client.get(HOME)

    names = [album.name for album in response.context["overview"].newest_albums]
    assert len(names) == 8
    assert names[0] == "Newest"
    assert "Older" not in names and "Hidden only" not in names
    content = response.content.decode()
    assert 'src="https://i.scdn.co/image/a"' in content
    assert "cover-placeholder" in content


def test_home_query_count_does_not_grow_with_the_catalog(client, django_assert_max_num_queries):
    """Five for the overview, two for the songs that play for the newest albums (their tracks and credits)."""
    TrackFactory(is_demo=True)
    with django_assert_max_num_queries(7):
        client.get(HOME)
    for _ in range(20):
        TrackFactory(artists=[ArtistFactory(genres=["k-pop"])])
    with django_assert_max_num_queries(7):
        client.get(HOME)


def test_staff_see_the_admin_link_and_a_logout_form(admin_client):
    content = admin_client.get(HOME).content.decode()

    assert reverse("admin:index") in content
    assert f'method="post" action="{reverse("account_logout")}"' in content


def test_visitors_see_log_in_and_the_language_switcher(client):
    content = client.get(HOME).content.decode()

    assert reverse("account_login") in content
    assert reverse("admin:index") not in content
    assert f'action="{reverse("set_language")}"' in content
    assert "한국어" in content
