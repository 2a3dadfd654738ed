"""One name per threshold protocol (augury.metrics.protocols)."""

from __future__ import annotations

import numpy as np
import pytest

from augury.metrics import at_threshold, evaluate, percentile_threshold
from augury.metrics.protocols import evaluate_protocols, false_alarm_metrics


@pytest.fixture
def scored():
    rng = np.random.default_rng(0)
    y = np.zeros(2000, dtype=np.uint8)
    y[500:520] = 1
    y[1500:1530] = 1
    s = rng.normal(size=2000) + 3.0 * y
    train = rng.normal(size=3000)
    return y, s, train


def test_unsuffixed_names_are_the_at_protocol_and_train_names_the_train_threshold(scored):
    y, s, train = scored
    thr_train = percentile_threshold(train, 1.0)
    got = evaluate_protocols(y, s, train, thr_train, anomaly_ratio=1.0, seeds=(0, 1))
    at = evaluate(y, s, threshold=at_threshold(train, s, 1.0), seeds=(0, 1))
    assert got["pa_f1"] == at["pa_f1"] and got["point_f1"] == at["point_f1"]
    on_train = evaluate(y, s, threshold=thr_train, seeds=(0, 1))
    for name in ("pa_f1", "pa_precision", "point_f1", "aff_f1", "mean_delay", "random_pa_f1"):
        assert got[f"{name}_train"] == pytest.approx(on_train[name])
    assert got["threshold_train"] == thr_train and got["pa_f1"] != got["pa_f1_train"]
    assert got["flagged_fraction_train"] == pytest.approx(np.mean(s > thr_train))


def test_a_series_without_anomalies_gets_false_alarm_metrics(scored):
    _, s, train = scored
    got = evaluate_protocols(np.zeros(s.size, dtype=np.uint8), s, train, 2.0)
    assert got["n_labelled_events"] == 0 and "auc_roc" not in got and "pa_f1" not in got
    assert got["flagged_fraction_train"] == pytest.approx(np.mean(s > 2.0))


def test_false_alarm_metrics_count_runs():
    m = false_alarm_metrics(np.array([5, 5, 0, 0, 5, 0, 0, 0, 0, 5.0]), 1.0)
    assert m["flagged_fraction_train"] == pytest.approx(0.4) and m["events_per_1k_train"] == pytest.approx(300.0)
