"""Random baseline with spread (mean, std, 95 % interval) in evaluate and for window-level metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.errors import MetricError
from augury.metrics import (
    detection_delays,
    evaluate,
    format_interval,
    latency_stats,
    nab_scores,
    spread,
    suggest_vus_window,
    summarise_runs,
    vus_roc_pr,
    window_random_baseline,
)


@pytest.fixture
def series() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    y = np.zeros(2000, dtype=int)
    for start, length in ((200, 40), (900, 20), (1500, 60)):
        y[start : start + length] = 1
    return y, y * 1.5 + rng.normal(size=y.size)


def test_spread_by_hand() -> None:
    got = spread([1.0, 2.0, 3.0, 4.0])
    assert got["mean"] == 2.5 and got["std"] == pytest.approx(np.sqrt(5 / 3))
    # 2.5th / 97.5th percentile with linear interpolation: 1 + 0.075 * 1, 4 - 0.075 * 1.
    assert got["ci_low"] == pytest.approx(1.075) and got["ci_high"] == pytest.approx(3.925)
    assert spread([0.3]) == {"mean": 0.3, "std": 0.0, "ci_low": 0.3, "ci_high": 0.3}
    with pytest.raises(MetricError):
        spread([])


def test_summarise_runs_skips_missing_values() -> None:
    got = summarise_runs([{"a": 1.0, "d": None}, {"a": 3.0, "d": 4.0}, {"a": 2.0, "d": None}])
    assert got["random_a"] == 2.0 and got["random_a_std"] == 1.0
    assert got["random_d"] == 4.0 and got["random_d_std"] == 0.0
    assert summarise_runs([{"d": None}])["random_d_ci_high"] is None
    assert format_interval(0.9571, 0.946, 0.9712) == "0.957 [0.946, 0.971]"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_interval_brackets_the_mean(values: list[float]) -> None:
    got = spread(values)
    assert got["ci_low"] <= got["ci_high"] and got["std"] >= 0
    assert min(values) <= got["ci_low"] and got["ci_high"] <= max(values)


def test_evaluate_reports_baseline_spread_over_n_seeds(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = series
    thr = float(np.quantile(s, 0.97))
    got = evaluate(y, s, window=20, threshold=thr, n_seeds=12)
    assert got["baseline_seeds"] == ",".join(str(i) for i in range(12))
    for key in ("random_pa_f1", "random_auc_roc", "random_vus_pr", "random_point_f1"):
        assert got[f"{key}_ci_low"] <= got[key] <= got[f"{key}_ci_high"]
        assert got[f"{key}_std"] > 0
    # The mean is the mean of the single-seed runs.
    single = [evaluate(y, s, window=20, threshold=thr, seeds=(i,))["random_pa_f1"] for i in range(12)]
    assert got["random_pa_f1"] == pytest.approx(np.mean(single))
    assert got["random_pa_f1_std"] == pytest.approx(np.std(single, ddof=1))
    json.dumps(got, allow_nan=False)
    with pytest.raises(MetricError, match="n_seeds"):
        evaluate(y, s, n_seeds=0)


def test_evaluate_reports_delays_and_nab_with_a_threshold(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = series
    thr = float(np.quantile(s, 0.95))
    got = evaluate(y, s, threshold=thr, random_baseline=False)
    pred = (s > thr).astype(int)
    stats = latency_stats(detection_delays(y, pred))
    assert got["mean_delay"] == stats["mean_delay"] and got["median_delay"] == stats["median_delay"]
    assert got["events_detected"] == stats["events_detected"] and got["n_events"] == 3
    assert {k: got[k] for k in nab_scores(y, pred)} == nab_scores(y, pred)
    assert "mean_delay" not in evaluate(y, s, random_baseline=False)


def test_evaluate_window_auto_records_the_value(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = series
    got = evaluate(y, s, window="auto", random_baseline=False)
    assert got["vus_window"] == suggest_vus_window(y) == 80  # 2 x median(40, 20, 60)
    assert got["vus_window_source"].startswith("auto")
    assert (got["vus_roc"], got["vus_pr"]) == vus_roc_pr(y, s, window=80)
    assert evaluate(y, s, window=10, random_baseline=False)["vus_window_source"] == "given"
    with pytest.raises(MetricError, match="auto"):
        evaluate(y, s, window="median")


def test_evaluate_ranks_int64_scores_exactly() -> None:
    y = np.array([0, 1, 0, 1])
    got = evaluate(y, 2**53 + np.arange(4, dtype=np.int64), window=0, random_baseline=False)
    assert got["auc_roc"] == 0.75


def test_window_random_baseline() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.2).astype(int)
    prob = 0.6 * y + 0.4 * rng.random(300)
    got = window_random_baseline(y, prob, 0.5, n_seeds=25)
    assert set(got) == {f"random_win_{m}{sfx}" for m in ("precision", "recall", "f1", "auc")
                        for sfx in ("", "_std", "_ci_low", "_ci_high")}
    assert abs(got["random_win_auc"] - 0.5) < 0.05 and got["random_win_precision"] == pytest.approx(y.mean(), abs=0.05)
    assert got["random_win_f1_ci_low"] <= got["random_win_f1"] <= got["random_win_f1_ci_high"]
    with pytest.raises(MetricError, match="n_seeds"):
        window_random_baseline(y, prob, 0.5, n_seeds=0)
