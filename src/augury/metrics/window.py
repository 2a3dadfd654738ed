"""Window-level metrics of the early-warning protocol (MTS-JEPA; docs/protocols.md §4.5).

One sample per window: ``y_true_windows[i] = 1`` when window i+1 contains an anomaly, and the
predictor's probability for it. No point adjustment. The decision threshold delta* is chosen on
the *validation* windows (:func:`select_window_threshold`), then applied to the test windows.
"""

from __future__ import annotations

import numpy as np

from augury.errors import MetricError
from augury.metrics._validation import check_labels, check_pair, require_both_classes
from augury.metrics.baseline import summarise_runs
from augury.metrics.prf import check_prediction_pair, confusion_prf

GRID_SIZE = 200
#: MTS-JEPA's candidates when the validation probabilities are nearly constant (std < 1e-6).
CONSTANT_GRID = (0.1, 0.3, 0.5, 0.7, 0.9)
CONSTANT_STD = 1e-6


def window_labels(y_point: object, window: int = 100, stride: int | None = None) -> np.ndarray:
    """Window labels ``[N]``: 1 if any point of window i is anomalous.

    Window i covers points ``[i * stride, i * stride + window)`` of the point labels ``y_point``
    ``[T]`` (``stride`` defaults to ``window``: non-overlapping windows, as MTS-JEPA); a trailing
    partial window is dropped. Raises ``MetricError`` if ``T < window``.
    """
    stride = window if stride is None else stride
    for name, value in (("window", window), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise MetricError(f"{name} must be an integer >= 1, got {value!r}")
    y = check_labels(y_point, "y_point")
    if y.size < window:
        raise MetricError(f"y_point has {y.size} points, fewer than one window of {window}")
    n = (y.size - window) // stride + 1
    csum = np.concatenate(([0], np.cumsum(y, dtype=np.int64)))
    starts = np.arange(n) * stride
    return (csum[starts + window] - csum[starts] > 0).astype(np.int8)


def next_window_labels(y_point: object, window: int = 100, stride: int | None = None) -> np.ndarray:
    """Early-warning targets ``[N - 1]``: entry i is 1 if window i + 1 contains an anomaly.

    The input of sample i is window i and its target is the *next* window (MTS-JEPA,
    docs/protocols.md §4.5); windows as in :func:`window_labels`.
    """
    return window_labels(y_point, window, stride)[1:]


def window_prf(y_true_windows: object, y_pred_windows: object) -> dict[str, float]:
    """Window-level ``precision, recall, f1, accuracy`` of 0/1 predictions ``[N_windows]``.

    Binary scores with ``zero_division = 0`` (scikit-learn semantics).
    """
    return confusion_prf(*check_prediction_pair(y_true_windows, y_pred_windows))


def window_auc(y_true_windows: object, prob: object) -> float:
    """ROC AUC of raw window probabilities ``[N_windows]`` (``roc_auc_score``); needs both classes."""
    y, s = check_pair(y_true_windows, prob, "prob")
    require_both_classes(y, "window_auc")
    from sklearn.metrics import roc_auc_score  # lazy: sklearn costs ~140 MB to import
    return float(roc_auc_score(y, s))


def select_window_threshold(
    y_val_windows: object, prob_val: object, grid_size: int = GRID_SIZE, constant_fallback: bool = False
) -> float:
    """delta*: the F1-maximising threshold on validation windows, for the rule ``prob > delta``.

    Candidates are ``linspace(min(prob_val), max(prob_val), grid_size)`` (200 as in MTS-JEPA); on
    ties the smallest candidate wins. ``y_val_windows`` ``[N]`` 0/1, ``prob_val`` ``[N]``.
    ``constant_fallback=True`` reproduces MTS-JEPA's code: when the validation probabilities are
    nearly constant (std < 1e-6) the candidates are only 0.1, 0.3, 0.5, 0.7, 0.9.
    """
    if grid_size < 1:
        raise MetricError(f"grid_size must be >= 1, got {grid_size}")
    y, prob = check_pair(y_val_windows, prob_val, "prob_val")
    if constant_fallback and prob.std() < CONSTANT_STD:
        grid = np.array(CONSTANT_GRID)
    else:
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


def window_random_baseline(
    y_true_windows: object, prob: object, threshold: float, n_seeds: int = 20
) -> dict[str, float | None]:
    """Random-probability baseline of :func:`evaluate_windows` with its spread over ``n_seeds`` seeds.

    Each seed draws uniform probabilities for the same windows and flags as many windows as
    ``prob > threshold`` does. Returns ``random_win_<m>`` (mean), ``random_win_<m>_std`` and the
    95 % interval ``random_win_<m>_ci_low/_ci_high`` for ``m`` in precision, recall, f1, auc
    (:mod:`augury.metrics.baseline`). Needs both classes among the windows.
    """
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int | np.integer) or n_seeds < 1:
        raise MetricError(f"n_seeds must be an integer >= 1, got {n_seeds!r}")
    y, s = check_pair(y_true_windows, prob, "prob")
    require_both_classes(y, "window_random_baseline")
    n_flagged = int(np.count_nonzero(s > threshold))
    runs = []
    for seed in range(int(n_seeds)):
        r = np.random.default_rng(seed).random(y.size)
        # Continuous uniform draws are tie-free, so this flags exactly n_flagged windows.
        r_threshold = -np.inf if n_flagged >= r.size else float(np.sort(r)[r.size - n_flagged - 1])
        runs.append(evaluate_windows(y, r, r_threshold))
    return summarise_runs(runs)
