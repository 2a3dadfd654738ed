"""Window-level metrics of the early-warning protocol (MTS-JEPA; protocols.md section 4.5).

One sample per window: ``y_true_windows[i] = 1`` when window i+1 contains an anomaly, and the
predictor's probability for it. No point adjustment. The decision threshold delta* is chosen on
the *validation* windows (:func:`select_window_threshold`), then applied to the test windows.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from augury.errors import MetricError
from augury.metrics._validation import check_pair, require_both_classes
from augury.metrics.prf import check_prediction_pair, confusion_prf

GRID_SIZE = 200


def window_prf(y_true_windows: object, y_pred_windows: object) -> dict[str, float]:
    """Window-level ``precision, recall, f1, accuracy`` of 0/1 predictions ``[N_windows]``.

    Binary scores with ``zero_division = 0`` (scikit-learn semantics).
    """
    return confusion_prf(*check_prediction_pair(y_true_windows, y_pred_windows))


def window_auc(y_true_windows: object, prob: object) -> float:
    """ROC AUC of raw window probabilities ``[N_windows]`` (``roc_auc_score``); needs both classes."""
    y, s = check_pair(y_true_windows, prob, "prob")
    require_both_classes(y, "window_auc")
    return float(roc_auc_score(y, s))


def select_window_threshold(y_val_windows: object, prob_val: object, grid_size: int = GRID_SIZE) -> float:
    """delta*: the F1-maximising threshold on validation windows, for the rule ``prob > delta``.

    Candidates are ``linspace(min(prob_val), max(prob_val), grid_size)`` (200 as in MTS-JEPA); on
    ties the smallest candidate wins. ``y_val_windows`` ``[N]`` 0/1, ``prob_val`` ``[N]``.
    """
    if grid_size < 1:
        raise MetricError(f"grid_size must be >= 1, got {grid_size}")
    y, prob = check_pair(y_val_windows, prob_val, "prob_val")
    grid = np.linspace(prob.min(), prob.max(), grid_size)
    f1 = [confusion_prf(y, (prob > delta).astype(np.int8))["f1"] for delta in grid]
    return float(grid[int(np.argmax(f1))])


def evaluate_windows(y_true_windows: object, prob: object, threshold: float) -> dict[str, float]:
    """``win_precision, win_recall, win_f1, win_auc`` on test windows at ``prob > threshold``.

    ``win_auc`` needs both classes among the windows and raises ``MetricError`` otherwise.
    """
    y, s = check_pair(y_true_windows, prob, "prob")
    prf = confusion_prf(y, (s > threshold).astype(np.int8))
    return {
        "win_precision": prf["precision"],
        "win_recall": prf["recall"],
        "win_f1": prf["f1"],
        "win_auc": window_auc(y, s),
    }
