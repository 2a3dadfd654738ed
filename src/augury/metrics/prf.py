"""Point-wise precision / recall / F1 of binary predictions, and the oracle best F1."""

from __future__ import annotations

import numpy as np

from augury.errors import MetricError
from augury.metrics._validation import check_labels, check_pair, require_anomaly


def prf_from_counts(tp: float, fp: float, fn: float, tn: float) -> dict[str, float]:
    """``precision, recall, f1, accuracy`` from confusion counts; 0.0 where a ratio is 0/0.

    Written out rather than calling ``precision_recall_fscore_support`` because PA%K and the
    random baselines evaluate it hundreds of times per series, where scikit-learn's input
    checks dominate; the tests compare it with scikit-learn (``zero_division=0``).
    """
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    # 2TP / (2TP + FP + FN) equals the harmonic mean of P and R, but as one correctly rounded
    # division equal F1 values are bit-identical, so argmax tie-breaking (best thresholds) is stable.
    f1 = 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0
    accuracy = (tp + tn) / (tp + fp + fn + tn)
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "accuracy": float(accuracy),
    }


def check_prediction_pair(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(labels int8 [T], predictions int8 [T])``."""
    y = check_labels(y_true)
    p = check_labels(y_pred, "y_pred")
    if p.size != y.size:
        raise MetricError(f"length mismatch: y_true has {y.size} steps but y_pred has {p.size}")
    return y, p


def confusion_prf(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """:func:`prf_from_counts` of already validated 0/1 arrays ``[T]``."""
    tp = int(np.count_nonzero(y & p))
    n_pred, n_pos = int(p.sum()), int(y.sum())
    return prf_from_counts(tp, n_pred - tp, n_pos - tp, y.size - n_pos - n_pred + tp)


def point_prf(y_true: object, y_pred: object) -> dict[str, float]:
    """Point-wise ``precision, recall, f1, accuracy`` of 0/1 predictions ``[T]`` (no adjustment).

    Same numbers as scikit-learn's binary ``precision_recall_fscore_support(zero_division=0)``
    and ``accuracy_score``.
    """
    return confusion_prf(*check_prediction_pair(y_true, y_pred))


def best_f1(y_true: object, y_score: object) -> dict[str, float]:
    """ORACLE: the best point-wise F1 over every threshold, chosen *with the test labels*.

    An upper bound, not a deployable number (TSB-AD's "Standard-F1"). Returns ``f1``,
    ``precision``, ``recall`` and ``threshold`` such that ``y_score > threshold`` reproduces
    them. ``y_true`` ``[T]`` 0/1 with at least one anomaly, ``y_score`` ``[T]``.
    """
    y, s = check_pair(y_true, y_score)
    require_anomaly(y, "best_f1")
    from sklearn.metrics import precision_recall_curve  # lazy: sklearn costs ~140 MB to import
    precision, recall, thresholds = precision_recall_curve(y, s)
    # The last curve point (recall 0, precision 1) has no threshold.
    precision, recall = precision[:-1], recall[:-1]
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
    k = int(np.argmax(f1))
    # scikit-learn predicts score >= t; the largest float below t turns that into our ``>`` rule.
    return {
        "f1": float(f1[k]),
        "precision": float(precision[k]),
        "recall": float(recall[k]),
        "threshold": float(np.nextafter(thresholds[k], -np.inf)),
    }
