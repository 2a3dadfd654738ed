"""Classical baselines: PyOD detectors applied to flattened sliding windows (docs/methods/classical.md).

Each window of ``window`` steps × C channels becomes one row of ``window·C`` features; the
PyOD model scores windows, and every step gets the mean score of the windows covering it
(:func:`augury.data.windowing.windows_to_steps`; the end-aligned last window covers the tail;
docs/methods/classical.md §1–2).

Persistence without pickle and without refitting: each model is reduced after fitting to the
arrays its scoring needs (:mod:`augury.detectors.array_models`); loading restores those arrays.

Causal scoring (``decision_function(X, causal=True)``, :mod:`augury.stream`): the score of
step t is the PyOD score of the single window ending at t (every window, stride 1), instead of
the mean over all windows covering t at ``score_stride`` (docs/methods/classical.md §2.2). With
``window = 1`` (the point-wise cpu presets of iforest and hbos) the two use the same windows.
Attribution (``explain``): |z| of each value against the training statistics, except PCA
(per-channel share of its weighted residual; docs/methods/classical.md §5).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from augury.base.params import Float, Int, IntOrFloat, Rule, Text
from augury.data.windowing import sliding_windows, windows_to_steps
from augury.detectors import array_models as am
from augury.detectors.base import Detector, _map_causal_windows

#: Upper bounds keep a typo (n_estimators=10**9) from running for hours; they are far above
#: any setting the baselines are used with.
_COMMON_RULES: dict[str, Rule] = {
    "window": Int(1, 100_000), "stride": Int(1), "score_stride": Int(1),
    "max_train_windows": Int(1, none_ok=True), "scaling": Text(), "threshold": Text(), "seed": Int(0, 2**32 - 1),
}


#: TSB-AD fits these on the whole series (its unsupervised pool); OCSVM keeps the default "semi-supervised".
_UNSUPERVISED: dict[str, Any] = {"supervision": "unsupervised"}


class WindowedPyOD(Detector):
    """Base for PyOD detectors on flattened windows.

    Parameters common to all: ``window`` (steps per window), ``stride`` (between training
    windows), ``score_stride`` (between scored windows; smaller = smoother, slower),
    ``max_train_windows`` (seeded subsample of training windows, ``None`` = all), ``scaling``,
    ``threshold`` (a rule string such as ``"top:1"``, see :mod:`augury.metrics.thresholds`), ``seed``.
    Presets: docs/methods/classical.md §3.
    """

    tags: ClassVar[dict[str, Any]] = {"family": "classical"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        # cpu: short windows and each class's own training subsample (its constructor default).
        "cpu": {"window": 16, "stride": 4, "score_stride": 4},
        # The papers give no settings for these baselines; ``paper`` is the common TSAD
        # choice (window 100, stride 1, all windows), which is slow on large benchmarks.
        "paper": {"window": 100, "stride": 1, "score_stride": 1, "max_train_windows": None},
    }

    param_rules: ClassVar[dict[str, Rule]] = _COMMON_RULES

    def _make_model(self) -> Any:
        raise NotImplementedError

    def _flat(self, X: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
        win, starts = sliding_windows(X, self.window, stride)
        return win.reshape(win.shape[0], -1).astype(np.float64), starts

    def _fit(self, X: np.ndarray) -> None:
        flat, _ = self._flat(X, self.stride)
        if self.max_train_windows is not None and flat.shape[0] > self.max_train_windows:
            rng = np.random.default_rng(self.seed)
            flat = flat[np.sort(rng.choice(flat.shape[0], self.max_train_windows, replace=False))]
        self._fit_rows(flat)

    def _fit_rows(self, rows: np.ndarray) -> None:
        self.model_ = self._make_model().fit(rows)

    def _score(self, X: np.ndarray) -> np.ndarray:
        flat, starts = self._flat(X, self.score_stride)
        win_scores = np.asarray(self.model_.decision_function(flat), dtype=np.float64)
        return windows_to_steps(win_scores, starts, X.shape[0], self.window)

    def _score_causal(self, X: np.ndarray) -> np.ndarray:
        return _map_causal_windows(
            X, self.window, lambda w: self.model_.decision_function(w.reshape(w.shape[0], -1).astype(np.float32))
        )

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return self.model_.state(), {}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        self.model_ = self._make_model().restore(arrays)
        # One probe row: arrays that do not fit this window × channel layout fail here, at load.
        probe = self.model_.decision_function(np.zeros((1, self.window * self.n_features_in_)))
        if probe.shape != (1,) or not np.isfinite(probe).all():
            raise ValueError("restored model does not score a probe window")


def _init_common(self: WindowedPyOD, window: int, stride: int, score_stride: int | None,
                 max_train_windows: int | None, scaling: str, threshold: str, seed: int) -> None:
    self.window = window
    self.stride = stride
    self.score_stride = score_stride
    self.max_train_windows = max_train_windows
    self.scaling = scaling
    self.threshold = threshold
    self.seed = seed


# Split- and histogram-based models look at one feature at a time, so a one-step anomaly in a
# flattened window of W·C features is diluted W-fold: on the planted-spike test series its rank
# fell from 0 (W = 1) to 156 (iforest) and 336 (hbos) at W = 8. Their cpu preset is therefore
# point-wise (W = 1), the usual way these two baselines are run on MSL/SMD (docs/methods/classical.md §3).
_POINTWISE_PRESETS: dict[str, dict[str, Any]] = {
    "cpu": {"window": 1, "stride": 1, "score_stride": 1},
    "paper": WindowedPyOD.presets["paper"],
}


class IForest(WindowedPyOD):
    """Isolation forest (``n_estimators`` trees) on flattened windows."""

    tags = _UNSUPERVISED
    name = "iforest"
    param_rules = {**_COMMON_RULES, "n_estimators": Int(1, 10_000)}
    presets = _POINTWISE_PRESETS

    def __init__(self, window: int = 1, stride: int = 1, score_stride: int = 1,
                 max_train_windows: int | None = 20000, n_estimators: int = 100,
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        _init_common(self, window, stride, score_stride, max_train_windows, scaling, threshold, seed)
        self.n_estimators = n_estimators

    def _make_model(self) -> Any:
        return am.IForestModel(self.n_estimators, self.seed)


class LOF(WindowedPyOD):
    """Local outlier factor with ``n_neighbors`` neighbours (novelty mode) on flattened windows."""

    tags = _UNSUPERVISED
    name = "lof"
    param_rules = {**_COMMON_RULES, "n_neighbors": Int(1, 10_000)}

    def __init__(self, window: int = 16, stride: int = 4, score_stride: int = 4,
                 max_train_windows: int | None = 5000, n_neighbors: int = 20,
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        _init_common(self, window, stride, score_stride, max_train_windows, scaling, threshold, seed)
        self.n_neighbors = n_neighbors

    def _make_model(self) -> Any:
        return am.LOFModel(self.n_neighbors)


class KNN(WindowedPyOD):
    """Distance to the ``n_neighbors``-th nearest training window."""

    tags = _UNSUPERVISED
    name = "knn"
    param_rules = {**_COMMON_RULES, "n_neighbors": Int(1, 10_000)}

    def __init__(self, window: int = 16, stride: int = 4, score_stride: int = 4,
                 max_train_windows: int | None = 5000, n_neighbors: int = 5,
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        _init_common(self, window, stride, score_stride, max_train_windows, scaling, threshold, seed)
        self.n_neighbors = n_neighbors

    def _make_model(self) -> Any:
        return am.KNNModel(self.n_neighbors)


class PCA(WindowedPyOD):
    """Regularised Mahalanobis distance in the PCA basis of flattened windows (docs/methods/classical.md §4.4)."""

    tags = _UNSUPERVISED
    name = "pca"
    param_rules = {**_COMMON_RULES, "n_components": IntOrFloat(none_ok=True)}

    def __init__(self, window: int = 16, stride: int = 4, score_stride: int = 4,
                 max_train_windows: int | None = 20000, n_components: float | int | None = None,
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        _init_common(self, window, stride, score_stride, max_train_windows, scaling, threshold, seed)
        self.n_components = n_components

    def _make_model(self) -> Any:
        # scikit-learn PCA with a variance floor, not PyOD's PCA: see am.PCAModel (constant channels).
        return am.PCAModel(self.n_components, self.seed)

    def _window_contributions(self, windows: np.ndarray) -> np.ndarray:
        """Per-channel share ``[N, C]`` of the PCA distance² of windows ``[N, W, C]``.

        With e = window − mean, principal axes V, floored variances λ and the residual
        r = e − VᵀVe measured at the variance floor φ (:class:`~augury.detectors.array_models.PCAModel`),
        feature f contributes ``e_f · ((Ve/λ)ᵀV + r/φ)_f``; the contributions sum to the squared
        score Σ_j (v_j·e)²/λ_j + ‖r‖²/φ. A channel's contribution is the sum over its window positions.
        """
        m = self.model_
        e = windows.reshape(windows.shape[0], -1).astype(np.float64) - m.mean_
        z = e @ m.components_.T
        resid = e - z @ m.components_
        contrib = e * ((z / m.variance_) @ m.components_ + resid / m.floor_[0])
        return contrib.reshape(windows.shape).sum(axis=1)

    def _explain(self, X: np.ndarray) -> np.ndarray:
        windows, starts = sliding_windows(X, self.window, self.score_stride)
        per_window = self._window_contributions(windows)
        return np.stack(
            [windows_to_steps(per_window[:, c], starts, X.shape[0], self.window) for c in range(X.shape[1])], axis=1
        )

    def _explain_causal(self, X: np.ndarray) -> np.ndarray:
        return _map_causal_windows(X, self.window, self._window_contributions)


class CBLOF(WindowedPyOD):
    """Cluster-based local outlier factor with ``n_clusters`` k-means clusters."""

    tags = _UNSUPERVISED
    name = "cblof"
    param_rules = {**_COMMON_RULES, "n_clusters": Int(2, 1_000)}

    def __init__(self, window: int = 16, stride: int = 4, score_stride: int = 4,
                 max_train_windows: int | None = 20000, n_clusters: int = 8,
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        _init_common(self, window, stride, score_stride, max_train_windows, scaling, threshold, seed)
        self.n_clusters = n_clusters

    def _make_model(self) -> Any:
        return am.CBLOFModel(self.n_clusters, self.seed)


class KMeans(WindowedPyOD):
    """Distance to the nearest of ``n_clusters`` k-means centroids (scikit-learn k-means)."""

    tags = _UNSUPERVISED
    name = "kmeans"
    param_rules = {**_COMMON_RULES, "n_clusters": Int(1, 10_000)}

    def __init__(self, window: int = 16, stride: int = 4, score_stride: int = 4,
                 max_train_windows: int | None = 20000, n_clusters: int = 8,
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        _init_common(self, window, stride, score_stride, max_train_windows, scaling, threshold, seed)
        self.n_clusters = n_clusters

    def _make_model(self) -> Any:
        return am.KMeansModel(self.n_clusters, self.seed)


class HBOS(WindowedPyOD):
    """Histogram-based outlier score with ``n_bins`` bins per feature."""

    tags = _UNSUPERVISED
    name = "hbos"
    param_rules = {**_COMMON_RULES, "n_bins": Int(2, 10_000)}
    presets = _POINTWISE_PRESETS

    def __init__(self, window: int = 1, stride: int = 1, score_stride: int = 1,
                 max_train_windows: int | None = 20000, n_bins: int = 10,
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        _init_common(self, window, stride, score_stride, max_train_windows, scaling, threshold, seed)
        self.n_bins = n_bins

    def _make_model(self) -> Any:
        return am.HBOSModel(self.n_bins)


class OCSVM(WindowedPyOD):
    """One-class SVM (RBF kernel, ``nu``) on flattened windows; subsample, it is O(n²)."""

    name = "ocsvm"
    param_rules = {**_COMMON_RULES, "nu": Float(0, 1, low_open=True)}

    def __init__(self, window: int = 16, stride: int = 4, score_stride: int = 4,
                 max_train_windows: int | None = 3000, nu: float = 0.5,
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        _init_common(self, window, stride, score_stride, max_train_windows, scaling, threshold, seed)
        self.nu = nu

    def _make_model(self) -> Any:
        return am.OCSVMModel(self.nu)
