"""Calibrated scores: one scale for every detector (augury.calibration, Detector.calibrate) and PyOD habits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import augury
from amad_support import TINY
from augury.calibration import Calibration
from augury.cli import main
from augury.detectors.base import load_detector
from augury.errors import MetricError


def test_training_scores_become_unit_scale_whatever_their_units():
    rng = np.random.default_rng(0)
    for raw in (rng.chisquare(2, 5000) * 1e15, -rng.random(5000), rng.exponential(size=5000)):
        z = Calibration.fit(raw).transform(raw)
        assert abs(np.median(z)) < 0.01 and 0.9 < z.std() < 1.1
        assert 0.3 < 100 * np.mean(z > 3) < 0.6  # the top 0.43 % of training steps, for any units


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=100), st.lists(st.floats(-1e7, 1e7), min_size=2))
def test_calibration_is_monotone_and_finite(train, probe):
    cal = Calibration.fit(np.asarray(train))
    s = np.sort(np.asarray(probe))
    z = cal.transform(s)
    assert np.all(np.isfinite(z)) and np.all(np.diff(z) >= -1e-9)
    p = cal.proba(s)
    assert np.all((p >= 0) & (p <= 1))


def test_beyond_the_training_range_keeps_ranking():
    cal = Calibration.fit(np.arange(100.0))
    z = cal.transform(np.array([99.0, 150.0, 1000.0, -50.0]))
    assert z[2] > z[1] > z[0] > 0 > z[3]
    assert np.all(np.isfinite(Calibration.fit(np.ones(10)).transform(np.array([0.0, 1.0, 2.0]))))


@pytest.fixture(scope="module")
def clean():
    return augury.make_synthetic(n_train=8000, n_test=4000, n_channels=4, seed=0, n_anomalies=0)


@pytest.mark.parametrize("name", ["iforest", "pca", "hbos", "knn", "amad"])
def test_fixed_3_on_calibrated_scores_means_the_same_for_every_method(name, clean):
    torch.set_num_threads(1)
    train = clean.train[:1500] if name == "amad" else clean.train
    det = augury.create_detector(name, **(TINY if name == "amad" else {})).fit(train)
    z = det.decision_function(clean.test, calibrated=True)
    assert 0.1 <= 100 * np.mean(z > 3) <= 5.0
    spiked = clean.test.copy()
    spike = 2000
    spiked[spike] += 8.0
    z = det.decision_function(spiked, calibrated=True)
    assert z[spike - 16 : spike + 17].max() > 3


def test_calibration_survives_save_and_load(tmp_path, clean):
    det = augury.create_detector("pca").fit(clean.train[:2000])
    det.save(tmp_path / "m")
    again = load_detector(tmp_path / "m")
    np.testing.assert_array_equal(again.decision_function(clean.test, calibrated=True),
                                  det.decision_function(clean.test, calibrated=True))
    np.testing.assert_array_equal(again.labels_, det.labels_)


def test_pyod_habits_labels_contamination_predict_proba(clean):
    det = augury.create_detector("iforest", contamination=0.05).fit(clean.train[:2000])
    assert det.threshold == "top:5"
    assert det.labels_.shape == (2000,) and 4.0 <= 100 * det.labels_.mean() <= 5.0
    proba = det.predict_proba(clean.test[:500])
    assert proba.shape == (500, 2) and np.allclose(proba.sum(axis=1), 1.0)
    order = np.argsort(det.decision_function(clean.test[:500]))
    assert np.all(np.diff(proba[order, 1]) >= 0)  # same ranking as the raw scores
    det.set_params(contamination=0.01)
    assert det.threshold == "top:1"
    with pytest.raises(MetricError, match="either contamination or threshold"):
        augury.create_detector("iforest", contamination=0.1, threshold="top:2")
    with pytest.raises(MetricError, match=r"\(0, 0.5\]"):
        augury.create_detector("iforest", contamination=2)


def test_cli_calibrated_fixed_threshold(tmp_path, capsys, spike_series):
    train, test, spike = spike_series
    pd.DataFrame(train).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(test).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(SystemExit) as exc:
        main(["detect", str(tmp_path / "train.csv"), str(tmp_path / "test.csv"), "-m", "pca", "--calibrated",
              "--threshold", "fixed:3", "--out", str(tmp_path / "s.csv")])
    captured = capsys.readouterr()
    assert exc.value.code == 0, captured.err
    assert "threshold: 3 (fixed:3 of calibrated train scores)" in captured.out
    scores = pd.read_csv(tmp_path / "s.csv")
    assert scores.loc[spike, "anomaly"] == 1
    assert 0 < scores["anomaly"].mean() < 0.2

