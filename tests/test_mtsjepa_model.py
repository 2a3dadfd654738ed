"""MTS-JEPA building blocks (spec §11): DownAvg, codebook, EMA, pairs, pooling, schedules, losses."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.detectors.mtsjepa.codebook import SoftCodebook
from augury.detectors.mtsjepa.data import (
    channel_pairs,
    chronological_pretrain_split,
    down_avg,
    instance_norm,
    to_windows,
    views,
)
from augury.detectors.mtsjepa.losses import LossWeights, batch_losses
from augury.detectors.mtsjepa.model import JEPAConfig, MTSJEPAModel
from augury.detectors.mtsjepa.pipeline import frozen_features
from augury.detectors.mtsjepa.train import PretrainConfig, rec_weight
from augury.early_warning.head import AttentionPoolClassifier, focal_loss

SMALL = JEPAConfig(n_patches=5, patch_len=20, d_model=16, n_codes=8, tokenizer_hidden=8, n_layers=1, n_heads=2,
                   d_ff=32, pred_hidden=16, pred_ff=32, dropout=0.0)


def test_down_avg_of_a_ramp_averages_consecutive_raw_points():
    x = torch.arange(100, dtype=torch.float32)[None]
    out = down_avg(x, 5)
    assert out.shape == (1, 20)
    expected = torch.tensor([np.mean(np.arange(5 * k, 5 * k + 5)) for k in range(20)], dtype=torch.float32)
    assert torch.allclose(out[0], expected)


def test_coarse_view_is_restandardised_downavg_of_the_raw_target():
    ctx = torch.randn(3, 100)
    tgt = 5.0 + 3.0 * torch.randn(3, 100)
    v = views(ctx, tgt, 5, 20)
    assert v["coarse"].shape == (3, 1, 20) and v["ctx"].shape == v["tgt"].shape == (3, 5, 20)
    ref, _, _ = instance_norm(down_avg(tgt, 5))
    assert torch.allclose(v["coarse"].reshape(3, 20), ref)
    assert torch.allclose(v["coarse"].std(dim=-1), torch.ones(3, 1), atol=1e-3)
    # The cached context statistics undo the normalisation.
    assert torch.allclose(v["ctx"].reshape(3, 100) * v["ctx_std"] + v["ctx_mean"], ctx, atol=1e-5)


def test_instance_norm_uses_the_unbiased_std_plus_eps():
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    _, mean, std = instance_norm(x)
    assert mean.item() == 2.5
    assert std.item() == pytest.approx(np.std([1, 2, 3, 4], ddof=1) + 1e-6)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_codebook_gives_simplex_probabilities_and_bounded_embeddings(seed):
    torch.manual_seed(seed)
    cb = SoftCodebook(8, 16, tau=0.1)
    h = 10 * torch.randn(4, 5, 16)
    p, z = cb(h)
    assert torch.all(p >= 0) and torch.allclose(p.sum(-1), torch.ones(4, 5), atol=1e-5)
    assert torch.all(z.norm(dim=-1) <= 1 + 1e-5)


def test_lower_codebook_temperature_gives_lower_entropy_and_tau_is_saved():
    torch.manual_seed(0)
    h = torch.randn(64, 16)
    cold, hot = SoftCodebook(8, 16, tau=0.1), SoftCodebook(8, 16, tau=1.0)
    hot.prototypes.data.copy_(cold.prototypes.data)

    def ent(p):
        return -(p * p.clamp_min(1e-12).log()).sum(-1).mean()

    assert ent(cold(h)[0]) < ent(hot(h)[0])
    assert float(cold.state_dict()["tau"]) == pytest.approx(0.1)


def test_ema_update_after_one_step_and_no_gradient_into_the_target():
    torch.manual_seed(0)
    model = MTSJEPAModel(SMALL)
    target0 = copy.deepcopy(model.target_encoder.state_dict())
    opt = torch.optim.SGD(model.trainable_parameters(), lr=0.1)
    v = views(torch.randn(8, 100), torch.randn(8, 100), 5, 20)
    loss, _, _ = batch_losses(model, v, LossWeights(), 0.5)
    loss.backward()
    assert all(p.grad is None for p in model.target_encoder.parameters())
    assert all(p.grad is None for p in model.target_codebook.parameters())
    opt.step()
    model.ema_update(0.996)
    online = model.encoder.state_dict()
    for k, t in model.target_encoder.state_dict().items():
        assert torch.allclose(t, 0.996 * target0[k] + 0.004 * online[k], atol=1e-6), k


def test_channel_independent_pairs_are_consecutive_windows_of_one_variable():
    n, w, v = 6, 4, 3
    x = np.arange(n * w * v, dtype=np.float32).reshape(n * w, v)
    windows = to_windows(x, w)
    ctx, tgt = channel_pairs(windows)
    assert ctx.shape == tgt.shape == (v * (n - 1), w)
    for var in range(v):
        for k in range(n - 1):
            i = var * (n - 1) + k
            np.testing.assert_array_equal(ctx[i], x[k * w:(k + 1) * w, var])
            np.testing.assert_array_equal(tgt[i], x[(k + 1) * w:(k + 2) * w, var])


def test_windows_drop_the_tail_and_the_pretrain_split_is_chronological():
    assert to_windows(np.zeros((250, 2)), 100).shape == (2, 100, 2)
    tr, va = chronological_pretrain_split(50, 0.1)
    assert (tr.start, tr.stop, va.start, va.stop) == (0, 45, 45, 50)


def test_variable_max_pooling_equals_the_elementwise_max_of_per_variable_codes():
    torch.manual_seed(0)
    model = MTSJEPAModel(SMALL).eval()
    rng = np.random.default_rng(0)
    windows = rng.normal(size=(4, 100, 3)).astype(np.float32)
    keep = np.array([0, 2])
    pooled = frozen_features(model, windows, keep, "probs", "none")
    assert pooled.shape == (4, 5, 8)
    per_var = []
    for c in keep:
        x, _, _ = instance_norm(torch.from_numpy(windows[:, :, c]))
        with torch.no_grad():
            per_var.append(model.encode(x.reshape(4, 5, 20))[1].numpy())
    np.testing.assert_allclose(pooled, np.maximum(*per_var), atol=1e-6)


def test_reconstruction_weight_is_linear_over_all_steps_or_per_epoch():
    g = PretrainConfig(rec_schedule="global")
    assert rec_weight(g, 0, 100, 0, 10) == pytest.approx(0.5)
    assert rec_weight(g, 99, 100, 9, 10) == pytest.approx(0.1)
    e = PretrainConfig(rec_schedule="per_epoch")
    assert rec_weight(e, 50, 100, 0, 10) == pytest.approx(0.5)  # the code's sawtooth restarts
    with pytest.raises(ValueError, match="rec_schedule"):
        rec_weight(PretrainConfig(rec_schedule="x"), 0, 1, 0, 1)


def test_no_codebook_ablation_trains_on_latent_mse_only():
    model = MTSJEPAModel(JEPAConfig(**{**SMALL.to_dict(), "codebook": False}))
    v = views(torch.randn(8, 100), torch.randn(8, 100), 5, 20)
    loss, terms, out = batch_losses(model, v, LossWeights(), 0.5)
    assert out["p"] is None and "kl_f" not in terms and {"mse_f", "mse_c", "rec"} <= set(terms)
    loss.backward()


def test_focal_loss_down_weights_easy_examples_and_head_outputs_two_logits():
    logits = torch.tensor([[4.0, -4.0], [0.0, 0.0]])
    y = torch.tensor([0, 0])
    w = torch.ones(2)
    easy = focal_loss(logits[:1], y[:1], w, 2.5)
    hard = focal_loss(logits[1:], y[1:], w, 2.5)
    assert easy < 1e-4 < hard
    assert AttentionPoolClassifier(8)(torch.randn(3, 5, 8)).shape == (3, 2)
