"""Input checks shared by every metric, and the label-segment helper.

Every public metric funnels its arguments through these checks so that a user mistake
(wrong length, NaN score, label 2, a 2-D array) raises :class:`MetricError` with one message
style instead of a NumPy/scikit-learn traceback or, worse, a silent NaN.
"""

from __future__ import annotations

import numpy as np

from augury.errors import MetricError


def check_labels(y_true: object, name: str = "y_true") -> np.ndarray:
    """0/1 labels as an int8 array ``[T]``; accepts bool, int or float 0.0/1.0 input."""
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise MetricError(f"{name} must be 1-D, got shape {y.shape}")
    if y.size == 0:
        raise MetricError(f"{name} is empty")
    if y.dtype == bool:
        return y.astype(np.int8)
    if not np.issubdtype(y.dtype, np.number):
        raise MetricError(f"{name} must be numeric 0/1, got dtype {y.dtype}")
    bad = ~((y == 0) | (y == 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise MetricError(f"{name} must contain only 0 and 1; found {y[i]!r} at index {i}")
    return y.astype(np.int8)


def check_scores(y_score: object, n: int | None = None, name: str = "y_score") -> np.ndarray:
    """Finite float64 scores ``[T]``; ``n`` (if given) is the required length."""
    s = np.asarray(y_score)
    if s.ndim != 1:
        raise MetricError(f"{name} must be 1-D, got shape {s.shape}")
    if s.size == 0:
        raise MetricError(f"{name} is empty")
    if s.dtype == bool or not np.issubdtype(s.dtype, np.number):
        raise MetricError(f"{name} must be real-valued, got dtype {s.dtype}")
    s = s.astype(np.float64, copy=False)
    if n is not None and s.size != n:
        raise MetricError(f"length mismatch: y_true has {n} steps but {name} has {s.size}")
    finite = np.isfinite(s)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise MetricError(
            f"{name} contains {int((~finite).sum())} non-finite value(s) (first at index {i}: {s[i]}); "
            "mask unscored steps out first (evaluate(..., nan_policy='mask') does this and reports coverage)"
        )
    return s


def check_pair(
    y_true: object, y_score: object, score_name: str = "y_score", rank_ints: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(labels int8 [T], scores float64 [T])``.

    ``rank_ints=True`` (for metrics that depend on the order of the scores only) replaces
    integer scores beyond 2**53 by their exact dense ranks, see :func:`exact_order`.
    """
    y = check_labels(y_true)
    if rank_ints:
        y_score = exact_order(y_score)
    return y, check_scores(y_score, y.size, score_name)


_FLOAT_EXACT = 2**53


def exact_order(y_score: object) -> object:
    """Integer scores that float64 cannot hold exactly become their dense ranks (0, 1, ...).

    float64 has 53 mantissa bits, so int64 scores above 2**53 would collide into ties that the
    data do not have (``2**53`` and ``2**53 + 1`` become equal). Ranks keep the exact order and
    fit in float64; every other input is returned unchanged. Only for order-based metrics.
    """
    s = np.asarray(y_score)
    if s.ndim == 1 and s.size and np.issubdtype(s.dtype, np.integer) and s.dtype != bool:
        # Compare in Python ints: abs(int64 min) overflows.
        if max(int(s.max()), -int(s.min())) > _FLOAT_EXACT:
            return np.unique(s, return_inverse=True)[1].astype(np.float64)
    return y_score


def require_both_classes(y: np.ndarray, metric: str) -> None:
    """Raise unless ``y`` has at least one anomaly and one normal step."""
    n_pos = int(y.sum())
    if n_pos == 0:
        raise MetricError(f"{metric} is undefined when y_true has no anomaly (all {y.size} labels are 0)")
    if n_pos == y.size:
        raise MetricError(f"{metric} is undefined when y_true has no normal step (all {y.size} labels are 1)")


def require_anomaly(y: np.ndarray, metric: str) -> None:
    """Raise unless ``y`` has at least one anomaly."""
    if not y.any():
        raise MetricError(f"{metric} is undefined when y_true has no anomaly (all {y.size} labels are 0)")


def segments(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximal runs of 1 in ``y`` ``[T]`` as ``(starts, ends)`` int64 arrays, ends inclusive."""
    d = np.diff(y.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(d == 1).astype(np.int64), np.flatnonzero(d == -1).astype(np.int64) - 1
