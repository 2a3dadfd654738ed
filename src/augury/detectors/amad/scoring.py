"""AMAD anomaly energy per window position (Eq. 21): softmax_i(−CAD_i / T) ⊙ ‖X_i − X̂_i‖²."""

from __future__ import annotations

import numpy as np
import torch

from augury.detectors.amad.losses import cross_attention_divergence
from augury.detectors.amad.model import AMADModel
from augury.nn.precision import autocast


@torch.no_grad()
def window_energy(
    model: AMADModel, windows: np.ndarray, *, temperature: float, batch_size: int, autocast_mode: str = "none"
) -> np.ndarray:
    """Energy of every position of every window: ``windows`` ``[N_w, W, C]`` → float32 ``[N_w, W]``.

    The softmax runs along each window's time axis (as AT). The reconstruction error is the
    squared L2 norm over channels (the paper's; AT's channel mean differs by the constant C).
    Without an A path (plain ablation) CAD is 0, so the weights are uniform 1/W.
    """
    if temperature <= 0:
        raise ValueError(f"cad_temperature must be > 0, got {temperature}")
    model.eval()
    out = np.empty(windows.shape[:2], dtype=np.float32)
    for i in range(0, len(windows), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(windows[i : i + batch_size]))
        with autocast(autocast_mode):
            recon, a_maps, s_maps = model(x)
        err = ((x - recon) ** 2).sum(dim=-1)
        if a_maps:
            cad = cross_attention_divergence(a_maps, s_maps)
        else:
            cad = torch.zeros_like(err)
        weights = torch.softmax(-cad / temperature, dim=-1)
        out[i : i + len(x)] = (weights * err).numpy()
    return out
