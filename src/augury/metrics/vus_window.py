"""Choosing the VUS buffer: from the labels (TAB) or from the series' dominant period (TSB-AD).

VUS grows with its window (TSB-AD issue #38), so the window must be a property of the dataset,
chosen once and recorded with every number. Two established choices:

- :func:`suggest_vus_window`: 2 x the median labelled event length, as TAB does per series;
- :func:`estimate_period`: TSB-AD's ``find_length_rank(rank=1)`` on one channel: the highest local
  maximum of the autocorrelation (first 20,000 steps, lags 3..400), plus 3; 125 when there is no
  peak or it lies outside lags 3..300 (TSB-AD checks the bound *before* adding the offset, so the
  accepted results are 6..303).

The ACF is computed here with NumPy's FFT, as statsmodels' ``acf(x, nlags=400, fft=True)`` does
(demeaned, biased autocovariance divided by the variance), so statsmodels is not needed.
"""

from __future__ import annotations

import numpy as np

from augury.errors import MetricError
from augury.metrics._validation import check_labels, require_anomaly, segments

#: TSB-AD's fallback window when no usable ACF peak exists.
PERIOD_FALLBACK = 125
_MAX_LAG, _BASE, _MAX_STEPS = 400, 3, 20_000


def suggest_vus_window(y_true: object) -> int:
    """TAB's VUS window: ``2 x median length`` of the labelled events (steps), at least 1.

    ``y_true`` ``[T]`` 0/1 with at least one anomaly. The median of an even count is the mean of
    the middle two lengths; the product is rounded to the nearest integer.
    """
    y = check_labels(y_true)
    require_anomaly(y, "suggest_vus_window")
    starts, ends = segments(y)
    return max(1, int(round(2 * float(np.median(ends - starts + 1)))))


def acf(x: np.ndarray, nlags: int) -> np.ndarray:
    """Autocorrelation ``[nlags + 1]`` of a 1-D series (statsmodels ``acf(fft=True)`` definition)."""
    d = np.asarray(x, dtype=np.float64) - np.mean(x)
    n = d.size
    size = 1 << int(np.ceil(np.log2(2 * n - 1)))  # zero padding: linear, not circular, correlation
    f = np.fft.rfft(d, size)
    acov = np.fft.irfft(f * np.conj(f), size)[: nlags + 1] / n
    if acov[0] == 0:
        raise MetricError("estimate_period: the series is constant, it has no autocorrelation")
    return acov / acov[0]


def estimate_period(series: object) -> int:
    """TSB-AD's series-based window (``find_length_rank(x, rank=1)``) for one channel ``[T]``.

    Pass one channel (TSB-AD uses the first): for a multivariate array TSB-AD silently returns 0,
    here it is an error.
    """
    x = np.asarray(series, dtype=np.float64)
    if x.ndim == 2 and 1 in x.shape:
        x = x.ravel()
    if x.ndim != 1:
        raise MetricError(f"estimate_period needs one channel [T], got shape {x.shape}; pass x[:, 0]")
    if x.size < 2 or not np.all(np.isfinite(x)):
        raise MetricError("estimate_period needs at least 2 finite values")
    x = x[:_MAX_STEPS]
    r = acf(x, min(_MAX_LAG, x.size - 1))[_BASE:]
    peaks = np.flatnonzero((r[1:-1] > r[:-2]) & (r[1:-1] > r[2:])) + 1  # scipy argrelextrema(np.greater)
    if peaks.size == 0:
        return PERIOD_FALLBACK
    # Highest peak; on equal heights the stable argsort of TSB-AD picks the last one.
    heights = r[peaks]
    best = peaks[np.flatnonzero(heights == heights.max())[-1]]
    if best < _BASE or best > 300:
        return PERIOD_FALLBACK
    return int(best + _BASE)
