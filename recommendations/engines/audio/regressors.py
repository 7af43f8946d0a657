"""The two regressors the learned mapping chooses between, as plain arrays (never pickled, memory-mappable).

- `RidgeRegressor`: standardised descriptors, ridge with its penalty chosen by scikit-learn's efficient
  leave-one-out (RidgeCV); kept as mean, scale, coefficients and intercept.
- `BoostedTrees`: scikit-learn's GradientBoostingRegressor (squared error, shallow trees); its trees are copied
  into flat node arrays (the public `tree_` structure) and evaluated here with numpy, so an artifact holds numbers
  only and loading it runs no code from the file.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RIDGE_ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0)
GB_TREES, GB_DEPTH, GB_LEARNING_RATE, GB_SUBSAMPLE = 120, 3, 0.08, 0.7
GB_MAX_FEATURES = 0.3  # descriptors tried per split: about a third of the fitting time


@dataclass(frozen=True)
class RidgeRegressor:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray) -> RidgeRegressor:
        from sklearn.linear_model import RidgeCV

        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 1e-12, scale, 1.0)
        model = RidgeCV(alphas=RIDGE_ALPHAS).fit((x - mean) / scale, y)
        return cls(mean, scale, np.asarray(model.coef_, dtype=np.float64), float(model.intercept_))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}mean": self.mean, f"{prefix}scale": self.scale,
                f"{prefix}coef": self.coef, f"{prefix}intercept": np.array([self.intercept])}  # fmt: skip

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> RidgeRegressor:
        return cls(arrays[f"{prefix}mean"], arrays[f"{prefix}scale"], arrays[f"{prefix}coef"],
                   float(arrays[f"{prefix}intercept"][0]))  # fmt: skip


@dataclass(frozen=True)
class BoostedTrees:
    """Trees as one node table: a row's `left` is -1 at a leaf; `roots` index each tree's first node."""

    roots: np.ndarray
    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray  # leaf values, already multiplied by the learning rate
    base: float
    depth: int

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, *, seed: int = 0) -> BoostedTrees:
        from sklearn.ensemble import GradientBoostingRegressor

        model = GradientBoostingRegressor(
            n_estimators=GB_TREES, max_depth=GB_DEPTH, learning_rate=GB_LEARNING_RATE, subsample=GB_SUBSAMPLE,
            max_features=GB_MAX_FEATURES,
            random_state=seed,
        ).fit(x, y)
        return cls.from_sklearn(model)

    @classmethod
    def from_sklearn(cls, model) -> BoostedTrees:
        roots, left, right, feature, threshold, value = [], [], [], [], [], []
        offset = 0
        for estimator in model.estimators_[:, 0]:
            tree = estimator.tree_
            roots.append(offset)
            leaf = tree.children_left == -1
            left.append(np.where(leaf, -1, tree.children_left + offset))
            right.append(np.where(leaf, -1, tree.children_right + offset))
            feature.append(np.where(leaf, 0, tree.feature))
            threshold.append(tree.threshold)
            value.append(tree.value[:, 0, 0] * model.learning_rate)
            offset += tree.node_count
        return cls(
            roots=np.array(roots, dtype=np.int64), left=np.concatenate(left).astype(np.int64),
            right=np.concatenate(right).astype(np.int64), feature=np.concatenate(feature).astype(np.int64),
            threshold=np.concatenate(threshold).astype(np.float64), value=np.concatenate(value).astype(np.float64),
            base=float(model.init_.constant_.ravel()[0]), depth=int(model.max_depth),
        )  # fmt: skip

    def predict(self, x: np.ndarray) -> np.ndarray:
        # scikit-learn compares float32 inputs with its thresholds: the same cast gives the same leaves.
        x = np.asarray(x, dtype=np.float32)
        nodes = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        rows = np.arange(len(x))[:, None]
        for _ in range(self.depth):
            inner = self.left[nodes] >= 0
            goes_left = x[rows, self.feature[nodes]] <= self.threshold[nodes]
            nodes = np.where(inner, np.where(goes_left, self.left[nodes], self.right[nodes]), nodes)
        return self.base + self.value[nodes].sum(axis=1)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        names = ("roots", "left", "right", "feature", "threshold", "value")
        return {f"{prefix}{name}": getattr(self, name) for name in names} | {
            f"{prefix}base_depth": np.array([self.base, float(self.depth)])
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> BoostedTrees:
        base, depth = arrays[f"{prefix}base_depth"]
        names = ("roots", "left", "right", "feature", "threshold", "value")
        return cls(**{name: arrays[f"{prefix}{name}"] for name in names}, base=float(base), depth=int(depth))
