"""Per-channel attribution: a spike planted in channel k makes channel k the top channel."""

from __future__ import annotations

import numpy as np
import pytest

from augury.detectors.base import load_detector
from augury.detectors.registry import create_detector
from augury.errors import DataError

K, T_SPIKE = 2, 130


def _series(seed: int, n: int, c: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    return (np.sin(2 * np.pi * t / (15 + 6 * np.arange(c))) + 0.1 * rng.normal(size=(n, c))).astype(np.float32)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    test = _series(1, 200)
    test[T_SPIKE, K] += 5.0
    return _series(0, 400), test


def _check_top(det, test: np.ndarray) -> None:
    for causal in (False, True):
        contrib = det.explain(test, causal=causal)
        assert contrib.shape == test.shape and np.all(np.isfinite(contrib))
        assert int(np.argmax(contrib[T_SPIKE])) == K, (causal, contrib[T_SPIKE])


def test_pca_spike_channel_is_top(data):
    train, test = data
    _check_top(create_detector("pca", preset="cpu", window=8).fit(train), test)


def test_pca_contributions_sum_to_squared_distance(data):
    train, test = data
    det = create_detector("pca", preset="cpu", window=8).fit(train)
    xs = det.scaler_.transform(test)
    w = xs[T_SPIKE - 7 : T_SPIKE + 1].reshape(1, -1).astype(np.float64)
    distance = float(det.model_.decision_function(w)[0])
    assert det.explain(test, causal=True)[T_SPIKE].sum() == pytest.approx(distance**2, rel=1e-6)


def test_amad_spike_channel_is_top_and_sums_to_score(data):
    train, test = data
    det = create_detector("amad", preset="cpu", window=10, d_model=16, n_layers=1, n_heads=2, epochs=1,
                          batch_size=32, max_train_windows=128, train_score_stride=5, autocast="none",
                          progress=False).fit(train)
    _check_top(det, test)
    np.testing.assert_allclose(det.explain(test).sum(axis=1), det.decision_function(test), rtol=1e-4, atol=1e-6)
    warm = det.causal_warmup()
    np.testing.assert_allclose(det.explain(test, causal=True)[warm:].sum(axis=1),
                               det.decision_function(test, causal=True)[warm:], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["iforest", "knn"])
def test_zscore_attribution(name, data, tmp_path):
    train, test = data
    det = create_detector(name, preset="cpu").fit(train)
    _check_top(det, test)
    xs = det.scaler_.transform(test)
    np.testing.assert_allclose(det.explain(test), np.abs((xs - det.channel_mean_) / det.channel_std_))
    causal = det.explain(test, causal=True)
    assert np.all(causal[: det.causal_warmup()] == 0)
    np.testing.assert_array_equal(load_detector(det.save(tmp_path / "m")).explain(test, causal=True), causal)


def test_explain_checks_channels(data):
    train, test = data
    det = create_detector("knn", preset="cpu").fit(train)
    with pytest.raises(DataError, match="channels"):
        det.explain(test[:, :3])
