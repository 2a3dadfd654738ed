"""AMAD building blocks: AutoMask attention, divergences, losses and their gradients (spec §9)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.detectors.amad.automask import AutoMaskAttention, rotate_pairs
from augury.detectors.amad.losses import (
    contrastive_loss,
    cross_attention_divergence,
    js_rows,
    maxmin_cad,
    reduce_cad,
)
from augury.detectors.amad.model import AMADConfig, AMADModel
from augury.detectors.amad.train import EarlyStopping, TrainConfig, batch_losses, train_step


def _attention(mix: int = 1, proj: bool = True, scale: str = "paper") -> AutoMaskAttention:
    torch.manual_seed(0)
    attn = AutoMaskAttention(16, 2, 0.9, automask_proj=proj, automask_mix=mix, attn_scale=scale)
    with torch.no_grad():
        attn.omega.uniform_(0.3, 3.0)
        if attn.mix_logits is not None:
            attn.mix_logits.normal_()
    return attn


@pytest.mark.parametrize("mix", [1, 3])
@pytest.mark.parametrize("proj", [True, False])
def test_automask_logits_depend_on_positions_only_through_their_difference(mix: int, proj: bool) -> None:
    attn = _attention(mix, proj)
    n, shift = 40, 7
    q, k = torch.randn(2, 2, n, 8), torch.randn(2, 2, n, 8)
    # Move the same content `shift` positions later: logits between the moved pairs must not change.
    q_s, k_s = torch.zeros_like(q), torch.zeros_like(k)
    q_s[:, :, shift:], k_s[:, :, shift:] = q[:, :, : n - shift], k[:, :, : n - shift]
    with torch.no_grad():
        base = attn.automask_logits(q, k)
        moved = attn.automask_logits(q_s, k_s)
    torch.testing.assert_close(
        moved[:, :, shift:, shift:], base[:, :, : n - shift, : n - shift], atol=1e-4, rtol=1e-4
    )
    # The rotation is active (otherwise the check above would hold trivially).
    with torch.no_grad():
        attn.omega.zero_()
        assert not torch.allclose(attn.automask_logits(q, k), base, atol=1e-3)


def test_rotation_is_a_position_dependent_isometry() -> None:
    x = torch.randn(3, 10, 8)
    angle = torch.rand(10, 4) * 6
    y = rotate_pairs(x, angle)
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    assert not torch.allclose(y, x)


@pytest.mark.parametrize("scale", ["paper", "head"])
def test_zero_frequency_gives_plain_softmax_of_projected_queries_and_keys(scale: str) -> None:
    attn = _attention(scale=scale)
    with torch.no_grad():
        attn.omega.zero_()
    q, k = torch.randn(2, 2, 30, 8), torch.randn(2, 2, 30, 8)
    qp = torch.einsum("bhnd,hed->bhne", q, attn.wq_eta) + attn.bq_eta[:, None, :]
    kp = torch.einsum("bhnd,hed->bhne", k, attn.wk_eta) + attn.bk_eta[:, None, :]
    divisor = 16.0 if scale == "paper" else math.sqrt(8)
    expected = torch.softmax(qp @ kp.transpose(-1, -2) / divisor, dim=-1)
    with torch.no_grad():
        got = torch.softmax(attn.automask_logits(q, k), dim=-1)
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)


def test_attention_returns_row_stochastic_maps_and_mixes_values() -> None:
    attn = _attention()
    x = torch.randn(2, 30, 16)
    out, a, s = attn(x)
    assert out.shape == (2, 30, 16) and a.shape == s.shape == (2, 2, 30, 30)
    torch.testing.assert_close(a.sum(-1), torch.ones(2, 2, 30))
    torch.testing.assert_close(s.sum(-1), torch.ones(2, 2, 30))
    v = attn._heads(attn.v_proj(x))
    expected = attn.out_proj(((0.9 * a + 0.1 * s) @ v).transpose(1, 2).flatten(2))
    torch.testing.assert_close(out, expected)


_DIST = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=2, max_size=12)


@settings(max_examples=80, deadline=None)
@given(_DIST, _DIST)
def test_js_is_symmetric_nonnegative_and_bounded_by_ln2(p_raw: list[float], q_raw: list[float]) -> None:
    n = min(len(p_raw), len(q_raw))
    p = torch.tensor(p_raw[:n], dtype=torch.float64) + 1e-9
    q = torch.tensor(q_raw[:n], dtype=torch.float64) + 1e-9
    p, q = p / p.sum(), q / q.sum()
    pq, qp = js_rows(p, q), js_rows(q, p)
    torch.testing.assert_close(pq, qp)
    assert -1e-12 <= float(pq) <= math.log(2) + 1e-9
    assert float(js_rows(p, p)) == pytest.approx(0.0, abs=1e-12)


def test_js_of_disjoint_distributions_approaches_ln2() -> None:
    p, q = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    assert float(js_rows(p, q)) == pytest.approx(math.log(2), abs=1e-3)


def _one_layer() -> AMADModel:
    torch.manual_seed(0)
    return AMADModel(AMADConfig(n_channels=3, d_model=16, n_layers=1, n_heads=2))


def _grads(model: AMADModel, loss: torch.Tensor) -> dict[str, float]:
    model.zero_grad(set_to_none=True)
    loss.backward()
    return {n: 0.0 if p.grad is None else float(p.grad.abs().max()) for n, p in model.named_parameters()}


def test_min_phase_cad_does_not_reach_self_attention_only_parameters() -> None:
    model = _one_layer()
    _, a, s = model(torch.randn(4, 20, 3))
    g = _grads(model, reduce_cad(cross_attention_divergence(a, s, detach_s=True), "mean"))
    for name in ("v_proj.weight", "v_proj.bias", "out_proj.weight", "out_proj.bias"):
        assert g[f"layers.0.attn.{name}"] == 0.0
    for name in ("omega", "wq_eta", "wk_eta", "q_proj.weight", "k_proj.weight"):
        assert g[f"layers.0.attn.{name}"] > 0.0


def test_max_phase_cad_does_not_reach_automask_parameters() -> None:
    model = _one_layer()
    _, a, s = model(torch.randn(4, 20, 3))
    g = _grads(model, -reduce_cad(cross_attention_divergence(a, s, detach_a=True), "mean"))
    for name in ("omega", "wq_eta", "bq_eta", "wk_eta", "bk_eta"):
        assert g[f"layers.0.attn.{name}"] == 0.0
    for name in ("q_proj.weight", "k_proj.weight"):
        assert g[f"layers.0.attn.{name}"] > 0.0


def test_fused_maxmin_step_matches_ats_two_backward_passes() -> None:
    torch.manual_seed(1)
    model = AMADModel(AMADConfig(n_channels=3, d_model=16, n_layers=2, n_heads=2, attn_scale="head"))
    x = torch.randn(5, 30, 3)
    cfg = TrainConfig()
    ref = batch_losses(model, x, cfg)
    (ref.l_max + ref.con).backward(retain_graph=True)
    ref.l_min.backward()
    expected = {n: p.grad.clone() for n, p in model.named_parameters()}
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)
    logged = train_step(model, frozen, x, cfg)
    assert logged == pytest.approx(float(ref.l_max.detach()), rel=1e-5)
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.grad, expected[name], atol=1e-6, rtol=1e-4, msg=name)


def test_maxmin_cad_value_is_the_cad() -> None:
    model = _one_layer()
    _, a, s = model(torch.randn(4, 20, 3))
    torch.testing.assert_close(maxmin_cad(a, s), cross_attention_divergence(a, s))


def test_contrastive_loss_is_log_batch_on_uniform_logits() -> None:
    b = 6
    a = [torch.softmax(torch.randn(1, 2, 10, 10), -1).expand(b, -1, -1, -1)] * 2
    s = [torch.softmax(torch.randn(1, 2, 10, 10), -1).expand(b, -1, -1, -1)] * 2
    assert float(contrastive_loss(a, s, 0.35)) == pytest.approx(math.log(b), rel=1e-6)
    assert float(contrastive_loss(a, s, 0.35, norm="batch")) == pytest.approx(2 * math.log(b) / b, rel=1e-6)


def test_contrastive_loss_rewards_matching_windows() -> None:
    # Sharp, window-specific maps that agree between A and S: the positives dominate.
    maps = [torch.softmax(20 * torch.randn(6, 2, 10, 10), -1)]
    assert float(contrastive_loss(maps, maps, 0.35)) < 0.5 * math.log(6)


def test_cad_reductions() -> None:
    cad = torch.rand(4, 10)
    assert float(reduce_cad(cad, "sum")) == pytest.approx(10 * float(reduce_cad(cad, "mean")), rel=1e-6)
    with pytest.raises(ValueError):
        reduce_cad(cad, "max")


def test_early_stopping_needs_both_losses_to_improve() -> None:
    stop = EarlyStopping(patience=2)
    assert stop.update(1.0, 1.0)
    assert not stop.update(0.5, 1.5)  # max improved, min did not
    assert not stop.should_stop
    assert stop.update(0.4, 0.9)  # both improved: counter resets
    assert not stop.update(0.4, 0.8) and not stop.update(0.3, 0.95)
    assert stop.should_stop


def test_plain_ablation_has_no_automask_path() -> None:
    torch.manual_seed(0)
    model = AMADModel(AMADConfig(n_channels=3, d_model=16, n_layers=2, n_heads=2, use_automask=False))
    recon, a, s = model(torch.randn(2, 20, 3))
    assert recon.shape == (2, 20, 3) and a == [] and len(s) == 2
    assert not any("omega" in n or "eta" in n for n, _ in model.named_parameters())


@pytest.mark.parametrize("ffn", ["paper", "at"])
def test_bf16_autocast_forward_stays_close_to_fp32(ffn: str) -> None:
    torch.manual_seed(0)
    model = AMADModel(AMADConfig(n_channels=3, d_model=32, n_layers=2, n_heads=4, ffn=ffn))
    x = torch.randn(2, 50, 3)
    with torch.no_grad():
        ref, _, _ = model(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            got, _, s_got = model(x)
    assert got.dtype == torch.float32 and s_got[0].dtype == torch.float32
    assert float((got - ref).abs().max()) < 0.1 * float(ref.abs().max())
    np.testing.assert_allclose(s_got[0].sum(-1).numpy(), 1.0, atol=1e-5)
