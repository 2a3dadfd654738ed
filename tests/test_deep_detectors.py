"""The torch window detectors (cnn, lstmad, usad, omnianomaly): planted anomaly, seeds, persistence,
causal == stream, score alignment, bad parameters. Tiny configurations (``tests/deep_support.py``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import augury
from augury.errors import DataError, ParameterError
from augury.stream import StreamScorer
from deep_support import TINY

NAMES = sorted(TINY)


def _series(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = np.stack([np.sin(t / 4.0), np.cos(t / 7.0), 0.5 * np.sin(t / 3.0)], axis=1)
    return (x + 0.05 * rng.normal(size=x.shape)).astype(np.float32)


TRAIN = _series(600, 0)
TEST = _series(300, 1)
TEST[200:206, 1] += 3.0  # a level shift in one channel: off the learned cycle for every model
_FITTED: dict[str, augury.Detector] = {}


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _make(name: str, **extra) -> augury.Detector:
    return augury.create_detector(name, "cpu", **{**TINY[name], **extra})


def _fitted(name: str) -> augury.Detector:
    if name not in _FITTED:
        _FITTED[name] = _make(name).fit(TRAIN)
    return _FITTED[name]


@pytest.mark.parametrize("name", NAMES)
def test_planted_shift_ranks_in_the_top_two_percent(name):
    scores = _fitted(name).decision_function(TEST)
    assert scores[200:206].max() >= np.quantile(scores, 0.98)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_scores_other_seed_other_scores(name):
    np.testing.assert_array_equal(_make(name).fit(TRAIN).decision_function(TEST), _fitted(name).decision_function(TEST))
    assert not np.array_equal(_make(name, seed=7).fit(TRAIN).decision_function(TEST),
                              _fitted(name).decision_function(TEST))


@pytest.mark.parametrize("name", NAMES)
def test_save_then_load_gives_identical_scores(name, tmp_path):
    det = _fitted(name)
    loaded = augury.load_detector(det.save(tmp_path / name))
    np.testing.assert_array_equal(loaded.decision_function(TEST), det.decision_function(TEST))
    np.testing.assert_array_equal(loaded.explain(TEST), det.explain(TEST))


@pytest.mark.parametrize("name", NAMES)
def test_causal_equals_stream_and_batch_after_warmup(name):
    det = _fitted(name)
    causal = det.decision_function(TEST, causal=True)
    streamed = np.concatenate([StreamScorer(det, top_k=0).update(b) for b in [TEST]])
    scorer = StreamScorer(det, top_k=0)
    bursts = np.concatenate([scorer.update(b) for b in np.split(TEST, [1, 5, 40, 41, 160])])
    np.testing.assert_allclose(streamed, causal, rtol=0, atol=1e-9)
    np.testing.assert_allclose(bursts, causal, rtol=0, atol=1e-9)
    warm = det.causal_warmup()
    np.testing.assert_array_equal(det.decision_function(TEST)[warm:], causal[warm:])


@pytest.mark.parametrize("name", NAMES)
def test_explain_is_per_channel_and_averages_to_the_score(name):
    det = _fitted(name)
    contrib = det.explain(TEST)
    assert contrib.shape == TEST.shape
    np.testing.assert_allclose(contrib.mean(axis=1), det.decision_function(TEST), rtol=1e-6)
    assert contrib[200:206, 1].mean() > contrib[200:206, 0].mean()


def test_start_alignment_shifts_scores_by_the_window():
    det = _fitted("usad")
    end = det.decision_function(TEST)
    det.set_params(alignment="start")
    try:
        start = det.decision_function(TEST)
    finally:
        det.set_params(alignment="end")
    w = det.span() - 1
    np.testing.assert_array_equal(start[: len(TEST) - w], end[w:])
    assert np.all(start[len(TEST) - w :] == end[-1])


@pytest.mark.parametrize(("name", "params", "match"), [
    ("cnn", {"window": 4}, "window"),
    ("cnn", {"channels": []}, "channels"),
    ("cnn", {"channels": [8, 0]}, "channels"),
    ("lstmad", {"hidden": 0}, "hidden"),
    ("usad", {"alignment": "middle"}, "alignment"),
    ("usad", {"lr": 0.0}, "lr"),
    ("omnianomaly", {"kl_weight": -1.0}, "kl_weight"),
    ("omnianomaly", {"validation_size": 0.95}, "validation_size"),
])
def test_bad_parameters_raise_parameter_error_naming_them(name, params, match):
    with pytest.raises(ParameterError, match=match):
        _make(name, **params)


@pytest.mark.parametrize("name", NAMES)
def test_training_series_shorter_than_a_span_is_a_data_error(name):
    with pytest.raises(DataError):
        _make(name).fit(TRAIN[:14])


def test_one_progress_line_per_epoch_on_stderr(capfd):
    _make("cnn", progress=True, epochs=2, patience=5).fit(TRAIN)
    lines = [ln for ln in capfd.readouterr().err.splitlines() if ln.startswith("cnn epoch")]
    assert len(lines) == 2 and lines[1].startswith("cnn epoch 2/2: train loss") and lines[1].endswith(" s)")
