"""KMeansAD (TSB-AD's clustering detector, after TimeEval): see ``docs/methods/kmeansad.md``.

Each window of ``window`` steps × C channels is flattened and z-normalised on its own (mean 0,
sample std 1 over its W·C values; a constant window becomes all zeros). k-means clusters the
training windows; a window's score is its Euclidean distance to the nearest centroid, and a
step's score is the mean score of the (stride-1) windows covering it. Causal scoring gives step t
the score of the window ending at t.

Why not scikit-learn's ``predict`` + distance: the nearest-centroid distance is computed here in
chunks of windows with one matrix product, so scoring memory stays flat in the series length and
no ``[N, W·C]`` matrix of the whole series is ever built.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from augury.base.params import SEED, Bool, Choice, Int, Rule, Text
from augury.data.windowing import windows_to_steps
from augury.detectors.base import Detector, _map_causal_windows
from augury.errors import DataError


def znormalise_rows(rows: np.ndarray) -> np.ndarray:
    """Each row ``[N, F]`` minus its mean, divided by its sample std (ddof 1); constant rows → 0 (float64)."""
    rows = np.asarray(rows, dtype=np.float64)
    centred = rows - rows.mean(axis=1, keepdims=True)
    if rows.shape[1] < 2:
        return np.zeros_like(rows)
    std = np.sqrt(np.einsum("ij,ij->i", centred, centred) / (rows.shape[1] - 1))[:, None]
    return np.divide(centred, std, out=np.zeros_like(centred), where=std > 0)


def nearest_distance(rows: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Euclidean distance ``[N]`` of each row ``[N, F]`` to its nearest centre ``[K, F]``."""
    sq = (rows * rows).sum(axis=1)[:, None] - 2.0 * rows @ centers.T + (centers * centers).sum(axis=1)[None, :]
    return np.sqrt(np.maximum(sq.min(axis=1), 0.0))


class KMeansAD(Detector):
    """k-means on z-normalised flattened windows; score = distance to the nearest centroid.

    Parameters: ``window`` (steps per window), ``n_clusters`` (k), ``stride`` (between training
    windows), ``max_train_windows`` (seeded subsample of training windows, ``None`` = all),
    ``n_init`` (k-means restarts), ``normalize`` (z-normalise each window), ``scaling`` (channel
    scaling before windowing), ``threshold``, ``seed``.
    """

    name: ClassVar[str] = "kmeansad"
    tags: ClassVar[dict[str, Any]] = {"family": "clustering", "supervision": "unsupervised"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        # cpu: TSB-AD's window and k; channels standardised on train (so a large-valued channel does
        # not dominate every window's z-normalisation) and at most 20,000 training windows.
        "cpu": {"window": 40, "n_clusters": 10, "stride": 1, "max_train_windows": 20000, "scaling": "standard"},
        # paper: TSB-AD's chosen HPs (HP_list.py: n_clusters 10, window_size 40; stride 1, raw values).
        "paper": {"window": 40, "n_clusters": 10, "stride": 1, "max_train_windows": None, "scaling": "none"},
    }
    param_rules: ClassVar[dict[str, Rule]] = {
        "window": Int(2, 100_000), "n_clusters": Int(1, 10_000), "stride": Int(1),
        "max_train_windows": Int(1, none_ok=True), "n_init": Int(1, 100), "normalize": Bool(),
        "scaling": Choice("standard", "minmax", "none"), "threshold": Text(), "seed": SEED,
    }

    def __init__(self, window: int = 40, n_clusters: int = 10, stride: int = 1,
                 max_train_windows: int | None = 20000, n_init: int = 1, normalize: bool = True,
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        self.window = window
        self.n_clusters = n_clusters
        self.stride = stride
        self.max_train_windows = max_train_windows
        self.n_init = n_init
        self.normalize = normalize
        self.scaling = scaling
        self.threshold = threshold
        self.seed = seed

    def _rows(self, windows: np.ndarray) -> np.ndarray:
        flat = np.asarray(windows, dtype=np.float64).reshape(windows.shape[0], -1)
        return znormalise_rows(flat) if self.normalize else flat

    def _fit(self, X: np.ndarray) -> None:
        from numpy.lib.stride_tricks import sliding_window_view
        from sklearn.cluster import KMeans

        starts = np.arange(0, X.shape[0] - self.window + 1, self.stride)
        if self.max_train_windows is not None and starts.size > self.max_train_windows:
            rng = np.random.default_rng(self.seed)
            starts = np.sort(rng.choice(starts, self.max_train_windows, replace=False))
        if starts.size < self.n_clusters:
            raise DataError(f"kmeansad: {starts.size} training windows but n_clusters={self.n_clusters}; use a "
                            "longer training series, a smaller window/stride or fewer clusters")
        view = sliding_window_view(X, self.window, axis=0).transpose(0, 2, 1)  # [T-W+1, W, C]
        rows = self._rows(view[starts])
        km = KMeans(n_clusters=self.n_clusters, n_init=self.n_init, random_state=self.seed).fit(rows)
        self.centers_ = km.cluster_centers_.astype(np.float64)

    def _window_scores(self, X: np.ndarray) -> np.ndarray:
        """Score ``[T − W + 1]`` of every stride-1 window of ``X`` (index = window start)."""
        return _map_causal_windows(X, self.window, lambda w: nearest_distance(self._rows(w), self.centers_))

    def _score(self, X: np.ndarray) -> np.ndarray:
        scores = self._window_scores(X)
        return windows_to_steps(scores, np.arange(scores.size), X.shape[0], self.window)

    def _score_causal(self, X: np.ndarray) -> np.ndarray:
        return self._window_scores(X)

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {"centers": self.centers_}, {}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        centers = np.asarray(arrays["centers"], dtype=np.float64)
        if centers.shape != (self.n_clusters, self.window * self.n_features_in_) or not np.isfinite(centers).all():
            raise ValueError(f"centers must be finite [{self.n_clusters}, {self.window * self.n_features_in_}], "
                             f"got {centers.shape}")
        self.centers_ = centers
