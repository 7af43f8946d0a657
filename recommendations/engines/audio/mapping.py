"""The learned half of the audio model: descriptors (analysis.DESCRIPTOR_NAMES) -> danceability, energy, valence,
acousticness, instrumentalness, speechiness and liveness, learned from catalog tracks whose features are real.

Per feature, a ridge regression and boosted trees are compared by k-fold cross-validated mean absolute error
against the plain mean of the training fold; the best of the three is refitted on every track and kept, with its
error. A mapping fitted on fewer than MIN_TRAINING_TRACKS tracks learns nothing (`learned` False): the audio
model then estimates only what signal processing measures directly (tempo, key, mode, loudness, time signature,
duration), and says so. How well those measured values agree with the training tracks' real ones is recorded too.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recommendations.engines.audio.analysis import DESCRIPTOR_NAMES, AudioAnalysis
from recommendations.engines.audio.regressors import BoostedTrees, RidgeRegressor
from recommendations.engines.features import read_artifact, write_artifact

ENGINE_NAME = "audio"
LEARNED_FEATURES: tuple[str, ...] = (
    "danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "liveness",
)  # fmt: skip
# What the analysis measures itself, compared with the training tracks' real values (key and mode: share right).
MEASURED_FEATURES: tuple[str, ...] = ("tempo", "key", "mode", "loudness")
MIN_TRAINING_TRACKS = 40
CV_FOLDS = 5
MODELS = ("ridge", "gradient_boosting", "mean")


@dataclass(frozen=True)
class FeatureFit:
    """How one learned feature is estimated, and how well (cross-validated mean absolute error, 0..1 units)."""

    feature: str
    model: str  # one of MODELS
    cv_mae: float
    mean_mae: float  # the same folds, predicting the training fold's mean: what "no signal" scores
    candidates: dict[str, float]  # every model's cross-validated error
    tracks: int


@dataclass
class AudioFeatureModel:
    """`estimate(analysis)` gives a track's features from one analysis; learned ones only when `learned`."""

    descriptor_names: tuple[str, ...]
    fits: dict[str, FeatureFit] = field(default_factory=dict)
    regressors: dict[str, RidgeRegressor | BoostedTrees | float] = field(default_factory=dict)
    training_tracks: int = 0
    measured_agreement: dict[str, dict[str, float]] = field(default_factory=dict)
    min_tracks: int = MIN_TRAINING_TRACKS

    @property
    def learned(self) -> bool:
        return bool(self.fits)

    @classmethod
    def fit(
        cls, descriptors: np.ndarray, targets: np.ndarray, *, measured: np.ndarray | None = None,
        truth: np.ndarray | None = None, descriptor_names: Sequence[str] = DESCRIPTOR_NAMES,
        min_tracks: int = MIN_TRAINING_TRACKS, folds: int = CV_FOLDS, seed: int = 0,
    ) -> AudioFeatureModel:
        """Fit on `descriptors` (tracks x descriptor_names) and `targets` (tracks x LEARNED_FEATURES, NaN unknown).

        `measured` and `truth` (tracks x MEASURED_FEATURES, NaN unknown) are the analysis' own values and the real
        ones, for the agreement metrics. Fewer than `min_tracks` rows: nothing is learned (see the module doc).
        """
        descriptors = np.asarray(descriptors, dtype=np.float64)
        targets = np.asarray(targets, dtype=np.float64).reshape(len(descriptors), len(LEARNED_FEATURES))
        model = cls(tuple(descriptor_names), training_tracks=len(descriptors), min_tracks=min_tracks)
        if measured is not None and truth is not None:
            model.measured_agreement = measured_agreement(np.asarray(measured, float), np.asarray(truth, float))
        if len(descriptors) < min_tracks:
            return model
        for column, feature in enumerate(LEARNED_FEATURES):
            known = ~np.isnan(targets[:, column])
            if known.sum() < min_tracks:
                continue
            x, y = descriptors[known], targets[known, column]
            fit = _cross_validated(feature, x, y, folds=folds, seed=seed)
            model.fits[feature] = fit
            model.regressors[feature] = _fit_one(fit.model, x, y, seed=seed)
        return model

    def predict(self, descriptors: np.ndarray) -> dict[str, np.ndarray]:
        """The learned features of each row (tracks x descriptor_names), clipped to 0..1."""
        x = np.atleast_2d(np.asarray(descriptors, dtype=np.float64))
        return {feature: np.clip(_predict_one(self.regressors[feature], x), 0.0, 1.0) for feature in self.fits}

    def estimate(self, analysis: AudioAnalysis) -> dict[str, float | int]:
        """A track's features from its analysis: the measured ones, plus the learned ones when the model learned."""
        return self.estimate_from(analysis.measured_features(), analysis.descriptors)

    def estimate_from(self, measured: Mapping[str, float | int], descriptors: Mapping[str, float]) -> dict[str, Any]:
        """As `estimate`, from a stored analysis: its measured features and its descriptors by name."""
        features: dict[str, Any] = dict(measured)
        if self.learned:
            missing = [name for name in self.descriptor_names if name not in descriptors]
            if missing:
                raise ValueError(f"the analysis lacks descriptors {missing[:3]}: analyse the audio again")
            row = np.array([[descriptors[name] for name in self.descriptor_names]])
            features.update({name: round(float(values[0]), 4) for name, values in self.predict(row).items()})
        return features

    def metrics(self) -> dict[str, Any]:
        """What the model version records: whether it learned, on how many tracks, and each feature's error."""
        return {
            "learned": self.learned,
            "training_tracks": self.training_tracks,
            "min_training_tracks": self.min_tracks,
            "learned_features": {name: _fit_metrics(fit) for name, fit in self.fits.items()},
            "measured_agreement": self.measured_agreement,
        }

    def save(self, directory: Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        for feature, regressor in self.regressors.items():
            if isinstance(regressor, RidgeRegressor | BoostedTrees):
                arrays.update(regressor.arrays(f"{feature}__"))
        params = {
            "descriptor_names": list(self.descriptor_names),
            "training_tracks": self.training_tracks,
            "min_tracks": self.min_tracks,
            "fits": {name: _fit_metrics(fit) for name, fit in self.fits.items()},
            "means": {name: value for name, value in self.regressors.items() if isinstance(value, float)},
            "measured_agreement": self.measured_agreement,
        }
        write_artifact(directory, engine=ENGINE_NAME, params=params, arrays=arrays)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> AudioFeatureModel:
        params, arrays = read_artifact(directory, engine=ENGINE_NAME, mmap=mmap)
        fits, regressors = {}, {}
        for name, saved in params["fits"].items():
            fits[name] = FeatureFit(name, saved["model"], saved["cv_mae"], saved["mean_mae"], saved["candidates"],
                                    saved["tracks"])  # fmt: skip
            prefix = f"{name}__"
            if saved["model"] == "ridge":
                regressors[name] = RidgeRegressor.from_arrays(arrays, prefix)
            elif saved["model"] == "gradient_boosting":
                regressors[name] = BoostedTrees.from_arrays(arrays, prefix)
            else:
                regressors[name] = float(params["means"][name])
        return cls(tuple(params["descriptor_names"]), fits, regressors, params["training_tracks"],
                   params["measured_agreement"], params["min_tracks"])  # fmt: skip


def _fit_metrics(fit: FeatureFit) -> dict[str, Any]:
    return {
        "model": fit.model,
        "cv_mae": round(fit.cv_mae, 4),
        "mean_mae": round(fit.mean_mae, 4),
        "candidates": {name: round(value, 4) for name, value in fit.candidates.items()},
        "tracks": fit.tracks,
    }


def _cross_validated(feature: str, x: np.ndarray, y: np.ndarray, *, folds: int, seed: int) -> FeatureFit:
    from sklearn.model_selection import KFold

    errors = {name: [] for name in MODELS}
    for train, test in KFold(n_splits=folds, shuffle=True, random_state=seed).split(x):
        for name in MODELS:
            regressor = _fit_one(name, x[train], y[train], seed=seed)
            predicted = np.clip(_predict_one(regressor, x[test]), 0.0, 1.0)
            errors[name].append(np.abs(predicted - y[test]).sum())
    candidates = {name: float(np.sum(values) / len(y)) for name, values in errors.items()}
    best = min(MODELS, key=lambda name: (candidates[name], MODELS.index(name)))
    return FeatureFit(feature, best, candidates[best], candidates["mean"], candidates, len(y))


def _fit_one(name: str, x: np.ndarray, y: np.ndarray, *, seed: int) -> RidgeRegressor | BoostedTrees | float:
    if name == "ridge":
        return RidgeRegressor.fit(x, y)
    if name == "gradient_boosting":
        return BoostedTrees.fit(x, y, seed=seed)
    return float(y.mean())


def _predict_one(regressor: RidgeRegressor | BoostedTrees | float, x: np.ndarray) -> np.ndarray:
    if isinstance(regressor, float):
        return np.full(len(x), regressor)
    return regressor.predict(x)


def measured_agreement(measured: np.ndarray, truth: np.ndarray) -> dict[str, dict[str, float]]:
    """How the analysis' own tempo, key, mode and loudness compare with the real ones, where both are known."""
    result: dict[str, dict[str, float]] = {}
    for column, feature in enumerate(MEASURED_FEATURES):
        both = ~np.isnan(measured[:, column]) & ~np.isnan(truth[:, column])
        if not both.any():
            continue
        got, want = measured[both, column], truth[both, column]
        if feature in ("key", "mode"):
            result[feature] = {"right_share": round(float(np.mean(got == want)), 4), "tracks": int(both.sum())}
        else:
            gaps = np.abs(got - want)
            row = {"mae": round(float(gaps.mean()), 3), "tracks": int(both.sum())}
            if feature == "tempo":
                row["within_2_bpm_share"] = round(float(np.mean(gaps <= 2.0)), 4)
            result[feature] = row
    return result
