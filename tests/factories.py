"""factory_boy factories for the catalog; every field a test does not name gets a plausible value."""
import datetime as dt

import factory
from django.utils import timezone

from ingestion.models import Album, Artist, Genre, Playlist, PlaylistTrack, Track, TrackArtist

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def fake_spotify_id(n: int) -> str:
    """A deterministic 22-character base62 id, shaped like Spotify's."""
    digits = []
    for _ in range(22):
        n, remainder = divmod(n, 62)
        digits.append(_BASE62[remainder])
    return "".join(reversed(digits))


class TimestampedFactory(factory.django.DjangoModelFactory):
    first_seen = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda obj: obj.first_seen)


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"genre {n}")


class ArtistFactory(TimestampedFactory):
    class Meta:
        model = Artist
        skip_postgeneration_save = True

    spotify_id = factory.Sequence(lambda n: fake_spotify_id(1_000_000 + n))
    name = factory.Sequence(lambda n: f"Artist {n}")

    @factory.post_generation
    def genres(self, create, extracted, **kwargs):
        if create and extracted:
            self.genres.set([GenreFactory(name=name) if isinstance(name, str) else name for name in extracted])


class AlbumFactory(TimestampedFactory):
    class Meta:
        model = Album

    spotify_id = factory.Sequence(lambda n: fake_spotify_id(2_000_000 + n))
    name = factory.Sequence(lambda n: f"Album {n}")
    artist = factory.SubFactory(ArtistFactory)
    release_date = dt.date(2022, 5, 20)
    release_date_precision = Album.ReleaseDatePrecision.DAY


class TrackFactory(TimestampedFactory):
    class Meta:
        model = Track
        skip_postgeneration_save = True

    spotify_id = factory.Sequence(lambda n: fake_spotify_id(3_000_000 + n))
    name = factory.Sequence(lambda n: f"Track {n}")
    album = factory.SubFactory(AlbumFactory)
    duration_ms = 200_000
    danceability = 0.5
    energy = 0.5
    valence = 0.5
    tempo = 120.0
    acousticness = 0.2
    features_source = Track.FeatureSource.IMPORTED

    @factory.post_generation
    def artists(self, create, extracted, **kwargs):
        """TrackFactory(artists=[a, b]) credits them in order; by default the album's artist."""
        if not create:
            return
        credited = extracted if extracted is not None else ([self.album.artist] if self.album else [])
        TrackArtist.objects.bulk_create(
            TrackArtist(track=self, artist=artist, position=i) for i, artist in enumerate(credited)
        )


class PlaylistFactory(TimestampedFactory):
    class Meta:
        model = Playlist
        skip_postgeneration_save = True

    source = Playlist.Source.MPD
    external_id = factory.Sequence(str)
    name = factory.Sequence(lambda n: f"Playlist {n}")

    @factory.post_generation
    def tracks(self, create, extracted, **kwargs):
        if create and extracted:
            PlaylistTrack.objects.bulk_create(
                PlaylistTrack(playlist=self, track=track, position=i) for i, track in enumerate(extracted)
            )
