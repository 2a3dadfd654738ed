"""SPOT / POT extreme-value thresholds (Siffer et al., KDD 2017).

Peaks-over-threshold: the training scores above an initial high quantile ``t`` (``level``,
0.98 by default) are modelled by a generalized Pareto distribution (GPD); the threshold
``z_q`` is the score exceeded with probability ``q`` (the *risk*) under that tail model::

    z_q = t + sigma / gamma * ((q * n / N_t) ** -gamma - 1)     (t - sigma * log(q n / N_t) if gamma = 0)

with n training scores of which N_t exceed ``t``. :meth:`SPOT.apply` uses this fixed ``z_q``
(POT), so a saved detector that stores only ``threshold_`` predicts the same after loading.
:meth:`SPOT.stream` is the streaming SPOT of the paper: each test score above ``z_q`` is an
alarm, each score between ``t`` and ``z_q`` becomes a new peak and the GPD is refitted.

The GPD is fitted by maximum likelihood with ``scipy.stats.genpareto`` (location fixed at 0)
rather than the paper's Grimshaw procedure; both estimate the same parameters.
"""

from __future__ import annotations

import numpy as np

from augury.errors import MetricError
from augury.metrics._strategy import ThresholdStrategy, _finite_1d

MIN_PEAKS = 10


def _fit_gpd(peaks: np.ndarray, start: tuple[float, float] | None = None) -> tuple[float, float]:
    """``(gamma, sigma)`` of a GPD fitted to excesses ``peaks`` (> 0) by maximum likelihood."""
    from scipy.stats import genpareto  # lazy: scipy.stats costs ~60 MB and 0.7 s to import

    if start is None:
        gamma, _, sigma = genpareto.fit(peaks, floc=0)
    else:
        # Warm start from the previous fit: one new peak moves the optimum very little.
        gamma, _, sigma = genpareto.fit(peaks, start[0], floc=0, scale=start[1])
    return float(gamma), float(sigma)


def _quantile(t: float, gamma: float, sigma: float, q: float, n: int, n_peaks: int) -> float:
    r = q * n / n_peaks
    if abs(gamma) < 1e-8:
        return float(t - sigma * np.log(r))
    return float(t + sigma / gamma * (r ** (-gamma) - 1.0))


class SPOT(ThresholdStrategy):
    """Extreme-value threshold with risk ``q`` (expected exceedance probability, e.g. 1e-3).

    ``level`` in (0, 1) is the quantile of the training scores above which the tail is
    modelled; at least ``MIN_PEAKS`` training scores must exceed it.
    Fitted attributes: ``threshold_`` (z_q), ``init_threshold_`` (t), ``gamma_``, ``sigma_``,
    ``n_``, ``peaks_`` (excesses over t).
    """

    def __init__(self, q: float = 1e-3, level: float = 0.98) -> None:
        if not 0.0 < q < 1.0:
            raise MetricError(f"SPOT risk q must be in (0, 1), got {q}")
        if not 0.0 < level < 1.0:
            raise MetricError(f"SPOT level must be in (0, 1), got {level}")
        if q >= 1.0 - level:
            raise MetricError(f"SPOT risk q={q} must be below the tail mass 1 - level = {1 - level:g}")
        self.q = float(q)
        self.level = float(level)

    def fit(self, train_scores: np.ndarray) -> SPOT:
        s = _finite_1d(train_scores, "SPOT fit")
        t = float(np.quantile(s, self.level))
        peaks = s[s > t] - t
        if peaks.size < MIN_PEAKS:
            raise MetricError(
                f"SPOT needs at least {MIN_PEAKS} training scores above the {self.level:g} quantile, "
                f"got {peaks.size} (of {s.size}); pass more training scores or lower `level`"
            )
        self.init_threshold_ = t
        self.peaks_ = peaks
        self.n_ = int(s.size)
        self.gamma_, self.sigma_ = _fit_gpd(peaks)
        self.threshold_ = _quantile(t, self.gamma_, self.sigma_, self.q, self.n_, peaks.size)
        return self

    def stream(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Streaming SPOT over ``scores`` ``[T]``: ``(alarms 0/1 [T], threshold used at each step [T])``.

        Alarms (score > current z_q) do not update the model; scores in ``(t, z_q]`` are added as
        peaks and the GPD is refitted (one fit per peak: cost grows with the number of peaks).
        The fitted state of ``self`` is left unchanged.
        """
        if not hasattr(self, "peaks_"):
            raise MetricError("SPOT.stream needs the fitted tail model: call fit(train_scores) first")
        s = _finite_1d(scores, "SPOT stream")
        t, n = self.init_threshold_, self.n_
        peaks = list(self.peaks_)
        gamma, sigma, z = self.gamma_, self.sigma_, self.threshold_
        alarms = np.zeros(s.size, dtype=np.int64)
        used = np.empty(s.size)
        for i, x in enumerate(s):
            used[i] = z
            if x > z:
                alarms[i] = 1
                continue
            n += 1
            if x > t:
                peaks.append(x - t)
                gamma, sigma = _fit_gpd(np.asarray(peaks), (gamma, sigma))
                z = _quantile(t, gamma, sigma, self.q, n, len(peaks))
        return alarms, used

    def spec(self) -> str:
        return f"spot:{self.q:g}" if self.level == 0.98 else f"spot:{self.q:g}:{self.level:g}"
