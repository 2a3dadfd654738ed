"""Classical PyOD baselines on flattened windows."""

from __future__ import annotations

import numpy as np
import pytest

from augury import create_detector, list_detectors, load_detector

CLASSICAL = [d.name for d in list_detectors(family="classical")]


def test_all_eight_baselines_registered():
    assert set(CLASSICAL) == {"iforest", "lof", "knn", "pca", "cblof", "kmeans", "hbos", "ocsvm"}


@pytest.mark.parametrize("name", CLASSICAL)
def test_planted_spike_in_top_one_percent(name, spike_series):
    train, test, spike = spike_series
    det = create_detector(name, preset="cpu").fit(train)
    scores = det.decision_function(test)
    assert scores.shape == (len(test),) and np.isfinite(scores).all()
    top = np.argsort(scores)[::-1][: int(0.01 * len(test))]
    assert spike in top
    assert det.decision_scores_.shape == (len(train),)
    assert det.n_features_in_ == 3
    pred = det.predict(test)
    assert set(np.unique(pred)) <= {0, 1} and pred[spike] == 1


@pytest.mark.parametrize("name", ["iforest", "knn", "pca", "kmeans"])
def test_save_load_identical_scores(name, spike_series, tmp_path):
    train, test, _ = spike_series
    det = create_detector(name, window=8, stride=8, score_stride=4, seed=3).fit(train)
    det.save(tmp_path / name)
    loaded = load_detector(tmp_path / name)
    assert loaded.get_params() == det.get_params()
    np.testing.assert_array_equal(loaded.decision_function(test), det.decision_function(test))
    assert loaded.threshold_ == det.threshold_


def test_paper_preset_and_overrides():
    det = create_detector("iforest", preset="paper", n_estimators=10)
    assert det.window == 100 and det.stride == 1 and det.n_estimators == 10


def test_same_seed_same_scores(spike_series):
    train, test, _ = spike_series
    a = create_detector("iforest", seed=7).fit(train).decision_function(test)
    b = create_detector("iforest", seed=7).fit(train).decision_function(test)
    np.testing.assert_array_equal(a, b)


def test_pca_with_constant_channel_gives_finite_scores(spike_series):
    train, test, _ = spike_series
    train = np.column_stack([train, np.ones(len(train), np.float32)])
    test = np.column_stack([test, np.ones(len(test), np.float32)])
    scores = create_detector("pca").fit(train).decision_function(test)
    assert np.isfinite(scores).all()
