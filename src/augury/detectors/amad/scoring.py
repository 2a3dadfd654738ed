"""AMAD anomaly energy per window position: ``softmax_i(−k·CAD_i) ⊙ r_i`` (Eq. 21 with sharpness k).

``r_i`` is the squared reconstruction error of position i summed over channels, each channel
optionally divided by its typical error on the training windows (``channel_scale``), so that a
few high-variance or near-constant channels do not dominate the sum.
"""

from __future__ import annotations

import numpy as np
import torch

from augury.detectors.amad.losses import cross_attention_divergence
from augury.detectors.amad.model import AMADModel
from augury.nn.precision import autocast


@torch.no_grad()
def channel_errors(
    model: AMADModel, windows: np.ndarray, *, batch_size: int, autocast_mode: str = "none"
) -> np.ndarray:
    """Mean squared reconstruction error per channel over ``windows`` ``[N_w, W, C]`` → float64 ``[C]``."""
    model.eval()
    total = np.zeros(windows.shape[-1], dtype=np.float64)
    for i in range(0, len(windows), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(windows[i : i + batch_size]))
        with autocast(autocast_mode):
            recon = model(x)[0]
        total += ((x - recon) ** 2).sum(dim=(0, 1)).double().numpy()
    return total / (len(windows) * windows.shape[1])


@torch.no_grad()
def window_energy(
    model: AMADModel,
    windows: np.ndarray,
    *,
    cad_scale: float,
    batch_size: int,
    channel_scale: np.ndarray | None = None,
    autocast_mode: str = "none",
) -> np.ndarray:
    """Energy of every position of every window: ``windows`` ``[N_w, W, C]`` → float32 ``[N_w, W]``.

    The softmax of ``−cad_scale · CAD`` runs along each window's time axis (as AT); ``cad_scale``
    0 makes the weights uniform (score = reconstruction error / W). ``channel_scale`` ``[C]``
    divides each channel's squared error (None: the literal squared L2 norm over channels).
    Without an A path (plain ablation) CAD is 0, so the weights are uniform 1/W.
    """
    if cad_scale < 0:
        raise ValueError(f"cad_scale must be >= 0, got {cad_scale}")
    model.eval()
    inv = (
        None if channel_scale is None else torch.from_numpy(1.0 / np.asarray(channel_scale, dtype=np.float32))
    )
    out = np.empty(windows.shape[:2], dtype=np.float32)
    for i in range(0, len(windows), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(windows[i : i + batch_size]))
        with autocast(autocast_mode):
            recon, a_maps, s_maps = model(x)
        sq = (x - recon) ** 2
        err = (sq if inv is None else sq * inv).sum(dim=-1)
        cad = cross_attention_divergence(a_maps, s_maps) if a_maps else torch.zeros_like(err)
        weights = torch.softmax(-cad_scale * cad, dim=-1)
        out[i : i + len(x)] = (weights * err).numpy()
    return out
