"""Per-channel univariate detectors (Sub-PCA, POLY): ranking, determinism, persistence, streaming, parameters."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.decomposition import PCA

import augury
from augury.errors import DataError, ParameterError
from augury.stream import StreamScorer

METHODS = ["subpca", "poly"]
SMALL = {"subpca": {"window": 20}, "poly": {"window": 20}}
# A small POLY neighbourhood, so that causal scores start early in the short test series.
CAUSAL = {"subpca": {}, "poly": {"neighborhood": 60}}


def _series(n: int, seed: int, channels: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    x = np.sin(2 * np.pi * t / 20.0 + np.arange(channels)) + 0.05 * rng.normal(size=(n, channels))
    return x.astype(np.float32)


TRAIN = _series(600, 0)
TEST = _series(400, 1)
TEST[250:262, 1] += 1.5  # a level shift on channel 1 only


def _fitted(name: str, **params) -> augury.Detector:
    return augury.create_detector(name, "cpu", **{**SMALL[name], **params}).fit(TRAIN)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("combine", ["mean", "max"])
def test_planted_anomaly_on_one_channel_ranks_high(name: str, combine: str) -> None:
    det = _fitted(name, combine=combine)
    scores = det.decision_function(TEST)
    assert scores.shape == (len(TEST),)
    # POLY scores whole blocks of 20 steps: the anomaly's block must be the top 5 %.
    assert scores[250:262].max() >= np.quantile(scores, 0.95)
    contrib = det.explain(TEST)
    assert contrib.shape == TEST.shape
    assert contrib[250:262, 1].max() > contrib[250:262, 0].max()  # channel 1 explains it
    combined = contrib.mean(axis=1) if combine == "mean" else contrib.max(axis=1)
    np.testing.assert_allclose(combined, scores, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", METHODS)
def test_same_input_gives_identical_scores(name: str) -> None:
    np.testing.assert_array_equal(_fitted(name).decision_function(TEST), _fitted(name).decision_function(TEST))


@pytest.mark.parametrize("name", METHODS)
def test_save_then_load_gives_identical_scores(name: str, tmp_path) -> None:
    det = _fitted(name, **CAUSAL[name])
    loaded = augury.load_detector(det.save(tmp_path / "m"))
    assert loaded.window_ == det.window_
    for causal in (False, True):
        np.testing.assert_array_equal(loaded.decision_function(TEST, causal=causal),
                                      det.decision_function(TEST, causal=causal))
        np.testing.assert_array_equal(loaded.explain(TEST, causal=causal), det.explain(TEST, causal=causal))


@pytest.mark.parametrize("name", METHODS)
def test_stream_equals_causal_batch(name: str) -> None:
    det = _fitted(name, **CAUSAL[name])
    causal = det.decision_function(TEST, causal=True)
    assert det.causal_warmup() < 100 and np.ptp(causal[100:]) > 0
    scorer = StreamScorer(det, top_k=2)
    streamed = np.concatenate([scorer.update(b) for b in np.split(TEST, [1, 7, 64, 65, 200, 201])])
    np.testing.assert_allclose(streamed, causal, rtol=0, atol=1e-9)
    assert causal[250:270].max() >= np.quantile(causal[det.causal_warmup():], 0.9)


@pytest.mark.parametrize("name", METHODS)
def test_window_none_is_the_training_period(name: str) -> None:
    det = augury.create_detector(name, "paper").fit(TRAIN)
    assert det.window_ == 20 and det.get_params()["window"] is None


@pytest.mark.parametrize("name", METHODS)
def test_a_channel_constant_over_training_gives_finite_scores(name: str) -> None:
    """MSL's command channels are constant on long stretches: the channel-0 period falls back to
    TSB-AD's 125 steps, and a constant channel scores finitely and still flags a departure."""
    rng = np.random.default_rng(3)
    train = np.column_stack([np.zeros(900), np.sin(np.arange(900) / 3.0) + 0.05 * rng.normal(size=900)])
    test = np.column_stack([np.zeros(600), np.sin(np.arange(600) / 3.0) + 0.05 * rng.normal(size=600)])
    test[400:420, 0] = 2.0  # the constant channel moves
    det = augury.create_detector(name, "paper").fit(train)
    assert det.window_ == 125
    scores = det.decision_function(test)
    assert np.all(np.isfinite(scores)) and np.all(np.isfinite(det.decision_scores_))
    assert scores[400:420].max() >= np.quantile(scores, 0.95)


@pytest.mark.parametrize(("name", "param", "value"), [
    ("subpca", "window", 2), ("subpca", "combine", "median"), ("subpca", "n_components", 0),
    ("poly", "power", -1), ("poly", "neighborhood", 1), ("poly", "combine", "sum"),
])
def test_bad_parameters_raise_parameter_error(name: str, param: str, value: object) -> None:
    with pytest.raises(ParameterError, match=param):
        augury.create_detector(name, "cpu", **{param: value})


@pytest.mark.parametrize("name", METHODS)
def test_training_series_shorter_than_the_window_is_a_data_error(name: str) -> None:
    with pytest.raises(DataError, match="at least 50"):
        augury.create_detector(name, "cpu", window=50).fit(TRAIN[:40])
    ramp = np.linspace(0.0, 1.0, 60)[:, None]  # no ACF peak: TSB-AD's fallback window 125
    with pytest.raises(DataError, match="window 125"):
        augury.create_detector(name, "paper").fit(ramp)


def test_subpca_window_scores_are_the_pyod_distance_to_each_axis() -> None:
    x = _series(300, 3, channels=1)[:, 0].astype(np.float64)
    det = augury.create_detector("subpca", "cpu", window=12).fit(x[:, None])
    windows = np.lib.stride_tricks.sliding_window_view((x - x.mean()) / x.std(), 12)
    z = (windows - windows.mean(axis=0)) / windows.std(axis=0)
    pca = PCA().fit(z)
    expected = (cdist(z, pca.components_) / pca.explained_variance_ratio_).sum(axis=1)
    raw = det._window_scores(0, det.scaler_.transform(x[:, None])[:, 0].astype(np.float64))
    np.testing.assert_allclose(raw, expected, rtol=1e-6)


def test_poly_causal_score_is_zero_on_a_polynomial_series() -> None:
    t = np.linspace(-1, 1, 400)
    x = (0.5 * t**3 - t + 2)[:, None]
    det = augury.create_detector("poly", "cpu", window=10, neighborhood=40, power=3).fit(x)
    raw = det._causal_channel(0, det.scaler_.transform(x)[:, 0].astype(np.float64))
    assert np.abs(raw).max() < 1e-6
