"""Point adjustment (PA, Anomaly-Transformer semantics) and PA%K (Kim et al., AAAI 2022).

PA marks a whole ground-truth segment as detected once any of its steps is predicted. It is
known to inflate scores: a random detector reaches a high PA-F1 on long segments (Kim et al.),
so report it only next to the threshold-free metrics and the random baseline of
:func:`augury.metrics.evaluate`. PA%K adjusts a segment only when *more than* K % of its steps
are predicted (K = 0 is PA, K = 100 is plain point-wise), as ``tadpak.pak`` does.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from augury.errors import MetricError
from augury.metrics._validation import check_pair, segments
from augury.metrics.prf import check_prediction_pair, confusion_prf, prf_from_counts

DEFAULT_KS = tuple(range(101))


def _segment_hits(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(starts, ends, lengths, predicted steps per segment)`` of the anomaly segments of ``y``."""
    starts, ends = segments(y)
    csum = np.concatenate(([0], np.cumsum(p, dtype=np.int64)))
    return starts, ends, ends - starts + 1, csum[ends + 1] - csum[starts]


def _fill_segments(p: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Copy of ``p`` with every step of the given segments set to 1."""
    cover = np.zeros(p.size + 1, dtype=np.int64)
    np.add.at(cover, starts, 1)
    np.add.at(cover, ends + 1, -1)
    out = p.copy()
    out[np.cumsum(cover[:-1]) > 0] = 1
    return out


def point_adjust(y_true: object, y_pred: object, at_compat: bool = False) -> np.ndarray:
    """Point-adjusted predictions ``[T]`` (int8): every segment with a predicted step becomes all 1.

    ``at_compat=True`` reproduces the Anomaly-Transformer loop exactly, including its quirk:
    the backward fill stops before index 0, so a segment starting at index 0 whose first
    predicted step comes later keeps ``pred[0] = 0``. Predictions outside segments are kept.
    """
    y, p = check_prediction_pair(y_true, y_pred)
    starts, ends, _, hits = _segment_hits(y, p)
    out = _fill_segments(p, starts[hits > 0], ends[hits > 0])
    if at_compat and y[0] == 1:
        out[0] = p[0]
    return out


def pa_k_adjust(y_true: object, y_pred: object, k: float) -> np.ndarray:
    """PA%K predictions ``[T]``: a segment is filled iff predicted steps > ``k`` / 100 x its length."""
    if not 0 <= k <= 100:
        raise MetricError(f"PA%K: k must be a percentage in [0, 100], got {k}")
    y, p = check_prediction_pair(y_true, y_pred)
    starts, ends, lengths, hits = _segment_hits(y, p)
    adjust = hits > k / 100 * lengths
    return _fill_segments(p, starts[adjust], ends[adjust])


def check_threshold(threshold: float) -> None:
    """Raise ``MetricError`` unless ``threshold`` is a real number (not NaN; ±inf flags all/none)."""
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or math.isnan(threshold):
        raise MetricError(f"threshold must be a real number, got {threshold!r}")


def pa_prf(y_true: object, y_score: object, threshold: float, at_compat: bool = False) -> dict[str, float]:
    """``precision, recall, f1, accuracy`` after point adjustment of ``y_score > threshold``.

    ``y_true`` ``[T]`` 0/1, ``y_score`` ``[T]``; the strict ``>`` is Anomaly-Transformer's rule.
    """
    check_threshold(threshold)
    y, s = check_pair(y_true, y_score)
    return confusion_prf(y, point_adjust(y, (s > threshold).astype(np.int8), at_compat=at_compat))


def pa_k_curve(
    y_true: object, y_score: object, threshold: float, ks: Sequence[float] = DEFAULT_KS
) -> dict[str, np.ndarray]:
    """PA%K ``precision, recall, f1`` ``[len(ks)]`` of ``y_score > threshold`` for each K in ``ks`` (percent).

    Only whole segments change with K, so the counts are updated per segment instead of
    re-adjusting the series for every K.
    """
    k_arr = np.asarray(ks, dtype=np.float64)
    check_threshold(threshold)
    if k_arr.ndim != 1 or k_arr.size == 0 or not np.all((k_arr >= 0) & (k_arr <= 100)):
        raise MetricError(f"PA%K: ks must be a non-empty list of percentages in [0, 100], got {ks!r}")
    y, s = check_pair(y_true, y_score)
    p = (s > threshold).astype(np.int8)
    _, _, lengths, hits = _segment_hits(y, p)
    tp0 = int(hits.sum())
    n_pred, n_pos = int(p.sum()), int(y.sum())
    fp = n_pred - tp0
    rows = []
    for k in k_arr:
        tp = tp0 + int((lengths - hits)[hits > k / 100 * lengths].sum())
        rows.append(prf_from_counts(tp, fp, n_pos - tp, y.size - n_pos - fp))
    return {"k": k_arr, **{m: np.array([r[m] for r in rows]) for m in ("precision", "recall", "f1")}}


def pa_k_auc(y_true: object, y_score: object, threshold: float, ks: Sequence[float] = DEFAULT_KS) -> float:
    """Area under F1_PA%K as K sweeps ``ks`` (default 0, 1, ..., 100 percent); in [0, 1].

    Trapezoidal rule over the given K values divided by their range, so the result is a mean
    F1 (Kim et al. report this area for K = 0..100).
    """
    curve = pa_k_curve(y_true, y_score, threshold, ks)
    k = curve["k"] / 100
    if k.size < 2 or k[0] == k[-1]:
        raise MetricError("PA%K AUC needs at least two distinct K values")
    order = np.argsort(k)
    return float(np.trapezoid(curve["f1"][order], k[order]) / (k[order][-1] - k[order][0]))
