"""VAN-AD building blocks: masks, imaging, backbone passes, ADMM, MADE/MAF maths (spec §12)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.detectors.vanad.admm import apply_admm, window_stats
from augury.detectors.vanad.backbone import (
    ARCHS,
    MAEConfig,
    MaskedAutoencoder,
    resolve_arch,
    sincos_pos_embed,
)
from augury.detectors.vanad.flow import MADE, MAF, FlowConfig
from augury.detectors.vanad.imaging import HeatmapImaging, SegmentImaging, make_imaging, resize
from augury.detectors.vanad.masking import checkerboard_masks, visible_index
from augury.detectors.vanad.model import reconstruct, step_scores

TINY = MAEConfig(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=4, decoder_embed_dim=16,
                 decoder_depth=1, decoder_num_heads=2)


# ---------------------------------------------------------------- masks
def test_checkerboard_complementary_counts_and_parity():
    m1, m2 = checkerboard_masks(14)
    assert m1.shape == (196,) and int(m1.sum()) == 98 and int(m2.sum()) == 98
    assert torch.equal(m1, ~m2)
    i, j = torch.meshgrid(torch.arange(14), torch.arange(14), indexing="ij")
    even = ((i + j) % 2 == 0).reshape(-1)
    # pass 1 keeps (visible = not masked) exactly the (i + j)-even patches, row-major numbering
    assert torch.equal(~m1, even)
    assert torch.equal(visible_index(m1), torch.nonzero(even).reshape(-1))


def test_mae_shapes_of_published_archs():
    assert ARCHS["mae_base"].n_patches == 196 and ARCHS["mae_huge"].grid == 16
    with pytest.raises(ValueError):
        resolve_arch("mae_small")
    with pytest.raises(ValueError):
        resolve_arch({"img_size": 30, "patch_size": 8})


def _official_style_pass(mae: MaskedAutoencoder, imgs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MAE's own random_masking with noise = mask (argsort, gather, ids_restore), one pass."""
    n = mae.cfg.n_patches
    x = mae.patch_embed(imgs) + mae.pos_embed[:, 1:]
    noise = mask.float().unsqueeze(0).repeat(imgs.shape[0], 1)
    ids_shuffle = torch.argsort(noise, dim=1, stable=True)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    keep = int(n * (1 - noise[0].mean().item()))
    ids_keep = ids_shuffle[:, :keep]
    x = torch.gather(x, 1, ids_keep.unsqueeze(-1).repeat(1, 1, x.shape[-1]))
    cls = (mae.cls_token + mae.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
    x = torch.cat([cls, x], 1)
    for blk in mae.blocks:
        x = blk(x)
    x = mae.decoder_embed(mae.norm(x))
    tokens = mae.mask_token.repeat(x.shape[0], n + 1 - x.shape[1], 1)
    x_ = torch.cat([x[:, 1:], tokens], 1)
    x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
    x = torch.cat([x[:, :1], x_], 1) + mae.decoder_pos_embed
    for blk in mae.decoder_blocks:
        x = blk(x)
    pred = mae.decoder_pred(mae.decoder_norm(x))[:, 1:]
    return mae.unpatchify(pred * mask.float().unsqueeze(-1))


def test_two_passes_in_one_batch_equal_mae_random_masking():
    torch.manual_seed(0)
    mae = MaskedAutoencoder(TINY).eval()
    imgs = torch.randn(3, 3, 32, 32)
    m1, m2 = checkerboard_masks(TINY.grid)
    with torch.no_grad():
        ref = _official_style_pass(mae, imgs, m1) + _official_style_pass(mae, imgs, m2)
        got = mae.reconstruct_complementary(imgs)
    torch.testing.assert_close(got, ref, atol=1e-4, rtol=1e-4)


def test_sincos_pos_embed_layout():
    pe = sincos_pos_embed(16, 4)
    assert pe.shape == (1, 17, 16) and torch.all(pe[0, 0] == 0)
    # first half encodes the column (time) index: patches in the same column share it
    grid = pe[0, 1:].reshape(4, 4, 16)
    torch.testing.assert_close(grid[0, :, :8], grid[3, :, :8])
    torch.testing.assert_close(grid[:, 0, 8:], grid[:, 2, 8:])


# ---------------------------------------------------------------- imaging
def test_resize_is_bilinear_without_antialias():
    img = torch.arange(16.0).reshape(1, 1, 4, 4)
    torch.testing.assert_close(resize(img, (4, 4)), img)
    up = resize(torch.tensor([[[[0.0, 1.0]]]]), (1, 4))
    torch.testing.assert_close(up, torch.tensor([[[[0.0, 0.25, 0.75, 1.0]]]]))


def test_heatmap_rows_are_variables_and_round_trip():
    x = torch.randn(2, 7, 3)
    img = HeatmapImaging().encode(x)
    assert img.shape == (2, 1, 3, 7)
    torch.testing.assert_close(img[1, 0, 2], x[1, :, 2])
    torch.testing.assert_close(HeatmapImaging().decode(img, 2, 7), x)


@settings(max_examples=25, deadline=None)
@given(length=st.integers(2, 30), period=st.integers(1, 7), c=st.integers(1, 3))
def test_seg_round_trip_and_time_order(length, period, c):
    x = torch.randn(2, length, c)
    seg = SegmentImaging(period)
    img = seg.encode(x)
    cols = math.ceil(length / period)
    assert img.shape == (2 * c, 1, period, cols)
    torch.testing.assert_close(seg.decode(img, 2, length), x)
    if length % period == 0:
        # time t = col·P + row
        t = length - 1
        assert img[0, 0, t % period, t // period] == x[0, t, 0]


def test_make_imaging_rejects_unknown():
    with pytest.raises(ValueError, match="imaging"):
        make_imaging("gaf")


def test_reconstruct_shapes_both_imagings():
    torch.manual_seed(0)
    mae = MaskedAutoencoder(TINY).eval()
    x = torch.randn(4, 20, 3)
    with torch.inference_mode():
        for imaging in (make_imaging("heatmap"), make_imaging("seg", 5)):
            out = reconstruct(mae, imaging, x)
            assert out.shape == x.shape and out.dtype == torch.float32 and torch.isfinite(out).all()


# ---------------------------------------------------------------- ADMM
def test_admm_identities():
    x = torch.randn(3, 10, 2) * 3 + 1
    mu, sigma = window_stats(x)
    assert mu.shape == sigma.shape == (3, 1, 2)
    zero = torch.zeros_like(x)
    torch.testing.assert_close(apply_admm(zero, x, "official"), mu.expand_as(x))
    torch.testing.assert_close(apply_admm(torch.ones_like(x), x, "official") - mu, sigma.expand_as(x))
    std = torch.sqrt(x.var(dim=1, unbiased=False, keepdim=True) + 1e-5)
    torch.testing.assert_close(sigma, std / 0.4)
    torch.testing.assert_close(apply_admm(torch.ones_like(x), x, "paper") - mu, std.expand_as(x))
    torch.testing.assert_close(apply_admm(x * 2, x, False), x * 2)
    with pytest.raises(ValueError):
        apply_admm(x, x, "nope")


def test_step_scores_definition():
    torch.manual_seed(0)
    x, x_hat = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    flow = MAF(FlowConfig(n_features=3)).eval()
    s = step_scores(x, x_hat, flow, admm="official", lambda_rec=1.0, lambda_nf=0.5)
    rec = ((apply_admm(x_hat, x, "official") - x) ** 2).mean(-1)
    nf = -flow.log_prob(x.reshape(-1, 3)).reshape(2, 5)
    torch.testing.assert_close(s, rec + 0.5 * nf)
    zero_shot = step_scores(x, x_hat, None, admm=False, lambda_rec=1.0, lambda_nf=0.5)
    torch.testing.assert_close(zero_shot, ((x_hat - x) ** 2).mean(-1))


# ---------------------------------------------------------------- flow
def _jacobian(fn, v: torch.Tensor) -> torch.Tensor:
    return torch.autograd.functional.jacobian(fn, v.unsqueeze(0)).reshape(v.numel(), v.numel())


@pytest.mark.parametrize("reverse", [False, True])
def test_made_jacobian_triangular_and_logdet(reverse):
    torch.manual_seed(1)
    c = 4
    degrees = torch.arange(c).flip(0) if reverse else torch.arange(c)
    made = MADE(FlowConfig(n_features=c, hidden_size=16, n_hidden=2), degrees).double()
    for p in made.parameters():
        torch.nn.init.normal_(p, std=0.5)
    v = torch.randn(c, dtype=torch.double)
    jac = _jacobian(lambda z: made(z)[0], v)
    order = torch.argsort(degrees)
    permuted = jac[order][:, order]
    assert torch.allclose(torch.triu(permuted, diagonal=1), torch.zeros_like(permuted))
    _, neg_a = made(v.unsqueeze(0))
    torch.testing.assert_close(torch.linalg.slogdet(jac)[1], neg_a.sum())


def test_maf_orders_reverse_and_total_logdet():
    torch.manual_seed(2)
    flow = MAF(FlowConfig(n_features=3, n_blocks=3, hidden_size=8)).double()
    assert flow.blocks[0].input_degrees.tolist() == [0, 1, 2]
    assert flow.blocks[1].input_degrees.tolist() == [2, 1, 0]
    assert flow.blocks[2].input_degrees.tolist() == [0, 1, 2]
    v = torch.randn(3, dtype=torch.double)
    jac = _jacobian(lambda z: flow(z)[0], v)
    torch.testing.assert_close(torch.linalg.slogdet(jac)[1], flow(v.unsqueeze(0))[1].sum())


def test_flow_log_density_equals_brute_force_change_of_variables():
    torch.manual_seed(3)
    flow = MAF(FlowConfig(n_features=2, n_blocks=1, hidden_size=8)).double()
    for v in torch.randn(5, 2, dtype=torch.double):
        u = flow(v.unsqueeze(0))[0][0]
        jac = _jacobian(lambda z: flow(z)[0], v)
        base = -0.5 * ((u - flow.base_mean) ** 2).sum() - math.log(2 * math.pi)
        torch.testing.assert_close(flow.log_prob(v.unsqueeze(0))[0], base + torch.log(torch.abs(torch.det(jac))))
    # and the density integrates to one (grid quadrature)
    g = torch.linspace(-9, 9, 601, dtype=torch.double)
    xx, yy = torch.meshgrid(g, g, indexing="ij")
    with torch.no_grad():
        dens = flow.log_prob(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)).exp()
    assert float(dens.sum() * (g[1] - g[0]) ** 2) == pytest.approx(1.0, abs=1e-2)


def test_base_mean_frozen_buffer_and_zero_mode():
    torch.manual_seed(4)
    flow = MAF(FlowConfig(n_features=3))
    assert "base_mean" in flow.state_dict() and all(p is not flow.base_mean for p in flow.parameters())
    assert torch.count_nonzero(flow.base_mean) == 3
    assert torch.count_nonzero(MAF(FlowConfig(n_features=3, base_mean="zero")).base_mean) == 0


def test_univariate_modes():
    torch.manual_seed(5)
    official = MAF(FlowConfig(n_features=1, hidden_size=8))
    correct = MAF(FlowConfig(n_features=1, hidden_size=8, univariate_mode="correct"))
    assert all(float(m.mask.min()) == 1.0 for m in official.modules() if hasattr(m, "mask"))
    x = torch.linspace(-3, 3, 7).reshape(-1, 1)
    with torch.no_grad():
        _, ld = correct(x)
        assert torch.allclose(ld, ld[:1].expand_as(ld))  # m and a do not depend on x
        g = torch.linspace(-40, 40, 40001).reshape(-1, 1)
        for p in correct.parameters():
            torch.nn.init.normal_(p, std=0.3)
        mass = float(correct.log_prob(g).exp().sum() * (g[1, 0] - g[0, 0]))
    assert mass == pytest.approx(1.0, abs=1e-3)


def test_plain_flow_has_no_masks_effect():
    flow = MAF(FlowConfig(n_features=3, masked=False))
    assert all(float(m.mask.min()) == 1.0 for m in flow.modules() if hasattr(m, "mask"))
    with pytest.raises(ValueError):
        FlowConfig(n_features=2, activation="gelu")


def test_flow_dimension_from_numpy():
    flow = MAF(FlowConfig(n_features=2))
    out = flow.log_prob(torch.from_numpy(np.zeros((4, 2), dtype=np.float32)))
    assert out.shape == (4,)


@pytest.mark.parametrize("mode,key", [("ln", "norm"), ("bias", "bias"), ("attn", ".attn."), ("mlp", ".mlp.")])
def test_finetune_parameter_selection(mode, key):
    from augury.detectors.vanad.backbone import finetune_parameters

    mae = MaskedAutoencoder(TINY)
    chosen = {id(p) for p in finetune_parameters(mae, mode)}
    names = {n for n, p in mae.named_parameters() if id(p) in chosen}
    assert names and all(key in n for n in names)
    assert names == {n for n, _ in mae.named_parameters() if key in n}
    full = {n for n, p in mae.named_parameters() if id(p) in {id(q) for q in finetune_parameters(mae, "full")}}
    assert "pos_embed" not in full and "decoder_pos_embed" not in full and "cls_token" in full
    assert finetune_parameters(mae, "none") == []
