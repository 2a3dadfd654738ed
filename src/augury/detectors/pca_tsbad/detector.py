"""TSB-AD's windowed PCA (PyOD-style PCA on sliding windows), written for bounded memory.

The steps, as TSB-AD 1.5 runs ``PCA(slidingWindow=100, n_components=0.25)``:

1. every stride-1 window of ``window`` steps × C channels is one row of F = W·C features;
2. each feature is standardised with the training rows' mean and std; constant features are dropped;
3. principal axes v_j with explained-variance ratios w_j; ``n_components`` as in scikit-learn
   (a fraction keeps the fewest leading axes whose cumulative ratio exceeds it; signs as
   scikit-learn's ``svd_flip``: each axis' largest-magnitude entry is positive);
4. a row x scores Σ_j ‖x − v_j‖ / w_j (the axes are taken as points, PyOD's formula);
5. the window score is given to its centre step; the first ⌈(W−1)/2⌉ and last ⌊(W−1)/2⌋ steps
   repeat the first and last window score.

Why hand-written instead of scikit-learn's PCA on the window matrix: that matrix is T × W·C
(MSL: 73,729 × 5,500 doubles, 3.2 GB). Here the feature covariance is accumulated over chunks of
windows and eigendecomposed (F × F), so memory is linear in T and flat in it when scoring.
Causal scoring gives step t the score of the window ending at t.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from augury.base.params import SEED, Choice, Int, IntOrFloat, Rule, Text
from augury.detectors.base import CAUSAL_CHUNK, Detector, _map_causal_windows
from augury.errors import DataError

#: Axes whose explained-variance ratio is below this are numerically zero (would divide by ~0).
_MIN_RATIO = 1e-12


def _flip_signs(vectors: np.ndarray) -> np.ndarray:
    """scikit-learn's ``svd_flip(u_based_decision=False)``: each row's largest-|.| entry positive."""
    idx = np.argmax(np.abs(vectors), axis=1)
    signs = np.sign(vectors[np.arange(vectors.shape[0]), idx])
    return vectors * np.where(signs == 0, 1.0, signs)[:, None]


def _n_kept(ratios: np.ndarray, n_components: float | int | None) -> int:
    """Number of leading axes kept, as scikit-learn's PCA resolves ``n_components``."""
    usable = int(np.count_nonzero(ratios > _MIN_RATIO))
    if n_components is None:
        return max(usable, 1)
    if isinstance(n_components, float) and 0 < n_components < 1:
        k = int(np.searchsorted(np.cumsum(ratios), n_components, side="right")) + 1
    else:
        k = int(n_components)
    return max(1, min(k, usable))


