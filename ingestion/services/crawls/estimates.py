"""Audio features estimated from a track's nearest catalog neighbours, for apps Spotify gives none.

Neighbours are tracks with real features (from Spotify or imported files, never other estimates, so an
estimate does not drift with the order tracks arrive): first the tracks of the same artists, else tracks
whose artists share a genre with the track's artists. The estimate is their mean (whole-number features
rounded), stored as `estimated`. A track with no neighbour keeps its features missing.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Avg, Count, QuerySet

from ingestion.importers.records import Origin, TrackFeatures, TrackRecord
from ingestion.models import FEATURE_FIELDS, Genre, Track, TrackArtist
from ingestion.services.catalog import UpsertSummary, catalog_upsert_tracks
from ingestion.services.catalog.common import chunks

WHOLE_FEATURES = frozenset({"key", "mode", "time_signature"})
REAL_FEATURES = (Track.FeatureSource.SPOTIFY, Track.FeatureSource.IMPORTED)
# Measured from the track's own audio: better than any neighbours' mean, so never estimated over.
NOT_ESTIMATED = (*REAL_FEATURES, Track.FeatureSource.ANALYSED)


def features_estimate_tracks(*, track_ids: Iterable[str], summary: UpsertSummary) -> int:
    """Estimate and store features for those of `track_ids` still without real or analysed ones; returns how many
    got one.

    Safe to re-run: the same catalog gives the same estimates, and unchanged rows are not written.
    """
    records: list[TrackRecord] = []
    for chunk in chunks(sorted(set(track_ids))):
        tracks = Track.objects.filter(spotify_id__in=chunk).exclude(features_source__in=NOT_ESTIMATED)
        for track in tracks.only("pk", "spotify_id", "name"):
            features = _estimate(track)
            if features is not None:
                records.append(
                    TrackRecord(
                        name=track.name,
                        origin=Origin(f"spotify:track:{track.spotify_id}", 0),
                        spotify_id=track.spotify_id,
                        features=features,
                        features_source=Track.FeatureSource.ESTIMATED,
                    )
                )
    for chunk in chunks(records, 500):
        catalog_upsert_tracks(records=list(chunk), summary=summary)
    return len(records)


def _estimate(track: Track) -> TrackFeatures | None:
    artist_ids = list(TrackArtist.objects.filter(track=track).values_list("artist_id", flat=True))
    real = Track.objects.filter(features_source__in=REAL_FEATURES).exclude(pk=track.pk)
    same_artists = real.filter(pk__in=TrackArtist.objects.filter(artist_id__in=artist_ids).values("track_id"))
    features = _mean(same_artists)
    if features is None:
        genres = Genre.objects.filter(artists__in=artist_ids).values("pk")
        sharing = TrackArtist.objects.filter(artist__genres__in=genres).values("track_id")
        features = _mean(real.filter(pk__in=sharing))
    return features


def _mean(neighbours: QuerySet) -> TrackFeatures | None:
    found = neighbours.aggregate(n=Count("pk"), **{name: Avg(name) for name in FEATURE_FIELDS})
    if not found.pop("n"):
        return None
    values = {
        name: (None if value is None else round(value) if name in WHOLE_FEATURES else round(value, 4))
        for name, value in found.items()
    }
    return TrackFeatures(**values)
