"""The threshold-strategy base class, apart from :mod:`.thresholds` so that :mod:`.spot` can subclass
it while :func:`~augury.metrics.thresholds.parse_threshold` builds SPOT strategies (no import circle)."""

from __future__ import annotations

import numpy as np

from augury.errors import MetricError


def _finite_1d(scores: np.ndarray, what: str) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64).ravel()
    if s.size == 0:
        raise MetricError(f"{what}: no scores")
    if not np.all(np.isfinite(s)):
        raise MetricError(
            f"{what}: scores contain NaN or inf at index {int(np.flatnonzero(~np.isfinite(s))[0])}"
        )
    return s


class ThresholdStrategy:
    """Base class: subclasses set ``threshold_`` in ``fit``."""

    threshold_: float

    def fit(self, train_scores: np.ndarray) -> ThresholdStrategy:
        raise NotImplementedError

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """0/1 predictions ``[T]`` (int64): 1 where ``score > threshold_``."""
        if not hasattr(self, "threshold_"):
            raise MetricError(f"{type(self).__name__}.apply called before fit")
        return (_finite_1d(scores, "threshold.apply") > self.threshold_).astype(np.int64)

    def spec(self) -> str:
        """The spec string that rebuilds this strategy with :func:`parse_threshold`."""
        raise NotImplementedError
