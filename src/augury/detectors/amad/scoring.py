"""AMAD anomaly energy per window position: ``softmax_i(−k·CAD_i) ⊙ r_i`` (Eq. 21 with sharpness k).

``r_i`` is the squared reconstruction error of position i summed over channels, each channel
optionally divided by its typical error on the training windows (``channel_scale``), so that a
few high-variance or near-constant channels do not dominate the sum. Documented in
docs/methods/amad.md §4.
"""

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


def _terms(
    model: AMADModel, x: torch.Tensor, cad_scale: float, inv_scale: torch.Tensor | None, autocast_mode: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax weights ``[B, W]`` and per-channel (optionally re-scaled) squared errors ``[B, W, C]``."""
    with autocast(autocast_mode):
        recon, a_maps, s_maps = model(x)
    sq = (x - recon) ** 2
    if inv_scale is not None:
        sq = sq * inv_scale
    if a_maps:
        cad = cross_attention_divergence(a_maps, s_maps)
    else:
        cad = torch.zeros(sq.shape[:2], dtype=sq.dtype)
    return torch.softmax(-cad_scale * cad, dim=-1), sq


def _inverse_scale(channel_scale: np.ndarray | None) -> torch.Tensor | None:
    return None if channel_scale is None else torch.from_numpy(1.0 / np.asarray(channel_scale, dtype=np.float32))


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
    inv = _inverse_scale(channel_scale)
    out = np.empty(windows.shape[:2], dtype=np.float32)
    for i, x in _batches(windows, batch_size):
        weights, sq = _terms(model, x, cad_scale, inv, autocast_mode)
        n = min(len(x), len(out) - i)
        out[i : i + n] = (weights * sq.sum(dim=-1)).numpy()[:n]
    return out


@torch.no_grad()
def window_channel_energy(
    model: AMADModel,
    windows: np.ndarray,
    *,
    cad_scale: float,
    batch_size: int,
    channel_scale: np.ndarray | None = None,
    autocast_mode: str = "none",
) -> np.ndarray:
    """Per-channel share of the energy: ``windows`` ``[N_w, W, C]`` → float32 ``[N_w, W, C]``.

    ``softmax_i(−cad_scale · CAD_i) · (x_ic − x̂_ic)² / channel_scale_c``; summed over channels it
    is :func:`window_energy`.
    """
    if cad_scale < 0:
        raise ValueError(f"cad_scale must be >= 0, got {cad_scale}")
    model.eval()
    inv = _inverse_scale(channel_scale)
    out = np.empty(windows.shape, dtype=np.float32)
    for i, x in _batches(windows, batch_size):
        weights, sq = _terms(model, x, cad_scale, inv, autocast_mode)
        n = min(len(x), len(out) - i)
        out[i : i + n] = (weights[..., None] * sq).numpy()[:n]
    return out
