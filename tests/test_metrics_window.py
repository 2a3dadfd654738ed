"""Window-level early-warning metrics and the validation-chosen threshold delta*."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from augury.errors import MetricError
from augury.metrics import evaluate_windows, select_window_threshold, window_auc, window_prf

val_sets = st.integers(2, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.floats(0, 1, allow_nan=False), min_size=n, max_size=n),
    )
)


@settings(max_examples=50, deadline=None)
@given(data=val_sets)
def test_delta_star_maximises_validation_f1_on_the_200_grid(data: tuple[list[int], list[float]]) -> None:
    y, prob = np.array(data[0]), np.array(data[1])
    delta = select_window_threshold(y, prob)
    grid = np.linspace(prob.min(), prob.max(), 200)
    pred = prob[None, :] > grid[:, None]
    tp = (pred & (y == 1)).sum(axis=1)
    # F1 = 2TP / (2TP + FP + FN), 0 when nothing is predicted or positive (sklearn zero_division=0).
    denom = pred.sum(axis=1) + y.sum()
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    chosen = int(np.flatnonzero(grid == delta)[0])
    assert f1[chosen] == pytest.approx(f1.max(), abs=1e-12)
    assert np.all(f1[:chosen] < f1.max() - 1e-12)  # ties go to the smallest delta


def test_window_prf_and_auc_match_sklearn() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(80) < 0.3).astype(int)
    prob = np.clip(0.4 * y + rng.random(80) * 0.7, 0, 1)
    pred = (prob > 0.5).astype(int)
    got = window_prf(y, pred)
    assert got["precision"] == pytest.approx(precision_score(y, pred, zero_division=0))
    assert got["recall"] == pytest.approx(recall_score(y, pred, zero_division=0))
    assert got["f1"] == pytest.approx(f1_score(y, pred, zero_division=0))
    assert window_auc(y, prob) == pytest.approx(roc_auc_score(y, prob))


def test_evaluate_windows_uses_delta_from_validation() -> None:
    y_val, p_val = np.array([0, 0, 1, 1, 0, 1]), np.array([0.1, 0.2, 0.7, 0.9, 0.3, 0.6])
    delta = select_window_threshold(y_val, p_val)
    assert 0.3 <= delta < 0.6  # separates the classes: F1 = 1
    y_test, p_test = np.array([0, 1, 0, 1]), np.array([0.2, 0.8, 0.65, 0.1])
    got = evaluate_windows(y_test, p_test, delta)
    assert set(got) == {"win_precision", "win_recall", "win_f1", "win_auc"}
    assert got["win_precision"] == pytest.approx(0.5) and got["win_recall"] == pytest.approx(0.5)
    assert got["win_auc"] == pytest.approx(0.5)


def test_zero_division_and_errors() -> None:
    assert window_prf(np.array([0, 1]), np.array([0, 0])) == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "accuracy": 0.5,
    }
    with pytest.raises(MetricError, match="no anomaly"):
        window_auc(np.zeros(5), np.linspace(0, 1, 5))
    with pytest.raises(MetricError, match="length mismatch"):
        window_prf(np.array([0, 1]), np.array([1]))
    with pytest.raises(MetricError, match="non-finite"):
        select_window_threshold(np.array([0, 1]), np.array([0.5, np.nan]))


def test_window_labels_and_next_window_labels() -> None:
    from augury.metrics import next_window_labels, window_labels

    y = np.zeros(23, dtype=int)
    y[[4, 13]] = 1
    np.testing.assert_array_equal(window_labels(y, 5), [1, 0, 1, 0])  # the partial tail window is dropped
    np.testing.assert_array_equal(next_window_labels(y, 5), [0, 1, 0])  # target of window i = window i + 1
    np.testing.assert_array_equal(window_labels(y, 5, stride=2), [1, 1, 1, 0, 0, 1, 1, 0, 0, 0])
    with pytest.raises(MetricError, match="window"):
        window_labels(y, 0)
    with pytest.raises(MetricError, match="fewer than one window"):
        window_labels(y[:3], 5)


def test_constant_probability_fallback() -> None:
    y = np.array([0, 1, 0, 1, 1])
    flat = np.full(5, 0.42)
    assert select_window_threshold(y, flat, constant_fallback=True) == 0.1  # MTS-JEPA's grid, first max
    assert select_window_threshold(y, flat) == 0.42  # without it: linspace(min, max) collapses