class WindowedPCA(Detector):
    """TSB-AD's windowed PCA (module docstring): ``window``, ``n_components`` (int, fraction of
    variance in (0, 1), or ``None`` = all), ``stride`` / ``max_train_windows`` (training rows),
    ``scaling``, ``threshold``, ``seed`` (only for the training subsample)."""

    name: ClassVar[str] = "pca-tsbad"
    tags: ClassVar[dict[str, Any]] = {"family": "projection", "supervision": "unsupervised"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        # cpu: a shorter window (F = 50·C) and at most 20,000 training windows, so MSL's 55 channels fit.
        "cpu": {"window": 50, "n_components": 0.25, "stride": 1, "max_train_windows": 20000},
        # paper: TSB-AD's chosen HPs (HP_list.py: n_components 0.25; model_wrapper: slidingWindow 100).
        "paper": {"window": 100, "n_components": 0.25, "stride": 1, "max_train_windows": None},
    }
    param_rules: ClassVar[dict[str, Rule]] = {
        "window": Int(1, 100_000), "n_components": IntOrFloat(none_ok=True), "stride": Int(1),
        "max_train_windows": Int(2, none_ok=True), "scaling": Choice("standard", "minmax", "none"),
        "threshold": Text(), "seed": SEED,
    }

    def __init__(self, window: int = 100, n_components: float | int | None = 0.25, stride: int = 1,
                 max_train_windows: int | None = None, scaling: str = "none", threshold: str = "top:1",
                 seed: int = 0) -> None:
        self.window = window
        self.n_components = n_components
        self.stride = stride
        self.max_train_windows = max_train_windows
        self.scaling = scaling
        self.threshold = threshold
        self.seed = seed

    def _fit(self, X: np.ndarray) -> None:
        from numpy.lib.stride_tricks import sliding_window_view

        starts = np.arange(0, X.shape[0] - self.window + 1, self.stride)
        if self.max_train_windows is not None and starts.size > self.max_train_windows:
            starts = np.sort(np.random.default_rng(self.seed).choice(starts, self.max_train_windows, replace=False))
        if starts.size < 2:
            raise DataError(f"pca-tsbad: {starts.size} training window(s); at least 2 are needed "
                            "(use a longer training series or a smaller window)")
        view = sliding_window_view(X, self.window, axis=0).transpose(0, 2, 1)
        n_feat, n = self.window * X.shape[1], starts.size

        def chunks():
            for i in range(0, n, CAUSAL_CHUNK):
                yield view[starts[i : i + CAUSAL_CHUNK]].reshape(-1, n_feat).astype(np.float64)

        # Two passes: feature means and variances first, then the Gram matrix of the varying
        # features only (MSL's one-hot command channels are mostly constant: far fewer columns).
        total, squares = np.zeros(n_feat), np.zeros(n_feat)
        for rows in chunks():
            total += rows.sum(axis=0)
            squares += np.einsum("ij,ij->j", rows, rows)
        mean = total / n
        var = np.maximum(squares / n - mean * mean, 0.0)  # population variance (StandardScaler's, ddof 0)
        keep = var > 1e-12 * max(1.0, float(var.max()))  # TSB-AD drops all-zero (constant) features
        self.keep_ = keep
        if not keep.any():  # a constant series: no axis, every window scores 0
            self.mean_, self.scale_ = mean[keep], np.sqrt(var[keep])
            self.axes_, self.weights_ = np.zeros((0, 0)), np.zeros(0)
            return
        gram = np.zeros((int(keep.sum()),) * 2)
        for rows in chunks():
            centred = rows[:, keep] - mean[keep]
            gram += centred.T @ centred
        std = np.sqrt(np.diag(gram) / n)
        keep_std = std > 0
        if not keep_std.all():  # rounding left a feature constant after all
            keep[np.flatnonzero(keep)[~keep_std]] = False
            gram, std = gram[np.ix_(keep_std, keep_std)], std[keep_std]
        self.mean_, self.scale_ = mean[keep], std
        corr = gram / n / np.outer(std, std)
        eigval, eigvec = np.linalg.eigh(corr)
        order = np.argsort(eigval)[::-1]
        eigval = np.maximum(eigval[order], 0.0)
        ratios = eigval / eigval.sum() if eigval.sum() > 0 else np.ones_like(eigval) / eigval.size
        k = _n_kept(ratios, self.n_components)
        self.axes_ = _flip_signs(eigvec[:, order[:k]].T)
        self.weights_ = ratios[:k]

    def _window_scores(self, X: np.ndarray) -> np.ndarray:
        """Score ``[T − W + 1]`` of every stride-1 window (index = window start)."""

        def score(windows: np.ndarray) -> np.ndarray:
            rows = windows.reshape(windows.shape[0], -1)[:, self.keep_].astype(np.float64)
            z = (rows - self.mean_) / self.scale_
            sq = (z * z).sum(axis=1)[:, None] - 2.0 * z @ self.axes_.T + (self.axes_ * self.axes_).sum(axis=1)
            return (np.sqrt(np.maximum(sq, 0.0)) / self.weights_).sum(axis=1)

        return _map_causal_windows(X, self.window, score)

    def _score(self, X: np.ndarray) -> np.ndarray:
        scores = self._window_scores(X)
        lead = math.ceil((self.window - 1) / 2)
        return scores[np.clip(np.arange(X.shape[0]) - lead, 0, scores.size - 1)]

    def _score_causal(self, X: np.ndarray) -> np.ndarray:
        return self._window_scores(X)

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {"keep": self.keep_.astype(np.uint8), "mean": self.mean_, "scale": self.scale_,
                "axes": self.axes_, "weights": self.weights_}, {}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        keep = np.asarray(arrays["keep"]).astype(bool)
        n_keep = int(keep.sum())
        mean, scale = np.asarray(arrays["mean"], np.float64), np.asarray(arrays["scale"], np.float64)
        axes, weights = np.asarray(arrays["axes"], np.float64), np.asarray(arrays["weights"], np.float64)
        if (keep.shape != (self.window * self.n_features_in_,) or mean.shape != (n_keep,) or scale.shape != (n_keep,)
                or axes.ndim != 2 or axes.shape[1] != n_keep or weights.shape != (axes.shape[0],)
                or not (scale > 0).all() or not (weights > 0).all()):
            raise ValueError("pca-tsbad arrays do not fit the window × channel layout")
        self.keep_, self.mean_, self.scale_, self.axes_, self.weights_ = keep, mean, scale, axes, weights
