"""Point-wise threshold-free metrics: AUC-ROC and AUC-PR (scikit-learn semantics)."""

from __future__ import annotations

from augury.metrics._validation import check_pair, require_anomaly, require_both_classes


def auc_roc(y_true: object, y_score: object) -> float:
    """Area under the ROC curve of per-step scores (``sklearn.metrics.roc_auc_score``).

    ``y_true`` ``[T]`` 0/1, ``y_score`` ``[T]`` finite, higher = more anomalous. Ties are
    handled as scikit-learn does (half credit). Raises ``MetricError`` unless both classes occur.
    """
    y, s = check_pair(y_true, y_score, rank_ints=True)
    require_both_classes(y, "auc_roc")
    from sklearn.metrics import roc_auc_score  # lazy: sklearn costs ~140 MB to import
    return float(roc_auc_score(y, s))


def auc_pr(y_true: object, y_score: object) -> float:
    """Average precision of per-step scores (``sklearn.metrics.average_precision_score``).

    This is the step-wise sum ``sum_k (R_k - R_{k-1}) P_k``, not a trapezoidal PR area.
    ``y_true`` ``[T]`` 0/1, ``y_score`` ``[T]``. Raises ``MetricError`` if there is no anomaly;
    with no normal step it is 1.0.
    """
    y, s = check_pair(y_true, y_score, rank_ints=True)
    require_anomaly(y, "auc_pr")
    from sklearn.metrics import average_precision_score  # lazy: sklearn costs ~140 MB to import
    return float(average_precision_score(y, s))
