"""The only bridge between the catalog (ORM) and the engines: training model versions and asking them.

- `training`: `recommender_train` (fit, store, activate; skipped when the catalog is unchanged),
  `model_version_activate`, `model_versions_fail_abandoned`, `model_versions_retire`.
- `recommending`: `recommend_content`, `recommend_clusters`, `recommend_situation`, returning Track rows.
"""
from recommendations.artifacts import ArtifactUnavailable, ModelNotTrained
from recommendations.services.recommending import (
    ClusterRecommendations,
    Recommendations,
    RecommendedTrack,
    SituationRecommendations,
    recommend_clusters,
    recommend_content,
    recommend_situation,
    tracks_for_display,
)
from recommendations.services.training import (
    NothingToTrainOn,
    TrainingData,
    TrainingFailed,
    model_version_activate,
    model_versions_fail_abandoned,
    model_versions_retire,
    recommender_train,
    training_data_hash,
    training_data_read,
)

__all__ = [
    "ArtifactUnavailable",
    "ClusterRecommendations",
    "ModelNotTrained",
    "NothingToTrainOn",
    "RecommendedTrack",
    "SituationRecommendations",
    "Recommendations",
    "TrainingData",
    "TrainingFailed",
    "model_version_activate",
    "model_versions_fail_abandoned",
    "model_versions_retire",
    "recommend_clusters",
    "recommend_content",
    "recommend_situation",
    "recommender_train",
    "tracks_for_display",
    "training_data_hash",
    "training_data_read",
]
