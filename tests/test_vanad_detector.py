"""The ``vanad`` detector end to end with backbone="random" and a tiny MAE.

These are STRUCTURAL tests: random MAE weights say nothing about detection quality; they check
shapes, windowing, training, determinism, persistence and the parameter switches.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from augury import create_detector, list_detectors, load_detector
from augury.detectors.vanad.detector import VANAD, covered_steps
from augury.detectors.vanad.flow import MAF
from augury.detectors.vanad.imaging import make_imaging
from augury.detectors.vanad.model import bf16_copy, reconstruct, step_scores
from augury.errors import DataError

TINY = {"img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 4, "decoder_embed_dim": 16,
        "decoder_depth": 1, "decoder_num_heads": 2}


def _det(**kw) -> VANAD:
    params = {"arch": TINY, "backbone": "random", "window": 20, "train_stride": 10, "epochs": 2,
              "lambda_nf": 0.1, "mae_batch_size": 16, **kw}
    return create_detector("vanad", "cpu", **params)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    t = np.arange(713)
    train = np.stack([np.sin(t / 7), np.cos(t / 11), 0.1 * rng.normal(size=713)], 1).astype(np.float32)[:400]
    test = np.stack([np.sin(t / 7), np.cos(t / 11), 0.1 * rng.normal(size=713)], 1).astype(np.float32)[400:]
    test[150:160] += 4.0
    return train, test


@pytest.fixture(scope="module")
def fitted(data):
    return _det().fit(data[0])


def test_registered_with_tags_and_presets():
    info = [d for d in list_detectors() if d.name == "vanad"][0]
    assert info.tags["needs_pretrained_weights"] and info.tags["deep"]
    for name in ("paper", "cpu", "paper-calit2", "paper-msl", "paper-psm", "paper-gecco", "paper-swan"):
        assert name in VANAD.presets
    assert VANAD.presets["paper-msl"]["channels"] == [0]
    assert VANAD.presets["paper-msl"]["lambda_nf"] == 0.001
    assert VANAD.presets["cpu"]["autocast"] == "bf16"


def test_structural_end_to_end(fitted, data):
    _, test = data
    scores = fitted.decision_function(test)
    assert scores.shape == (test.shape[0],) and np.isfinite(scores).all()
    assert fitted.predict(test).shape == scores.shape
    # decision_scores_: every position of every training window (stride 10 over 400 steps)
    assert fitted.decision_scores_.shape == (((400 - 20) // 10 + 1) * 20,)
    assert len(fitted.history_.nll) == 2 and fitted.history_.lrs == [0.005, 0.005]


def test_flattening_alignment_and_tail(fitted, data):
    _, test = data
    x = fitted.scaler_.transform(test).astype(np.float32)
    n, w = x.shape[0], 20
    covered = covered_steps(n, w)
    assert covered == ((n - w) // w) * w + w and covered < n
    scores = fitted.decision_function(test)
    # the same batch the detector builds (mae_batch_size 16 ≥ 15 windows + the tail window), so bf16
    # GEMM blocking is identical and the comparison can be tight
    starts = [*range(0, covered, w), n - w]
    assert len(starts) <= fitted.mae_batch_size
    per_window = fitted._scores_batch(np.stack([x[s:s + w] for s in starts]))
    np.testing.assert_allclose(scores[:covered], per_window[:-1].reshape(-1), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(scores[covered:], per_window[-1, w - (n - covered):], rtol=1e-6, atol=1e-6)
    hold = _det(tail="hold")
    hold.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})
    held = hold.decision_function(test)
    np.testing.assert_array_equal(held[:covered], scores[:covered])
    assert np.all(held[covered:] == held[covered - 1])


def test_scores_match_model_functions(fitted, data):
    _, test = data
    x = torch.from_numpy(fitted.scaler_.transform(test[:20]).astype(np.float32)).unsqueeze(0)
    with torch.inference_mode():
        x_hat = reconstruct(bf16_copy(fitted.mae_), make_imaging("heatmap"), x, "bf16")
        ref = step_scores(x, x_hat, fitted.flow_, admm="official", lambda_rec=1.0, lambda_nf=0.1)
    np.testing.assert_allclose(fitted.decision_function(test[:20]), ref[0].double().numpy(), rtol=1e-5, atol=1e-6)


def test_save_load_identical_scores(fitted, data, tmp_path):
    _, test = data
    fitted.save(tmp_path / "det")
    again = load_detector(tmp_path / "det")
    assert isinstance(again, VANAD) and isinstance(again.flow_, MAF)
    np.testing.assert_array_equal(again.decision_function(test), fitted.decision_function(test))
    assert again.threshold_ == fitted.threshold_


def test_seeded_fits_are_reproducible(data):
    train, test = data
    a = _det(epochs=1).fit(train[:100]).decision_function(test[:50])
    b = _det(epochs=1).fit(train[:100]).decision_function(test[:50])
    np.testing.assert_array_equal(a, b)


def test_zero_shot_is_plain_reconstruction_error(data):
    train, test = data
    zero_shot = _det(admm=False, use_nf=False, autocast="none").fit(train[:200])
    x = zero_shot.scaler_.transform(test[:40]).astype(np.float32)
    with torch.inference_mode():
        x_hat = reconstruct(zero_shot.mae_, make_imaging("heatmap"), torch.from_numpy(x).reshape(2, 20, 3))
    expected = ((x_hat.numpy().reshape(40, 3) - x) ** 2).mean(1)
    np.testing.assert_allclose(zero_shot.decision_function(test[:40]), expected, rtol=1e-5, atol=1e-6)
    assert zero_shot.history_.nll == []


@pytest.mark.slow
@pytest.mark.parametrize("kw", [{"admm": "paper"}, {"base_mean": "zero"}, {"flow_masked": False},
                                {"imaging": "seg", "periodicity": 4}, {"univariate_mode": "correct", "channels": [1]},
                                {"activation": "relu", "n_blocks": 1}])
def test_other_switches_run_end_to_end(data, kw):
    train, test = data
    s = _det(epochs=1, train_stride=20, **kw).fit(train[:100]).decision_function(test[:50])
    assert s.shape == (50,) and np.isfinite(s).all()


def test_channels_selection(data):
    train, test = data
    det = _det(epochs=1, channels=[0]).fit(train[:200])
    assert det.n_features_in_ == 3 and det.flow_.cfg.n_features == 1
    with pytest.raises(DataError, match="channels"):
        _det(channels=[5]).fit(train[:200])


def test_max_train_windows_and_bad_params(data):
    train, _ = data
    det = _det(epochs=1, max_train_windows=5).fit(train[:200])
    assert det.decision_scores_.shape == (5 * 20,)
    with pytest.raises(ValueError, match="backbone"):
        _det(backbone="none").fit(train[:200])
    with pytest.raises(ValueError, match="tail"):
        _det(tail="drop").fit(train[:200])


def test_finetune_ln_trains_only_norms_and_persists(data, tmp_path):
    train, test = data
    base = _det(epochs=1, train_stride=20, autocast="none").fit(train[:100])
    tuned = _det(epochs=1, train_stride=20, autocast="none", finetune="ln").fit(train[:100])
    before, after = base.mae_.state_dict(), tuned.mae_.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all("norm" in k for k in changed)
    assert not any(p.requires_grad for p in tuned.mae_.parameters())
    tuned.save(tmp_path / "tuned")
    again = load_detector(tmp_path / "tuned")
    np.testing.assert_array_equal(again.decision_function(test[:50]), tuned.decision_function(test[:50]))
    with pytest.raises(ValueError, match="finetune"):
        _det(finetune="lora").fit(train[:100])
