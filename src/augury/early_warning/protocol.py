"""The MTS-JEPA early-warning protocol (spec §7; protocols.md §4.5) for any predictor.

Samples are the windows of the official *test* series (sample i = window i, label = window i+1);
they are split chronologically 6:2:2 into head-train / validation / test. Because windows are
aligned to multiples of W, the three parts can be handed to a predictor as contiguous sub-series
(:func:`split_series`), which yields exactly the same windows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from augury.early_warning.windows import n_windows, next_window_labels
from augury.errors import DataError
from augury.metrics.prf import confusion_prf

log = logging.getLogger(__name__)


def split_indices(n_samples: int, ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contiguous, ordered sample indices: first ⌊0.6N⌋ train, next ⌊0.2N⌋ val, the rest test."""
    n_tr = int(np.floor(ratios[0] * n_samples))
    n_va = int(np.floor(ratios[1] * n_samples))
    idx = np.arange(n_samples)
    return idx[:n_tr], idx[n_tr: n_tr + n_va], idx[n_tr + n_va:]


@dataclass(frozen=True)
class SeriesSplit:
    """Sub-series of a labelled series for head-train, validation and test, with their step offsets."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    offsets: tuple[int, int, int]


def split_series(x: np.ndarray, labels: np.ndarray, window: int,
                 ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> SeriesSplit:
    """Cut ``x`` ``[T, C]`` / ``labels`` ``[T]`` so that each part's windows and next-window labels are
    exactly the protocol's samples of that part (the label window of a part's last sample is
    included, so consecutive parts share one window)."""
    n = n_windows(x.shape[0], window)
    tr, va, te = split_indices(n - 1, ratios)
    if min(len(tr), len(va), len(te)) < 1:
        raise DataError(f"series has {n} windows of {window} steps; the 6:2:2 protocol needs at least 6")

    def part(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = idx[0] * window, (idx[-1] + 2) * window
        return x[a:b], labels[a:b]

    return SeriesSplit(part(tr), part(va), part(te), (int(tr[0] * window), int(va[0] * window), int(te[0] * window)))


def bootstrap_auc_ci(y: np.ndarray, prob: np.ndarray, n_boot: int = 1000, level: float = 0.95,
                     seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the window AUC (windows resampled with replacement).

    Resamples with a single class are skipped; ``(nan, nan)`` if the data have one class.
    """
    y = np.asarray(y).astype(np.int8)
    prob = np.asarray(prob, dtype=np.float64)
    if y.min() == y.max():
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    aucs = []
    for _ in range(n_boot):
        i = rng.integers(0, y.size, y.size)
        if y[i].min() != y[i].max():
            aucs.append(roc_auc_score(y[i], prob[i]))
    lo, hi = np.quantile(aucs, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def window_scores(y: np.ndarray, prob: np.ndarray, threshold: float, n_boot: int = 1000,
                  seed: int = 0) -> dict[str, float]:
    """``win_precision, win_recall, win_f1, win_auc, win_auc_ci_low, win_auc_ci_high`` of test windows.

    AUC is NaN (with a warning) when the test windows have a single class.
    """
    prf = confusion_prf(np.asarray(y).astype(np.int8), (np.asarray(prob) > threshold).astype(np.int8))
    if y.min() == y.max():
        log.warning("test windows have a single class; window AUC is undefined")
        auc = float("nan")
    else:
        auc = float(roc_auc_score(y, prob))
    lo, hi = bootstrap_auc_ci(y, prob, n_boot=n_boot, seed=seed)
    return {"win_precision": prf["precision"], "win_recall": prf["recall"], "win_f1": prf["f1"],
            "win_auc": auc, "win_auc_ci_low": lo, "win_auc_ci_high": hi}


def evaluate_predictor(predictor, test: np.ndarray, labels: np.ndarray, seed: int = 0,
                       n_boot: int = 1000) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Run the protocol with an already pre-trained ``predictor`` on the labelled ``test`` series.

    Fits the head with ``seed`` on the train part (δ* and selection on val), scores the test part.
    Returns ``(metrics, arrays)``: the metrics of :func:`window_scores` plus ``threshold`` and the
    sample counts; ``arrays`` holds the test ``prob``, ``y`` and window ``start`` steps.
    """
    sp = split_series(test, labels, predictor.window)
    predictor.fit_head(*sp.train, validation=sp.val, seed=seed)
    x_te, l_te = sp.test
    prob = predictor.predict_proba(x_te)[:-1]
    y = next_window_labels(l_te, predictor.window)
    metrics = window_scores(y, prob, predictor.threshold_, n_boot=n_boot, seed=seed)
    n_tr = n_windows(sp.train[0].shape[0], predictor.window) - 1
    n_va = n_windows(sp.val[0].shape[0], predictor.window) - 1
    metrics.update(threshold=float(predictor.threshold_), n_head_train=n_tr, n_val=n_va, n_test=int(y.size),
                   test_pos_rate=float(y.mean()))
    start = sp.offsets[2] + np.arange(y.size) * predictor.window
    return metrics, {"prob": prob.astype(np.float32), "y": y, "start": start}
