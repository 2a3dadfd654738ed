"""Calibrated anomaly scores: one scale for every detector, learnt from its training scores.

Raw scores live in each method's own units (PCA's reach 1e18, iforest's are negative, HBOS's
saturate), so a ``fixed:`` threshold means something different for every method. The
calibrated score of ``s`` is the *unit-variance logistic score of its empirical CDF* among the
training scores: ``z = (√3/π)·logit(F(s))``, with ``F`` the mid-rank empirical CDF interpolated
between the distinct training scores (the logistic quantile stands in for the normal one Φ⁻¹:
same centre and spread, heavier tails). Beyond the training range ``z`` continues linearly with the slope
of the top (bottom) decile, so a spike ten times beyond the training maximum still ranks above
one twice beyond it.

Why not a robust z-score ``(s − median) / (1.4826·MAD)``: it assumes a symmetric bell, and
anomaly scores are skewed in method-specific ways (PCA's are chi-square-like, kNN's light-tailed,
HBOS's bounded), so "3 robust SDs" flagged 0 % of a clean series for kNN and 10 % for PCA. The
logistic score gives every method's training scores the same distribution (mean 0, SD 1) by
construction: ``fixed:3`` flags the top 0.43 % of training steps for every method, and on test
data it means "as unusual as the top 0.43 % of training steps".

The calibration is a pure function of the training scores ``decision_scores_``, which every
saved model already stores, so a loaded model calibrates exactly like the fitted one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from augury.errors import DataError

#: scale of the unit-variance logistic distribution (its SD is π / √3 per logit unit)
LOGISTIC_SD = float(np.sqrt(3.0) / np.pi)
#: bound of calibrated scores (they stay finite whatever the raw scores)
MAX_Z = 1e300
#: fraction of the training scores at each end whose slope is extrapolated beyond the range
TAIL = 0.1


@dataclass(frozen=True)
class Calibration:
    """Monotone map from raw scores to unit-variance logistic units, fitted on training scores.

    ``knots`` ``[K]`` are the distinct training scores (ascending) and ``z`` ``[K]`` their logistic
    scores; ``low_slope`` / ``high_slope`` (z per raw unit, > 0) extend the map beyond them.
    """

    knots: np.ndarray
    z: np.ndarray
    low_slope: float
    high_slope: float

    @classmethod
    def fit(cls, train_scores: np.ndarray) -> Calibration:
        """Fit on the training scores ``[N]`` (finite)."""
        s = np.sort(np.asarray(train_scores, dtype=np.float64).ravel())
        if s.size == 0 or not np.all(np.isfinite(s)):
            raise DataError("calibration needs at least one finite training score")
        knots, first, counts = np.unique(s, return_index=True, return_counts=True)
        # mid-rank CDF with a +0.5 / +1 continuity correction: never 0 or 1, ties share one value
        cdf = (first + 0.5 * counts + 0.5) / (s.size + 1.0)
        z = LOGISTIC_SD * logit(cdf)
        return cls(knots, z, _slope(knots, z, low=True), _slope(knots, z, low=False))

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated scores (unit-variance logistic units) of raw ``scores`` ``[T]`` → float64 ``[T]``."""
        s = np.asarray(scores, dtype=np.float64).ravel()
        with np.errstate(over="ignore"):
            return self._transform(s)

    def _transform(self, s: np.ndarray) -> np.ndarray:
        out = np.interp(s, self.knots, self.z)
        above, below = s > self.knots[-1], s < self.knots[0]
        out[above] = self.z[-1] + (s[above] - self.knots[-1]) * self.high_slope
        out[below] = self.z[0] - (self.knots[0] - s[below]) * self.low_slope
        # far beyond the range of tiny-valued training scores the product can overflow
        return np.clip(out, -MAX_Z, MAX_Z)

    def proba(self, scores: np.ndarray) -> np.ndarray:
        """Probability ``[T]`` in [0, 1] that a step is outlying: the training CDF ``F`` (extrapolated beyond its range)."""
        return expit(self.transform(scores) / LOGISTIC_SD)


def _slope(knots: np.ndarray, z: np.ndarray, low: bool) -> float:
    """z per raw unit over the outer ``TAIL`` of the distinct scores (1 for a constant series).

    The span is floored at 1e-9 of the whole range: two nearly equal extreme scores must not
    turn a small step beyond the range into thousands of SDs.
    """
    if knots.size < 2:
        return 1.0
    k = max(2, int(np.ceil(TAIL * knots.size)))
    lo, hi = (0, k - 1) if low else (knots.size - k, knots.size - 1)
    span = max(float(knots[hi] - knots[lo]), 1e-9 * float(knots[-1] - knots[0]))
    return float((z[hi] - z[lo]) / span)
