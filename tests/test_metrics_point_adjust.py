"""Point adjustment (AT semantics, index-0 quirk), PA%K, point-wise P/R/F1, oracle F1, percentile thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from augury.errors import MetricError
from augury.metrics import (
    at_threshold,
    best_f1,
    pa_k_adjust,
    pa_k_auc,
    pa_k_curve,
    pa_prf,
    percentile_threshold,
    point_adjust,
    point_prf,
)


def at_loop(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """The Anomaly-Transformer adjustment loop as protocols.md section 4.4 states it (test oracle)."""
    pred = pred.copy()
    in_seg = False
    for t in range(len(gt)):
        if gt[t] == 1 and pred[t] == 1 and not in_seg:
            in_seg = True
            for j in range(t, 0, -1):
                if gt[j] == 0:
                    break
                pred[j] = 1
            for j in range(t, len(gt)):
                if gt[j] == 0:
                    break
                pred[j] = 1
        elif gt[t] == 0:
            in_seg = False
        if in_seg:
            pred[t] = 1
    return pred


pairs = st.integers(1, 80).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(data=pairs)
def test_at_compat_reproduces_the_anomaly_transformer_loop(data: tuple[list[int], list[int]]) -> None:
    y, p = np.array(data[0]), np.array(data[1])
    assert np.array_equal(point_adjust(y, p, at_compat=True), at_loop(y, p))


@settings(max_examples=150, deadline=None)
@given(data=pairs)
def test_pa_fills_exactly_the_hit_segments_and_never_lowers_recall(data: tuple[list[int], list[int]]) -> None:
    y, p = np.array(data[0]), np.array(data[1])
    adjusted = point_adjust(y, p)
    assert np.all(adjusted >= p)
    assert np.array_equal(adjusted[y == 0], p[y == 0])  # normal steps are never touched
    if y.any():
        assert point_prf(y, adjusted)["recall"] >= point_prf(y, p)["recall"]
    # Differs from the AT loop at most at index 0.
    assert np.array_equal(adjusted[1:], at_loop(y, p)[1:])


def test_index_zero_quirk_both_behaviours() -> None:
    y = np.array([1, 1, 1, 0, 0])
    p = np.array([0, 0, 1, 0, 0])
    assert point_adjust(y, p).tolist() == [1, 1, 1, 0, 0]
    assert point_adjust(y, p, at_compat=True).tolist() == [0, 1, 1, 0, 0]
    # A segment not at index 0 is filled completely either way.
    y2, p2 = np.array([0, 1, 1, 1]), np.array([0, 0, 0, 1])
    assert point_adjust(y2, p2, at_compat=True).tolist() == point_adjust(y2, p2).tolist() == [0, 1, 1, 1]


@settings(max_examples=100, deadline=None)
@given(data=pairs)
def test_point_prf_matches_sklearn(data: tuple[list[int], list[int]]) -> None:
    y, p = np.array(data[0]), np.array(data[1])
    precision, recall, f1, _ = precision_recall_fscore_support(y, p, average="binary", zero_division=0)
    got = point_prf(y, p)
    assert got["precision"] == pytest.approx(precision)
    assert got["recall"] == pytest.approx(recall)
    assert got["f1"] == pytest.approx(f1)
    assert got["accuracy"] == pytest.approx(accuracy_score(y, p))


def test_pa_prf_thresholds_strictly() -> None:
    y = np.array([0, 1, 1, 1, 0, 0, 1, 1, 0, 0])
    s = np.array([0, 0, 5, 0, 0, 5, 0, 0, 0, 1.0])
    got = pa_prf(y, s, threshold=1.0)  # score 1.0 is not > 1.0
    # First segment filled (3 TP), second missed (2 FN), one FP at index 5.
    assert got["precision"] == pytest.approx(3 / 4)
    assert got["recall"] == pytest.approx(3 / 5)
    assert got["accuracy"] == pytest.approx(7 / 10)


@settings(max_examples=100, deadline=None)
@given(data=pairs, k=st.integers(0, 100))
def test_pa_k_curve_matches_direct_adjustment(data: tuple[list[int], list[int]], k: int) -> None:
    y, p = np.array(data[0]), np.array(data[1])
    s = p.astype(float)
    curve = pa_k_curve(y, s, 0.5, ks=[k])
    direct = point_prf(y, pa_k_adjust(y, p, k))
    assert curve["f1"][0] == pytest.approx(direct["f1"])
    assert curve["precision"][0] == pytest.approx(direct["precision"])
    assert curve["recall"][0] == pytest.approx(direct["recall"])


def test_pa_k_extremes_and_strictness() -> None:
    y = np.array([0, 1, 1, 1, 1, 0, 1, 1, 0])
    p = np.array([0, 1, 0, 0, 0, 0, 1, 1, 0])
    assert np.array_equal(pa_k_adjust(y, p, 0), point_adjust(y, p))
    assert np.array_equal(pa_k_adjust(y, p, 100), p)
    # 1 of 4 steps = 25 %: filled for K = 24, not for K = 25 (strict ">", as tadpak).
    assert pa_k_adjust(y, p, 24)[1:5].tolist() == [1, 1, 1, 1]
    assert pa_k_adjust(y, p, 25)[1:5].tolist() == [1, 0, 0, 0]


def test_pa_k_auc_lies_between_point_and_pa_f1() -> None:
    rng = np.random.default_rng(0)
    y = np.zeros(500, dtype=int)
    y[50:150] = y[300:340] = 1
    s = rng.random(500) + 0.3 * y
    auc = pa_k_auc(y, s, 0.9)
    assert point_prf(y, (s > 0.9).astype(int))["f1"] < auc < pa_prf(y, s, 0.9)["f1"]
    with pytest.raises(MetricError, match="two distinct"):
        pa_k_auc(y, s, 0.9, ks=[10])
    with pytest.raises(MetricError, match="percentages"):
        pa_k_curve(y, s, 0.9, ks=[-1, 50])


def test_best_f1_is_the_oracle_over_all_thresholds() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.2).astype(int)
    s = np.round(rng.normal(size=300) + y, 1)  # rounded: many ties
    got = best_f1(y, s)
    brute = max(point_prf(y, (s >= t).astype(int))["f1"] for t in np.unique(s))
    assert got["f1"] == pytest.approx(brute)
    achieved = point_prf(y, (s > got["threshold"]).astype(int))
    assert achieved["f1"] == pytest.approx(got["f1"])
    assert achieved["precision"] == pytest.approx(got["precision"])
    with pytest.raises(MetricError, match="no anomaly"):
        best_f1(np.zeros(5), np.arange(5.0))


def test_percentile_and_at_thresholds() -> None:
    train, test = np.arange(100.0), np.arange(100.0, 200.0)
    assert percentile_threshold(train, 1.0) == pytest.approx(np.percentile(train, 99))
    assert at_threshold(train, test, 1.0) == pytest.approx(np.percentile(np.r_[train, test], 99))
    assert np.mean(test > at_threshold(train, test, 1.0)) == pytest.approx(0.02)  # test energy leaks in
    with pytest.raises(MetricError, match="anomaly_ratio_percent"):
        percentile_threshold(train, 101)
    with pytest.raises(MetricError, match="NaN"):
        percentile_threshold(np.array([1.0, np.nan]), 1)


def test_invalid_predictions_raise() -> None:
    with pytest.raises(MetricError, match="y_pred"):
        point_adjust(np.array([0, 1]), np.array([0, 2]))
    with pytest.raises(MetricError, match="length mismatch"):
        point_prf(np.array([0, 1]), np.array([0, 1, 1]))
    with pytest.raises(MetricError, match="k must be"):
        pa_k_adjust(np.array([0, 1]), np.array([0, 1]), 120)


def test_all_anomalies_and_constant_scores() -> None:
    y = np.ones(6, dtype=int)
    assert point_adjust(y, np.array([0, 0, 0, 1, 0, 0])).tolist() == [1] * 6
    assert point_adjust(y, np.array([0, 0, 0, 1, 0, 0]), at_compat=True).tolist() == [0, 1, 1, 1, 1, 1]
    y2 = np.array([0, 1, 1, 0, 1])
    assert pa_prf(y2, np.full(5, 0.3), threshold=0.3)["recall"] == 0.0  # constant, not above threshold
    everything = pa_prf(y2, np.full(5, 0.3), threshold=0.2)
    assert everything["recall"] == 1.0 and everything["precision"] == pytest.approx(0.6)
