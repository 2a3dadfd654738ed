"""The VAN-AD forward pieces: window → image → MAE (two passes) → series (X̂), and the per-step score.

Shapes: windows ``x`` ``[B, L, C]`` (globally scaled), reconstruction ``X̂`` ``[B, L, C]``,
scores ``[B, L]``.
"""

from __future__ import annotations

import copy

import torch

from augury.detectors.vanad.admm import apply_admm
from augury.detectors.vanad.backbone import MaskedAutoencoder
from augury.detectors.vanad.flow import MAF
from augury.detectors.vanad.imaging import HeatmapImaging, SegmentImaging, resize
from augury.nn.precision import autocast


def reconstruct(mae: MaskedAutoencoder, imaging: HeatmapImaging | SegmentImaging, x: torch.Tensor,
                autocast_mode: str = "none") -> torch.Tensor:
    """``X̂`` ``[B, L, C]`` float32: the MAE's checkerboard reconstruction of the imaged window ``x``.

    The grey image is resized to the MAE's input, repeated to 3 channels (no ImageNet
    normalisation), reconstructed by both complementary passes in one batch, averaged over the
    colour channels and resized back to the small image (docs/methods/vanad.md §4.1,
    docs/methods/vanad.md §4.3). ``mae`` may be a float32 module (``autocast_mode`` ``"none"`` or ``"bf16"`` autocast) or a bf16 copy.
    """
    b, length, _ = x.shape
    small = imaging.encode(x)
    size = mae.cfg.img_size
    img = resize(small, (size, size)).expand(-1, mae.cfg.in_chans, -1, -1)
    dtype = mae.cls_token.dtype
    # A MAE already cast to bf16 (see bf16_copy) runs natively; autocast applies to fp32 weights.
    with autocast(autocast_mode if dtype == torch.float32 else "none"):
        rec = mae.reconstruct_complementary(img.to(dtype))
    grey = rec.float().mean(dim=1, keepdim=True)
    return imaging.decode(resize(grey, small.shape[-2:]), b, length)


def step_scores(x: torch.Tensor, x_hat: torch.Tensor, flow: MAF | None, *, admm: str | bool,
                lambda_rec: float, lambda_nf: float) -> torch.Tensor:
    """Per-step anomaly score ``[B, L]``: ``λ_rec·mean_c (X̃ − x)² + λ_nf·(−log p(x))``.

    See docs/methods/vanad.md §6.

    ``flow=None`` drops the density term ("w/o NF"); ``admm=False`` scores with ``X̂`` ("w/o
    ADMM"); both together are the paper's zero-shot variant.
    """
    x_tilde = apply_admm(x_hat, x, admm)
    score = lambda_rec * ((x_tilde - x) ** 2).mean(dim=-1)
    if flow is not None:
        b, length, c = x.shape
        score = score - lambda_nf * flow.log_prob(x.reshape(-1, c)).reshape(b, length)
    return score


def bf16_copy(mae: MaskedAutoencoder) -> MaskedAutoencoder:
    """A bfloat16 copy of a frozen MAE for inference.

    Autocast re-casts every fp32 weight to bf16 on every call; casting once is faster on CPU
    (``benchmarks/bench_vanad.py`` measures both against fp32).
    """
    out = copy.deepcopy(mae).to(torch.bfloat16)
    out.requires_grad_(False)
    return out.eval()
