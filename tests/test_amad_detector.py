"""AMAD end to end: detection quality on planted anomalies, coverage, persistence, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

import augury
from amad_support import TINY
from augury.detectors.amad import train as amad_train
from augury.detectors.amad.detector import AMAD
from augury.metrics import auc_roc


@pytest.fixture(scope="module")
def data() -> augury.Dataset:
    # n_test = 1050 is not a multiple of the window: the tail needs the end-aligned window.
    return augury.make_synthetic(
        n_train=1500,
        n_test=1050,
        n_channels=4,
        seed=0,
        n_anomalies=4,
        anomaly_kinds=("spike", "level_shift", "trend"),
    )


@pytest.fixture(scope="module")
def fitted(data: augury.Dataset) -> AMAD:
    return augury.create_detector("amad", preset="cpu", **TINY).fit(data.train)


@pytest.fixture(scope="module")
def scores(fitted: AMAD, data: augury.Dataset) -> np.ndarray:
    return fitted.decision_function(data.test)


def test_detects_planted_anomalies(data: augury.Dataset, scores: np.ndarray) -> None:
    assert auc_roc(data.test_labels, scores) > 0.9


def test_every_step_gets_a_finite_score(fitted: AMAD, data: augury.Dataset, scores: np.ndarray) -> None:
    assert scores.shape == (1050,) and np.all(np.isfinite(scores))
    pred = fitted.predict(data.test)
    assert pred.shape == (1050,) and set(np.unique(pred)) <= {0, 1}


def test_tail_is_scored_by_the_end_aligned_window(
    fitted: AMAD, data: augury.Dataset, scores: np.ndarray
) -> None:
    energy, starts = fitted.energy(data.test, stride=100)
    assert starts[-1] == 950 and energy.shape == (11, 100)
    np.testing.assert_allclose(scores[1000:], energy[-1, 50:], rtol=1e-6)
    np.testing.assert_allclose(scores[950:1000], (energy[-2, 50:] + energy[-1, :50]) / 2, rtol=1e-6)
    np.testing.assert_allclose(scores[:100], energy[0], rtol=1e-6)


def test_training_scores_follow_the_at_protocol(fitted: AMAD, data: augury.Dataset) -> None:
    n_windows = math.ceil((1500 - 100) / 100) + 1
    assert fitted.decision_scores_.shape == (n_windows * 100,)
    energy, _ = fitted.energy(data.train, stride=100)
    np.testing.assert_allclose(fitted.decision_scores_, energy.ravel(), rtol=1e-6)
    assert fitted.threshold_ == pytest.approx(np.percentile(fitted.decision_scores_, 99))


def test_save_and_load_give_identical_scores(
    fitted: AMAD, data: augury.Dataset, scores: np.ndarray, tmp_path
) -> None:
    fitted.save(tmp_path / "amad")
    loaded = augury.load_detector(tmp_path / "amad")
    assert isinstance(loaded, AMAD) and loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(loaded.decision_function(data.test), scores)
    assert loaded.threshold_ == fitted.threshold_
    assert loaded.history_.best_epoch == fitted.history_.best_epoch


def test_params_and_presets() -> None:
    det = augury.create_detector("amad", preset="paper")
    assert det.get_params()["d_model"] == 512 and det.lr == 0.02 and det.train_stride == 1
    cpu = augury.create_detector("amad", preset="cpu", d_model=64)
    assert cpu.d_model == 64 and cpu.autocast == AMAD.presets["cpu"]["autocast"]
    cpu.set_params(alpha=0.3, ffn="at")
    assert cpu.get_params()["alpha"] == 0.3 and cpu.ffn == "at"
    with pytest.raises(ValueError):
        cpu.set_params(not_a_param=1)


def test_same_seed_same_scores_other_seed_other_scores(data: augury.Dataset, scores: np.ndarray) -> None:
    again = augury.create_detector("amad", preset="cpu", **TINY).fit(data.train).decision_function(data.test)
    np.testing.assert_array_equal(again, scores)
    other = (
        augury.create_detector("amad", preset="cpu", seed=1, **TINY)
        .fit(data.train)
        .decision_function(data.test)
    )
    assert not np.allclose(other, scores)


def test_external_validation_series_is_used(data: augury.Dataset) -> None:
    det = augury.create_detector("amad", **{**TINY, "epochs": 1}).fit(data.train, validation=data.test)
    assert det.validation_source_ == "external" and len(det.history_.val_max) == 1


def test_plain_ablation_and_bf16_score_every_step(data: augury.Dataset) -> None:
    det = augury.create_detector("amad", **{**TINY, "ablation": "plain", "autocast": "bf16"}).fit(data.train)
    s = det.decision_function(data.test)
    assert s.shape == (1050,) and np.all(np.isfinite(s))
    assert not hasattr(det.model_.layers[0].attn, "omega")


def test_invalid_options_are_rejected(data: augury.Dataset) -> None:
    for bad in ({"ablation": "nope"}, {"autocast": "fp16"}, {"ffn": "deep"}, {"attn_scale": "x"}):
        with pytest.raises(ValueError):
            augury.create_detector("amad", **{**TINY, **bad}).fit(data.train)


def test_learning_rate_halves_after_the_second_epoch(data: augury.Dataset, monkeypatch) -> None:
    seen: list[float] = []
    real_step = amad_train.train_step

    def spy(model, opt, x, cfg):
        seen.append(opt.param_groups[0]["lr"])
        return real_step(model, opt, x, cfg)

    monkeypatch.setattr(amad_train, "train_step", spy)
    params = {**TINY, "epochs": 4, "patience": 10, "max_train_windows": 32, "lr": 1e-3}
    augury.create_detector("amad", **params).fit(data.train)
    assert seen == [1e-3, 1e-3, 5e-4, 2.5e-4]


def test_interrupt_keeps_the_best_checkpoint(data: augury.Dataset, monkeypatch) -> None:
    params = {**TINY, "max_train_windows": 64}
    one_epoch = augury.create_detector("amad", **{**params, "epochs": 1}).fit(data.train)
    calls = {"n": 0}
    real_step = amad_train.train_step

    def interrupt_in_epoch_two(model, opt, x, cfg):
        calls["n"] += 1
        if calls["n"] == 3:  # 64 windows / batch 32 = 2 steps per epoch
            raise KeyboardInterrupt
        return real_step(model, opt, x, cfg)

    monkeypatch.setattr(amad_train, "train_step", interrupt_in_epoch_two)
    det = augury.create_detector("amad", **{**params, "epochs": 3}).fit(data.train)
    assert det.history_.stop_reason == "interrupted" and det.history_.best_epoch == 1
    np.testing.assert_array_equal(det.decision_function(data.test), one_epoch.decision_function(data.test))


def test_divergence_stops_training_and_keeps_a_usable_model(data: augury.Dataset, monkeypatch) -> None:
    monkeypatch.setattr(amad_train, "train_step", lambda model, opt, x, cfg: float("nan"))
    det = augury.create_detector("amad", **TINY).fit(data.train)
    assert det.history_.stop_reason.startswith("non-finite") and det.history_.best_epoch == 0
    assert np.all(np.isfinite(det.decision_function(data.test)))
