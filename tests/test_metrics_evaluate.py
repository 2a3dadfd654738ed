"""``evaluate``: contract keys, agreement with the single metrics, random baseline, NaN policy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from augury.errors import MetricError
from augury.metrics import affiliation_prf, auc_pr, auc_roc, evaluate, pa_k_auc, pa_prf, point_prf, vus_roc_pr
from augury.metrics.evaluate import _random_threshold

THRESHOLD_KEYS = {
    "point_precision",
    "point_recall",
    "point_f1",
    "aff_precision",
    "aff_recall",
    "aff_f1",
    "pa_precision",
    "pa_recall",
    "pa_f1",
    "pa_k_auc",
}


@pytest.fixture
def series() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    y = np.zeros(3000, dtype=int)
    for start in (200, 900, 1700, 2500):
        y[start : start + 60] = 1
    return y, y * 1.5 + rng.normal(size=y.size)


def test_all_metrics_with_threshold_match_the_single_functions(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = series
    thr = float(np.quantile(s, 0.97))
    got = evaluate(y, s, window=50, threshold=thr, threshold_source="percentile:97 of test (test only)")
    assert (got["vus_roc"], got["vus_pr"]) == vus_roc_pr(y, s, window=50)
    assert got["auc_roc"] == auc_roc(y, s) and got["auc_pr"] == auc_pr(y, s)
    pred = (s > thr).astype(int)
    assert got["point_f1"] == point_prf(y, pred)["f1"]
    assert got["pa_f1"] == pa_prf(y, s, thr)["f1"]
    assert got["pa_k_auc"] == pa_k_auc(y, s, thr)
    assert got["aff_f1"] == affiliation_prf(y, pred)["f1"]
    assert THRESHOLD_KEYS <= set(got) and {f"random_{k}" for k in THRESHOLD_KEYS} <= set(got)
    assert got["pa_applied"] is True and got["threshold"] == thr and got["coverage"] == 1.0
    assert got["vus_window"] == 50 and "tsb-ad" in got["vus_impl"]
    json.dumps(got, allow_nan=False)  # every value is a JSON scalar
    assert all(isinstance(v, float | int | bool | str) for v in got.values())


def test_random_baseline_is_chance_level(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = series
    thr = float(np.quantile(s, 0.95))
    got = evaluate(y, s, threshold=thr, seeds=(0, 1, 2, 3))
    assert abs(got["random_auc_roc"] - 0.5) < 0.05
    assert abs(got["random_auc_pr"] - y.mean()) < 0.03
    assert got["baseline_seeds"] == "0,1,2,3"
    # Uniform scores flagging 5 % of steps hit every 60-step segment: PA inflates chance a lot.
    assert got["random_pa_recall"] > 0.9 and got["random_point_recall"] < 0.1
    assert got["auc_roc"] > got["random_auc_roc"] + 0.2


def test_without_threshold_only_threshold_free_metrics(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = series
    got = evaluate(y, s, random_baseline=False)
    assert not THRESHOLD_KEYS & set(got) and not any(k.startswith("random_") for k in got)
    assert got["threshold"] is None and got["pa_applied"] is False and got["baseline_seeds"] == ""
    no_pa = evaluate(y, s, threshold=1.0, pa=False, random_baseline=False)
    assert "point_f1" in no_pa and "pa_f1" not in no_pa and no_pa["pa_applied"] is False


def test_at_compat_is_recorded(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = series
    got = evaluate(y, s, threshold=1.0, at_compat=True, random_baseline=False)
    assert "index-0" in got["pa_def"]


def test_nan_scores_raise_by_default_and_can_be_masked(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = series
    s = s.copy()
    s[-100:] = np.nan
    with pytest.raises(MetricError, match="non-finite"):
        evaluate(y, s)
    got = evaluate(y, s, nan_policy="mask", random_baseline=False)
    assert got["coverage"] == pytest.approx(2900 / 3000) and got["n_scored"] == 2900
    assert got["vus_pr"] == vus_roc_pr(y[:-100], s[:-100])[1]
    with pytest.raises(MetricError, match="nothing to evaluate"):
        evaluate(y, np.full(y.size, np.nan), nan_policy="mask")


def test_invalid_arguments_raise(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = series
    with pytest.raises(MetricError, match="nan_policy"):
        evaluate(y, s, nan_policy="drop")
    with pytest.raises(MetricError, match="threshold must be a finite"):
        evaluate(y, s, threshold=float("nan"))
    with pytest.raises(MetricError, match="no anomaly"):
        evaluate(np.zeros(100), s[:100])
    with pytest.raises(MetricError, match="length mismatch"):
        evaluate(y, s[:-1])
    with pytest.raises(MetricError, match="seed"):
        evaluate(y, s, seeds=())


@pytest.mark.parametrize("n_flagged", [0, 1, 37, 999, 1000])
def test_random_threshold_flags_exactly_as_many_steps(n_flagged: int) -> None:
    r = np.random.default_rng(0).random(1000)
    assert int(np.count_nonzero(r > _random_threshold(r, n_flagged))) == n_flagged


def test_constant_scores_are_chance_level(series: tuple[np.ndarray, np.ndarray]) -> None:
    y, _ = series
    got = evaluate(y, np.zeros(y.size), threshold=-1.0, random_baseline=False)
    assert got["auc_roc"] == 0.5 and got["auc_pr"] == pytest.approx(y.mean())
    assert got["point_recall"] == 1.0 and got["point_precision"] == pytest.approx(y.mean())
