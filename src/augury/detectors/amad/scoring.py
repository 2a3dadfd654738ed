"""AMAD anomaly energy per window position (Eq. 21): softmax_i(−CAD_i / T) ⊙ ‖X_i − X̂_i‖²."""

from __future__ import annotations

import numpy as np
import torch

from augury.detectors.amad.losses import cross_attention_divergence
from augury.detectors.amad.model import AMADModel
from augury.nn.precision import autocast


def _batches(windows: np.ndarray, batch_size: int):
    """Yield ``(start, x)`` tensors of at most ``batch_size`` windows, never a batch of one.

    A single-window batch takes another matmul kernel on CPU and differs from the same window
    scored inside a larger batch (≈1e-7 relative); a lone window is therefore scored twice in one
    batch, so a window's energy does not depend on how the windows were grouped (streaming ==
    batch, exactly).
    """
    for i in range(0, len(windows), batch_size):
        chunk = np.ascontiguousarray(windows[i : i + batch_size])
        if len(chunk) == 1:
            chunk = np.concatenate([chunk, chunk])
        yield i, torch.from_numpy(chunk)


def _terms(model: AMADModel, x: torch.Tensor, temperature: float, autocast_mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax weights ``[B, W]`` and per-channel squared reconstruction errors ``[B, W, C]``."""
    with autocast(autocast_mode):
        recon, a_maps, s_maps = model(x)
    sq = (x - recon) ** 2
    if a_maps:
        cad = cross_attention_divergence(a_maps, s_maps)
    else:
        cad = torch.zeros(sq.shape[:2], dtype=sq.dtype)
    return torch.softmax(-cad / temperature, dim=-1), sq


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
    for i, x in _batches(windows, batch_size):
        weights, sq = _terms(model, x, temperature, autocast_mode)
        n = min(len(x), len(out) - i)
        out[i : i + n] = (weights * sq.sum(dim=-1)).numpy()[:n]
    return out


@torch.no_grad()
def window_channel_energy(
    model: AMADModel, windows: np.ndarray, *, temperature: float, batch_size: int, autocast_mode: str = "none"
) -> np.ndarray:
    """Per-channel share of the energy: ``windows`` ``[N_w, W, C]`` → float32 ``[N_w, W, C]``.

    ``softmax_i(−CAD_i / T) · (x_ic − x̂_ic)²``; summed over channels it is :func:`window_energy`.
    """
    if temperature <= 0:
        raise ValueError(f"cad_temperature must be > 0, got {temperature}")
    model.eval()
    out = np.empty(windows.shape, dtype=np.float32)
    for i, x in _batches(windows, batch_size):
        weights, sq = _terms(model, x, temperature, autocast_mode)
        n = min(len(x), len(out) - i)
        out[i : i + n] = (weights[..., None] * sq).numpy()[:n]
    return out
