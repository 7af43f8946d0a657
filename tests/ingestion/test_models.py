import pytest
from django.db import IntegrityError, transaction

from ingestion.models import Track
from tests.factories import ArtistFactory, TrackFactory


@pytest.mark.django_db
def test_database_refuses_feature_out_of_range():
    track = TrackFactory()
    track.danceability = 167303  # the seed CSV's bug: a duration in the danceability column
    with pytest.raises(IntegrityError), transaction.atomic():
        track.save()


@pytest.mark.django_db
def test_track_without_features_must_say_missing():
    with pytest.raises(IntegrityError), transaction.atomic():
        TrackFactory(danceability=None, energy=None, valence=None, features_source=Track.FeatureSource.IMPORTED)
    assert TrackFactory(
        danceability=None, energy=None, valence=None, tempo=None, acousticness=None,
        features_source=Track.FeatureSource.MISSING,
    ).has_features is False


@pytest.mark.django_db
def test_artists_without_id_are_unique_by_name_but_ids_allow_namesakes():
    ArtistFactory(spotify_id=None, name="Elton John")
    ArtistFactory(name="Elton John")  # a namesake with a Spotify id is a different artist
    with pytest.raises(IntegrityError), transaction.atomic():
        ArtistFactory(spotify_id=None, name="Elton John")
