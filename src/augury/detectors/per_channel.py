"""Univariate detectors applied channel by channel, with one combined score per step.

TSB-AD's univariate methods (Sub-PCA, POLY, ...) score one series. On ``[T, C]`` input each
channel is scored on its own; channel c's scores are standardised robustly on its *training*
scores, ``z_c = (s_c − median_c) / IQR_c`` (IQR 0 → std → 1), so that a channel with a large raw
score range does not dominate, and the channels are combined by ``combine``:

- ``"mean"`` (default): mean of ``z_c`` — every channel votes, as in score averaging of z-scored
  detectors;
- ``"max"``: max of ``z_c`` — an anomaly visible on one channel only is not diluted C-fold.

``explain`` returns the ``z_c`` themselves (``[T, C]``), so the per-channel contributions are
the numbers that were combined. On one channel the standardisation is an increasing affine map:
rankings, AUC and VUS are those of the raw univariate method.

The window of every channel is one length: ``window`` or, when ``None``, TSB-AD's period
estimate (:func:`augury.metrics.vus_window.estimate_period`, ``find_length_rank(rank=1)``) of
training channel 0, resolved once at fit and saved with the model (TSB-AD's fallback of 125 steps
when channel 0 is constant, as its ``find_length_rank`` returns then).

Subclasses implement ``_fit_channel`` (arrays of one fitted channel), ``_score_channel`` (batch
scores ``[T]``) and ``_causal_channel`` (scores of the steps ``causal_warmup()..T−1`` from the
context before each of them only).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from augury.base.params import Choice, Int, Rule, Text
from augury.detectors.base import Detector
from augury.errors import DataError, MetricError
from augury.metrics.vus_window import PERIOD_FALLBACK, estimate_period

#: Parameters shared by the per-channel detectors.
PER_CHANNEL_RULES: dict[str, Rule] = {
    "window": Int(3, 100_000, none_ok=True), "combine": Choice("mean", "max"),
    "scaling": Text(), "threshold": Text(), "seed": Int(0, 2**32 - 1),
}


def robust_scale(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column ``(median, IQR)`` of training scores ``[T, C]``; a zero IQR falls back to the std, then 1."""
    centre = np.median(scores, axis=0)
    q75, q25 = np.percentile(scores, [75, 25], axis=0)
    scale = q75 - q25
    std = scores.std(axis=0)
    scale = np.where(scale > 1e-12, scale, np.where(std > 1e-12, std, 1.0))
    return centre, scale


def _period(x: np.ndarray) -> int:
    """TSB-AD's window of one training channel ``[T]`` (:data:`PERIOD_FALLBACK` when it is constant)."""
    try:
        return estimate_period(x)
    except MetricError:
        return PERIOD_FALLBACK


class PerChannelDetector(Detector):
    """Base of the univariate detectors run per channel (see the module docstring)."""

    tags: ClassVar[dict[str, Any]] = {"family": "univariate", "per_channel": True, "supervision": "unsupervised"}

    # ------------------------------------------------------------------ per-channel hooks
    def _fit_channel(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Fit one scaled training channel ``[T]`` → the arrays its scoring needs."""
        raise NotImplementedError

    def _score_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        """Batch scores ``[T]`` of channel ``c`` of a scaled series ``x`` ``[T]``."""
        raise NotImplementedError

    def _causal_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        """Causal scores ``[T − causal_warmup()]`` of channel ``c`` (step t uses ``x[t − warmup..t]`` only)."""
        raise NotImplementedError

    def _min_fit_length(self, window: int) -> int:
        """Shortest training series for ``window``."""
        return window

    # ------------------------------------------------------------------ contract hooks
    def _min_length(self) -> int:
        if hasattr(self, "window_"):
            return self.window_
        return self.window if self.window is not None else 3

    def _fit(self, X: np.ndarray) -> None:
        self.window_ = int(self.window if self.window is not None else _period(X[:, 0]))
        need = self._min_fit_length(self.window_)
        if X.shape[0] < need:
            raise DataError(f"{type(self).__name__}: the training series has {X.shape[0]} steps; "
                            f"window {self.window_} needs at least {need}")
        # C-contiguous float64, as restored from a saved model: BLAS rounds differently on other layouts.
        self.channel_models_ = [{k: np.ascontiguousarray(v, dtype=np.float64) for k, v in self._fit_channel(
            X[:, c].astype(np.float64)).items()} for c in range(X.shape[1])]
        raw = self._channel_scores(X)
        self.score_centre_, self.score_scale_ = robust_scale(raw)
        self._train_z = self._standardise(raw)

    def _train_scores(self, X: np.ndarray) -> np.ndarray:
        z, self._train_z = self._train_z, None
        return self._combine(z)

    def _channel_scores(self, X: np.ndarray) -> np.ndarray:
        return np.stack([self._score_channel(c, X[:, c].astype(np.float64)) for c in range(X.shape[1])], axis=1)

    def _causal_scores(self, X: np.ndarray) -> np.ndarray:
        return np.stack([self._causal_channel(c, X[:, c].astype(np.float64)) for c in range(X.shape[1])], axis=1)

    def _standardise(self, raw: np.ndarray) -> np.ndarray:
        return (raw - self.score_centre_) / self.score_scale_

    def _combine(self, z: np.ndarray) -> np.ndarray:
        return z.mean(axis=1) if self.combine == "mean" else z.max(axis=1)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self._combine(self._standardise(self._channel_scores(X)))

    def _score_causal(self, X: np.ndarray) -> np.ndarray:
        return self._combine(self._standardise(self._causal_scores(X)))

    def _explain(self, X: np.ndarray) -> np.ndarray:
        return self._standardise(self._channel_scores(X))

    def _explain_causal(self, X: np.ndarray) -> np.ndarray:
        return self._standardise(self._causal_scores(X))

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {"score_centre": self.score_centre_, "score_scale": self.score_scale_}
        for c, fitted in enumerate(self.channel_models_):
            arrays.update({f"ch{c}.{k}": v for k, v in fitted.items()})
        return arrays, {"window": self.window_}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        window = info["window"]
        if isinstance(window, bool) or not isinstance(window, int) or window < 3:
            raise ValueError(f"saved window {window!r} is not an integer ≥ 3")
        n = self.n_features_in_
        centre = np.asarray(arrays["score_centre"], dtype=np.float64)
        scale = np.asarray(arrays["score_scale"], dtype=np.float64)
        if centre.shape != (n,) or scale.shape != (n,) or not np.all(scale > 0) or not np.all(np.isfinite(centre)):
            raise ValueError("saved score standardisation does not match the channels")
        known = {"score_centre", "score_scale"}
        channels: list[dict[str, np.ndarray]] = [{} for _ in range(n)]
        for key, value in arrays.items():
            if key in known:
                continue
            head, _, name = key.partition(".")
            if not head.startswith("ch") or not head[2:].isdigit() or int(head[2:]) >= n or not name:
                raise ValueError(f"unexpected array {key!r}")
            channels[int(head[2:])][name] = np.ascontiguousarray(value, dtype=np.float64)
        self.window_, self.score_centre_, self.score_scale_ = window, centre, scale
        self.channel_models_ = channels
