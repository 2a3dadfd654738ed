"""Streaming == causal batch scoring, for every detector family, whatever the burst sizes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.detectors.base import Detector, load_detector
from augury.detectors.registry import create_detector
from augury.errors import DataError
from augury.stream import AlarmPolicy, StreamScorer, causal_threshold

TINY_AMAD: dict[str, Any] = dict(
    window=12, d_model=16, n_layers=1, n_heads=2, epochs=1, batch_size=32, max_train_windows=64,
    train_score_stride=4, score_batch_size=16, autocast="none", progress=False,
)


class MeanDeviation(Detector):
    """Minimal test detector with only the required hooks: |x_t − mean of its window| summed over channels.

    Its batch ``_score`` looks at the whole series, so the generic causal fallback (one
    ``_score`` call per window) is what gives it a causal score.
    """

    name = "mean_deviation_test"

    def __init__(self, window: int = 5, threshold: str = "top:1", seed: int = 0) -> None:
        self.window = window
        self.threshold = threshold
        self.seed = seed

    def _fit(self, X: np.ndarray) -> None:
        self.fitted_ = True

    def _score(self, X: np.ndarray) -> np.ndarray:
        return np.abs(X - X.mean(axis=0)).sum(axis=1)


def _series(seed: int, n: int, c: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    return (np.sin(2 * np.pi * t / (20 + 7 * np.arange(c))) + 0.2 * rng.normal(size=(n, c))).astype(np.float32)


def _bursts(x: np.ndarray, seed: int, max_burst: int = 40) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out, i = [], 0
    while i < len(x):
        k = int(rng.integers(1, max_burst))
        out.append(x[i : i + k])
        i += k
    return out


def _stream(det: Detector, x: np.ndarray, seed: int, **kw: Any) -> np.ndarray:
    scorer = StreamScorer(det, **kw)
    return np.concatenate([scorer.update(b) for b in _bursts(x, seed)])


@pytest.fixture(scope="module")
def train() -> np.ndarray:
    return _series(0, 600)


@pytest.fixture(scope="module")
def test_x() -> np.ndarray:
    x = _series(1, 300)
    x[200, 1] += 6.0
    return x


@pytest.mark.parametrize("name", ["iforest", "knn", "pca", "lof", "kmeans", "ocsvm"])
def test_classical_stream_equals_causal_batch(name, train, test_x):
    det = create_detector(name, preset="cpu", **({"n_estimators": 20} if name == "iforest" else {})).fit(train)
    ref = det.decision_function(test_x, causal=True)
    got = _stream(det, test_x, seed=3)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)
    warm = det.causal_warmup()
    assert warm == det.window - 1
    assert np.all(ref[:warm] == det.warmup_score_)


def test_classical_causal_score_is_the_window_ending_at_t(train, test_x):
    det = create_detector("knn", preset="cpu").fit(train)
    causal = det.decision_function(test_x, causal=True)
    xs = det.scaler_.transform(test_x)
    t = 150
    window = xs[t - det.window + 1 : t + 1].reshape(1, -1)
    assert causal[t] == pytest.approx(float(det.model_.decision_function(np.concatenate([window, window]))[0]))
    # changing the future never changes the past
    later = test_x.copy()
    later[t + 1 :] += 5.0
    np.testing.assert_array_equal(det.decision_function(later, causal=True)[: t + 1], causal[: t + 1])



def test_amad_stream_equals_causal_batch(train, test_x):
    det = create_detector("amad", preset="cpu", **TINY_AMAD).fit(train[:300])
    ref = det.decision_function(test_x[:160], causal=True)
    got = _stream(det, test_x[:160], seed=5)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)
    xs = det.scaler_.transform(test_x)
    t = 100
    energy = det._window_energy(np.stack([xs[t - 11 : t + 1]] * 2))[0]
    assert ref[t] == pytest.approx(float(energy[-1]), rel=1e-6)


def test_generic_fallback_stream_equals_causal_batch(train, test_x):
    det = MeanDeviation(window=5).fit(train)
    ref = det.decision_function(test_x, causal=True)
    for t in (4, 50, 299):
        assert ref[t] == pytest.approx(float(det._score(det.scaler_.transform(test_x[t - 4 : t + 1]))[-1]))
    np.testing.assert_allclose(_stream(det, test_x, seed=7), ref, rtol=0, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_burst_sizes_never_change_scores(seed):
    det = _fitted_pca()
    x = _series(seed, 120)
    np.testing.assert_allclose(_stream(det, x, seed), det.decision_function(x, causal=True), rtol=0, atol=1e-9)


_PCA_CACHE: dict[str, Detector] = {}


def _fitted_pca() -> Detector:
    if "pca" not in _PCA_CACHE:
        _PCA_CACHE["pca"] = create_detector("pca", preset="cpu", window=8).fit(_series(0, 400))
    return _PCA_CACHE["pca"]


def test_short_series_is_all_warmup():
    det = _fitted_pca()
    x = _series(2, 5)
    assert np.all(det.decision_function(x, causal=True) == det.warmup_score_)
    with pytest.raises(DataError):
        det.decision_function(x)


def test_buffer_is_bounded():
    det = _fitted_pca()
    scorer = StreamScorer(det)
    for b in _bursts(_series(3, 2000), 1, max_burst=300):
        scorer.update(b)
    assert scorer._buffer.shape == (det.causal_warmup(), 3)
    assert scorer.n_seen == 2000


def test_loaded_model_streams_like_the_fitted_one(tmp_path, train, test_x):
    det = create_detector("knn", preset="cpu").fit(train)
    loaded = load_detector(det.save(tmp_path / "m"))
    # knn's brute-force distances go through BLAS, whose last bit depends on the batch shape
    np.testing.assert_allclose(_stream(loaded, test_x, 2), det.decision_function(test_x, causal=True),
                               rtol=1e-12, atol=0)


def test_alarms_threshold_and_top_channels(train, test_x):
    det = create_detector("pca", preset="cpu").fit(train)
    causal = det.decision_function(test_x, causal=True)
    scorer = StreamScorer(det, top_k=2)
    results = [scorer.process(b) for b in _bursts(test_x, 4)]
    alarm = np.concatenate([r.alarm for r in results])
    expected = causal > det.threshold_
    expected[: det.causal_warmup()] = False
    np.testing.assert_array_equal(alarm, expected)
    top = [t for r in results for t in r.top]
    assert alarm[200] and top[200][0][0] == 1 and len(top[200]) == 2
    assert all(top[i] == [] for i in np.flatnonzero(~alarm))


def test_alarm_policy_min_duration_and_cooldown():
    above = np.array([1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1], dtype=bool)
    alarm, start = AlarmPolicy(min_duration=2, cooldown=2).update(above)
    #                       0  1  2  3  4  5  6  7  8  9 10 11 12 13
    np.testing.assert_array_equal(alarm.astype(int), [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(np.flatnonzero(start), [3, 12])
    # state carries over between calls: splitting the input changes nothing
    policy = AlarmPolicy(min_duration=2, cooldown=2)
    split = np.concatenate([policy.update(above[:4])[0], policy.update(above[4:])[0]])
    np.testing.assert_array_equal(split, alarm)
    np.testing.assert_array_equal(AlarmPolicy().update(above)[0], above)


def test_bad_rows_raise_data_error():
    scorer = StreamScorer(_fitted_pca())
    with pytest.raises(DataError, match="expects"):
        scorer.update(np.zeros((3, 2)))
    with pytest.raises(DataError, match="row 1"):
        scorer.update(np.array([[0.0, 0.0, 0.0], [np.nan, 0.0, 0.0]]))


def test_causal_threshold_is_the_rule_refitted_on_causal_scores(train):
    det = create_detector("knn", preset="cpu").fit(train)
    thr = causal_threshold(det, train)
    causal = det.decision_function(train, causal=True)[det.causal_warmup() :]
    assert thr == pytest.approx(float(np.percentile(causal, 99)))
    assert np.mean(causal > thr) == pytest.approx(0.01, abs=0.002)
    with pytest.raises(DataError, match="shorter"):
        causal_threshold(det, train[:5])


def test_huge_burst_is_scored_in_pieces(monkeypatch):
    import augury.stream

    monkeypatch.setattr(augury.stream, "MAX_BURST", 7)
    det = _fitted_pca()
    x = _series(4, 60)
    res = StreamScorer(det).process(x)
    # Bursts of 7 rows reach BLAS in other block sizes than one call of 60: the last bit may differ.
    np.testing.assert_allclose(res.score, det.decision_function(x, causal=True), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(res.step, np.arange(60))
    assert len(res.top) == 60
