"""The only bridge between the catalog (ORM) and the engines: training model versions and asking them.

- `training`: `recommender_train` (fit, store, activate; skipped when the catalog is unchanged),
  `model_version_activate`, `model_versions_fail_abandoned`, `model_versions_retire`.
- `recommending`: `recommend_content`, `recommend_clusters`, `recommend_situation`, returning Track rows.
- `rebuilds`: the scheduled, debounced rebuilds (dirty: the catalog change count is past the one rebuilt).
- `today`: each listener's daily list (`today_request`, `today_compute`, `today_precompute_all`) and `reaction_set`.
"""
from recommendations.artifacts import ArtifactUnavailable, ModelNotTrained
from recommendations.services.rebuilds import (
    RebuildOutcome,
    dataset_rebuild,
    dataset_rebuild_if_dirty,
    dataset_state,
    listeners_precompute_today,
)
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
from recommendations.services.today import (
    RerollLimitReached,
    SpotifySaveError,
    TodayItem,
    reaction_set,
    today_compute,
    today_items,
    today_latest,
    today_precompute_all,
    today_request,
    today_save_to_spotify,
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
    "RebuildOutcome",
    "dataset_rebuild",
    "dataset_rebuild_if_dirty",
    "dataset_state",
    "listeners_precompute_today",
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
    "RerollLimitReached",
    "SpotifySaveError",
    "TodayItem",
    "reaction_set",
    "today_compute",
    "today_items",
    "today_latest",
    "today_precompute_all",
    "today_request",
    "today_save_to_spotify",
]
