"""The VAN-AD forward pieces: window → image → MAE (two passes) → series (X̂), and the per-step score.

Shapes: windows ``x`` ``[B, L, C]`` (globally scaled), reconstruction ``X̂`` ``[B, L, C]``,
scores ``[B, L]``.
"""

from __future__ import annotations

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
    colour channels and resized back to the small image (spec §4.1, §4.3).
    """
    b, length, _ = x.shape
    small = imaging.encode(x)
    size = mae.cfg.img_size
    img = resize(small, (size, size)).expand(-1, mae.cfg.in_chans, -1, -1)
    with autocast(autocast_mode):
        rec = mae.reconstruct_complementary(img)
    grey = rec.float().mean(dim=1, keepdim=True)
    return imaging.decode(resize(grey, small.shape[-2:]), b, length)


def step_scores(x: torch.Tensor, x_hat: torch.Tensor, flow: MAF | None, *, admm: str | bool,
                lambda_rec: float, lambda_nf: float) -> torch.Tensor:
    """Per-step anomaly score ``[B, L]``: ``λ_rec·mean_c (X̃ − x)² + λ_nf·(−log p(x))`` (spec §6).

    ``flow=None`` drops the density term ("w/o NF"); ``admm=False`` scores with ``X̂`` ("w/o
    ADMM"); both together are the paper's zero-shot variant.
    """
    x_tilde = apply_admm(x_hat, x, admm)
    score = lambda_rec * ((x_tilde - x) ** 2).mean(dim=-1)
    if flow is not None:
        b, length, c = x.shape
        score = score - lambda_nf * flow.log_prob(x.reshape(-1, c)).reshape(b, length)
    return score
