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
