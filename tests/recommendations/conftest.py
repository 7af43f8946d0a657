from pathlib import Path

import pytest

from ingestion.models import Track
from recommendations.artifacts import forget_loaded_engines
from tests.factories import ArtistFactory, TrackFactory


@pytest.fixture
def model_storage(settings, tmp_path: Path) -> Path:
    """Model artifacts and the download cache in a temporary folder; no engine cached across tests."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    forget_loaded_engines()
    yield tmp_path
    forget_loaded_engines()


@pytest.fixture
def catalog() -> list[Track]:
    """Eight tracks by a k-pop and a rock artist, energy rising and valence falling along the list."""
    pop, rock = ArtistFactory(genres=["k-pop"]), ArtistFactory(genres=["rock"])
    return [TrackFactory(artists=[pop if i % 2 else rock], energy=i / 10, valence=1 - i / 10) for i in range(8)]


# Today's pages (test_views_today, test_today_page_cache); a module with fixtures of these names keeps its own.


@pytest.fixture
def tracks():
    """The listener catalog (tests.filters.catalog) with every recommender trained on it."""
    from tests.filters.catalog import build_listener_catalog, train_recommenders

    tracks = build_listener_catalog()
    train_recommenders()
    return tracks


@pytest.fixture
def listener(client):
    """A listener with a complete taste, logged in on `client`."""
    from tests.recommendations.today_pages import make_listener

    user = make_listener()
    client.force_login(user)
    return user


@pytest.fixture
def ready(client, listener, tracks, django_capture_on_commit_callbacks):
    """The listener's list of today, computed in-process."""
    from recommendations.models import TodayList

    with django_capture_on_commit_callbacks(execute=True):
        client.get("/today/loading/")
    return TodayList.objects.get(user=listener)
