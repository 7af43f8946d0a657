"""The learned descriptor -> feature mapping (engines/audio/mapping.py): plain arrays, fixed seeds, no Django."""
import numpy as np
import pytest

from recommendations.engines.audio.analysis import DESCRIPTOR_NAMES
from recommendations.engines.audio.mapping import LEARNED_FEATURES, AudioFeatureModel


def _training_set(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Descriptors of n tracks, and targets: energy linear in two descriptors, danceability a step in a third,
    liveness unrelated to any descriptor (noise), speechiness unknown for every track."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(DESCRIPTOR_NAMES)))
    targets = np.full((n, len(LEARNED_FEATURES)), np.nan)
    column = {name: index for index, name in enumerate(LEARNED_FEATURES)}
    targets[:, column["energy"]] = np.clip(0.5 + 0.15 * x[:, 0] - 0.1 * x[:, 1], 0, 1)
    targets[:, column["danceability"]] = np.where(x[:, 2] > 0.3, 0.8, 0.3)
    targets[:, column["liveness"]] = rng.uniform(0, 1, n)
    for name in ("valence", "acousticness", "instrumentalness"):
        targets[:, column[name]] = np.clip(0.5 + 0.1 * x[:, 3], 0, 1)
    return x, targets


def test_each_feature_gets_the_model_with_the_lowest_cross_validated_error():
    x, targets = _training_set(240)
    model = AudioFeatureModel.fit(x, targets)
    metrics = model.metrics()
    assert metrics["learned"] and metrics["training_tracks"] == 240
    energy, danceability = model.fits["energy"], model.fits["danceability"]
    assert energy.model == "ridge" and energy.cv_mae < 0.02 < energy.mean_mae
    assert danceability.model == "gradient_boosting" and danceability.cv_mae < 0.05 < danceability.mean_mae
    for fit in model.fits.values():
        assert fit.cv_mae == min(fit.candidates.values())
    # Nothing to learn: the error stays at the mean's (about 0.25 for uniform noise), whichever model won.
    assert model.fits["liveness"].cv_mae == pytest.approx(0.25, abs=0.03)
    assert "speechiness" not in model.fits  # unknown everywhere: not learned, not guessed


def test_predictions_survive_save_and_load(tmp_path):
    x, targets = _training_set(120, seed=3)
    model = AudioFeatureModel.fit(x, targets)
    model.save(tmp_path / "audio")
    loaded = AudioFeatureModel.load(tmp_path / "audio")
    fresh = np.random.default_rng(9).normal(size=(15, len(DESCRIPTOR_NAMES)))
    for feature, values in model.predict(fresh).items():
        np.testing.assert_allclose(loaded.predict(fresh)[feature], values)
    assert loaded.metrics() == model.metrics()


def test_too_few_tracks_learn_nothing_and_estimate_only_measured_features():
    x, targets = _training_set(12)
    model = AudioFeatureModel.fit(x, targets)
    assert not model.learned and model.metrics()["learned_features"] == {}
    measured = {"tempo": 120.0, "key": 2, "mode": 1, "loudness": -8.0, "time_signature": 4}
    descriptors = dict(zip(DESCRIPTOR_NAMES, x[0], strict=True))
    assert model.estimate_from(measured, descriptors) == measured


def test_learned_features_are_added_to_the_measured_ones_and_stay_in_range():
    x, targets = _training_set(80)
    model = AudioFeatureModel.fit(x, targets)
    extreme = dict(zip(DESCRIPTOR_NAMES, np.full(len(DESCRIPTOR_NAMES), 25.0), strict=True))
    estimate = model.estimate_from({"tempo": 90.0}, extreme)
    assert estimate["tempo"] == 90.0
    assert set(model.fits) <= set(estimate)
    assert all(0.0 <= estimate[name] <= 1.0 for name in model.fits)


def test_measured_features_are_compared_with_the_real_ones():
    x, targets = _training_set(50)
    truth = np.array([[120.0, 2, 1, -8.0], [90.0, 9, 0, -12.0], [150.0, 4, 1, np.nan]])
    measured = np.array([[121.0, 2, 1, -7.0], [180.0, 9, 1, -13.0], [150.5, 5, 1, -3.0]])
    model = AudioFeatureModel.fit(x[:3], targets[:3], measured=measured, truth=truth)
    agreement = model.metrics()["measured_agreement"]
    assert agreement["tempo"] == {"mae": pytest.approx(30.5, abs=1e-3), "tracks": 3, "within_2_bpm_share": 0.6667}
    assert agreement["key"]["right_share"] == 0.6667 and agreement["mode"]["right_share"] == 0.6667
    assert agreement["loudness"] == {"mae": 1.0, "tracks": 2}
