"""Sub-PCA (TSB-AD's univariate PCA detector), applied per channel (:mod:`augury.detectors.per_channel`).

For one channel ``x`` ``[T]`` and window W: the ``T − W + 1`` windows (stride 1) are z-scored
column by column with the training windows' column statistics, a PCA is fitted on the training
windows, and a window z scores ``Σ_k ‖z − v_k‖ / r_k`` over the kept axes v_k (unit vectors) with
their explained-variance ratios r_k. This is PyOD's PCA score as TSB-AD uses it: the Euclidean
distance from the window to each axis *as a point*, weighted by 1 / r_k, so the low-variance axes
dominate (docs/methods/subpca.md discusses it). Each window's score is placed on its centre step
and the ends are padded with the first and last window scores, as TSB-AD does.

Causal scoring: step t gets the score of the window ending at t (``causal_warmup() = W − 1``).
Scores are computed in chunks of windows, so memory is linear in T at any W.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from augury.base.params import IntOrFloat, Rule
from augury.detectors.per_channel import PER_CHANNEL_RULES, PerChannelDetector

#: windows scored at once (bounds the float64 working copy to CHUNK × W)
CHUNK = 8192
#: explained-variance ratios below this are floored so a flat axis gives a large finite score
_MIN_RATIO = 1e-12


class SubPCA(PerChannelDetector):
    """Sub-PCA per channel.

    Parameters: ``window`` (W steps, ``None`` = the training channel-0 period), ``n_components``
    (kept axes: an integer, a variance fraction in (0, 1), or ``None`` = all W), ``combine``
    (``"mean"`` or ``"max"`` of the standardised channel scores), ``scaling``, ``threshold``, ``seed``
    (scikit-learn's randomised solver, used only for an integer ``n_components`` on large inputs).
    """

    name = "subpca"
    param_rules: ClassVar[dict[str, Rule]] = {**PER_CHANNEL_RULES, "n_components": IntOrFloat(none_ok=True)}
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        # TSB-AD's method is already cheap (one PCA of W ≤ 303 columns), so cpu = paper.
        "cpu": {"window": None, "n_components": None},
        # TSB-AD HP_list (Optimal_Uni_algo_HP_dict): periodicity 1, n_components None.
        "paper": {"window": None, "n_components": None},
    }

    def __init__(self, window: int | None = None, n_components: int | float | None = None, combine: str = "mean",
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        self.window = window
        self.n_components = n_components
        self.combine = combine
        self.scaling = scaling
        self.threshold = threshold
        self.seed = seed

    def _min_fit_length(self, window: int) -> int:
        return window + 1  # PCA needs two windows

    def _fit_channel(self, x: np.ndarray) -> dict[str, np.ndarray]:
        from sklearn.decomposition import PCA

        windows = sliding_window_view(x, self.window_)
        mean = windows.mean(axis=0)
        std = windows.std(axis=0)
        scale = np.where(std > 0, std, 1.0)  # as scikit-learn's StandardScaler treats constant columns
        n_components = self.n_components
        if isinstance(n_components, int):
            n_components = min(n_components, self.window_, windows.shape[0])
        if not np.any(std > 0):
            # A channel constant over training has no principal axes (scikit-learn's ratios are 0/0):
            # every axis is equally (un)likely, so any departure from the constant raises the score.
            return {"mean": mean, "scale": scale, "components": np.eye(self.window_), "ratio": np.full(self.window_, 1.0 / self.window_)}
        pca = PCA(n_components=n_components, svd_solver="auto", random_state=self.seed)
        pca.fit((windows - mean) / scale)
        ratio = np.maximum(pca.explained_variance_ratio_, _MIN_RATIO)
        return {"mean": mean, "scale": scale, "components": pca.components_.astype(np.float64), "ratio": ratio}

    def _window_scores(self, c: int, x: np.ndarray) -> np.ndarray:
        """Score ``[T − W + 1]`` of every window (stride 1) of channel ``c`` of ``x`` ``[T]``."""
        m = self.channel_models_[c]
        windows = sliding_window_view(x, self.window_)
        comp, weight = m["components"], 1.0 / m["ratio"]
        comp_sq = (comp**2).sum(axis=1)
        out = np.empty(windows.shape[0])
        for i in range(0, windows.shape[0], CHUNK):
            z = (windows[i : i + CHUNK] - m["mean"]) / m["scale"]
            d2 = (z**2).sum(axis=1)[:, None] - 2.0 * (z @ comp.T) + comp_sq
            out[i : i + CHUNK] = np.sqrt(np.maximum(d2, 0.0)) @ weight
        return out

    def _score_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        w = self._window_scores(c, x)
        head = (self.window_ - 1) - (self.window_ - 1) // 2  # ceil((W − 1) / 2): the centre step of window 0
        return np.concatenate([np.full(head, w[0]), w, np.full((self.window_ - 1) // 2, w[-1])])

    def _causal_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        return self._window_scores(c, x)

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        super()._set_state(arrays, info)
        w = self.window_
        for c, m in enumerate(self.channel_models_):
            if set(m) != {"mean", "scale", "components", "ratio"}:
                raise ValueError(f"channel {c}: expected arrays mean, scale, components, ratio; got {sorted(m)}")
            k = m["components"].shape[0] if m["components"].ndim == 2 else -1
            if (m["mean"].shape != (w,) or m["scale"].shape != (w,) or m["components"].shape != (k, w)
                    or m["ratio"].shape != (k,) or k < 1 or not np.all(m["scale"] > 0) or not np.all(m["ratio"] > 0)):
                raise ValueError(f"channel {c}: arrays do not fit window {w}")
