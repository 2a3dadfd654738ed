"""AMAD's validation split, model-selection rule, score options and their effect on planted anomalies."""

from __future__ import annotations

import numpy as np
import pytest

import augury
from amad_support import TINY
from augury.detectors.amad import train as amad_train
from augury.detectors.amad.detector import PAPER_LITERAL
from augury.detectors.amad.model import AMADConfig, AMADModel
from augury.detectors.amad.scoring import window_energy
from augury.detectors.amad.split import split_windows
from augury.metrics import auc_roc


@pytest.fixture(scope="module")
def data() -> augury.Dataset:
    return augury.make_synthetic(
        n_train=1500, n_test=1050, n_channels=4, seed=1, n_anomalies=4, anomaly_kinds=("spike", "level_shift")
    )


@pytest.mark.parametrize("options", [{}, PAPER_LITERAL], ids=["default", "paper_literal"])
def test_planted_anomalies_rank_above_normal_steps(data: augury.Dataset, options: dict) -> None:
    det = augury.create_detector("amad", preset="cpu", **{**TINY, **options}).fit(data.train)
    assert auc_roc(data.test_labels, det.decision_function(data.test)) > 0.9


def test_block_split_holds_out_every_part_of_the_series() -> None:
    X = np.arange(2000, dtype=np.float32)[:, None]
    train, val = split_windows(X, 0.2, 20, 1, how="blocks", n_blocks=10)
    val_steps = np.unique((val.starts[:, None] + np.arange(20)).ravel())
    train_steps = np.unique((train.starts[:, None] + np.arange(20)).ravel())
    assert np.intersect1d(val_steps, train_steps).size == 0
    assert list(np.histogram(val_steps, bins=10, range=(0, 2000))[0]) == [40] * 10
    np.testing.assert_array_equal(train[np.array([0])][0, :, 0], np.arange(20))
    # Too many blocks for the window: fewer, longer blocks, each still holding out its tail.
    _, coarse = split_windows(X, 0.2, 50, 1, how="blocks", n_blocks=10)
    assert len(coarse) == 8
    tail_train, tail_val = split_windows(X, 0.2, 50, 1, how="tail")
    assert tail_val.starts.min() == 1600 and tail_train.starts.max() + 50 <= 1600


def test_short_series_trains_without_validation() -> None:
    train, val = split_windows(np.zeros((120, 2), np.float32), 0.2, 50, 1)
    assert val is None and len(train) == 71


def _fake_validation(values: list[tuple[float, float, float]]):
    it = iter(values)
    return lambda model, windows, cfg: next(it)


@pytest.mark.parametrize(("select", "kept"), [("rec", 3), ("at", 1), ("last", 3)])
def test_selection_rule_does_not_judge_by_the_loss_max_raises(
    data: augury.Dataset, monkeypatch, select: str, kept: int
) -> None:
    # Max-Min raises the Min-style loss every epoch while reconstruction keeps improving.
    losses = [(1.0, 1.0, 0.9), (0.9, 1.1, 0.8), (0.8, 1.2, 0.7)]
    monkeypatch.setattr(amad_train, "validation_losses", _fake_validation(losses))
    det = augury.create_detector("amad", **{**TINY, "epochs": 3, "patience": 5, "select": select})
    det.fit(data.train)
    assert det.history_.best_epoch == kept


def test_cad_temperature_is_deprecated_and_maps_to_its_inverse(data: augury.Dataset) -> None:
    fitted = augury.create_detector("amad", **{**TINY, "epochs": 1, "cad_scale": 0.02}).fit(data.train)
    with pytest.warns(FutureWarning, match="cad_scale"):
        old = fitted.set_params(cad_scale=1.0, cad_temperature=50.0).decision_function(data.test)
    new = fitted.set_params(cad_scale=0.02, cad_temperature=None).decision_function(data.test)
    np.testing.assert_allclose(old, new, rtol=1e-6)


def test_channel_scale_stops_one_noisy_channel_dominating() -> None:
    model = AMADModel(AMADConfig(n_channels=2, d_model=16, n_layers=1, n_heads=2))
    windows = np.zeros((2, 10, 2), np.float32)
    windows[0, :, 0] = 100.0  # window 0: a big error on the noisy channel 0
    windows[1, 4, 1] = 10.0  # window 1: a spike on the quiet channel 1
    raw = window_energy(model, windows, cad_scale=0.0, batch_size=2)
    scaled = window_energy(model, windows, cad_scale=0.0, batch_size=2, channel_scale=np.array([1e4, 1.0]))
    assert raw[0].max() > raw[1].max() and scaled[1].max() > scaled[0].max()


def test_sharper_cad_scale_concentrates_the_weights() -> None:
    model = AMADModel(AMADConfig(n_channels=3, d_model=16, n_layers=1, n_heads=2, attn_scale="head"))
    windows = np.random.default_rng(0).normal(size=(4, 20, 3)).astype(np.float32)
    flat = window_energy(model, windows, cad_scale=0.0, batch_size=4)
    sharp = window_energy(model, windows, cad_scale=1e3, batch_size=4)
    assert np.all(sharp.max(axis=1) / sharp.sum(axis=1) > flat.max(axis=1) / flat.sum(axis=1))
    with pytest.raises(ValueError):
        window_energy(model, windows, cad_scale=-1.0, batch_size=4)
