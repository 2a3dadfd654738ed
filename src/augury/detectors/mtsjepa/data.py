"""MTS-JEPA preprocessing (docs/methods/mtsjepa.md §2–3): windows → patches, channel-independent pairs, views.

Windows are non-overlapping: window k covers steps ``[k·W, (k+1)·W)`` with ``W = n_patches ·
patch_len`` (100 = 5 × 20); a tail shorter than ``W`` is dropped.
"""

from __future__ import annotations

import numpy as np
import torch

EPS = 1e-6


def to_windows(x: np.ndarray, window: int) -> np.ndarray:
    """Non-overlapping windows of ``x`` ``[T, V]`` → ``[N, window, V]`` with ``N = T // window``."""
    n = x.shape[0] // window
    return np.ascontiguousarray(x[: n * window].reshape(n, window, x.shape[1]))


def channel_pairs(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel-independent (context, target) pairs of consecutive windows.

    ``windows`` ``[N, W, V]`` → ``(context, target)`` each ``[V·(N−1), W]``: pair ``v·(N−1) + n`` is
    (window n, window n+1) of variable v. Pairs never mix variables.
    """
    n, w, v = windows.shape
    per_var = np.ascontiguousarray(windows.transpose(2, 0, 1))  # [V, N, W]
    return per_var[:, :-1].reshape(v * (n - 1), w), per_var[:, 1:].reshape(v * (n - 1), w)


def instance_norm(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-row normalisation of ``x`` ``[B, W]``: ``(x − μ) / (σ + 1e-6)`` with the unbiased σ.

    Returns ``(normalised [B, W], mean [B, 1], std [B, 1])``; the statistics de-normalise the
    reconstruction (RevIN without affine parameters, docs/methods/mtsjepa.md §2.5).
    """
    mean = x.mean(dim=1, keepdim=True)
    std = x.std(dim=1, keepdim=True) + EPS
    return (x - mean) / std, mean, std


def down_avg(x: torch.Tensor, factor: int) -> torch.Tensor:
    """DownAvg: element ℓ is the mean of raw points ``factor·ℓ … factor·ℓ + factor − 1``; ``[B, W] → [B, W/factor]``."""
    b, w = x.shape
    return x.reshape(b, w // factor, factor).mean(dim=2)


def views(
    context: torch.Tensor, target: torch.Tensor, n_patches: int, patch_len: int
) -> dict[str, torch.Tensor]:
    """The three views of a batch of raw pairs ``[B, W]`` (docs/methods/mtsjepa.md §3).

    ``ctx`` ``[B, P, L]`` (instance-normalised context), ``ctx_raw`` ``[B, P, L]``, ``ctx_mean``/
    ``ctx_std`` ``[B, 1]``, ``tgt`` ``[B, P, L]`` (target normalised on its own) and ``coarse``
    ``[B, 1, L]``: DownAvg_P of the *raw* target, re-standardised on its own statistics (code
    version; the paper downsamples the normalised window).
    """
    b = context.shape[0]
    ctx, mean, std = instance_norm(context)
    tgt, _, _ = instance_norm(target)
    coarse, _, _ = instance_norm(down_avg(target, n_patches))
    return {
        "ctx": ctx.reshape(b, n_patches, patch_len),
        "ctx_raw": context.reshape(b, n_patches, patch_len),
        "ctx_mean": mean,
        "ctx_std": std,
        "tgt": tgt.reshape(b, n_patches, patch_len),
        "coarse": coarse.reshape(b, 1, patch_len),
    }


def chronological_pretrain_split(n_windows: int, val_fraction: float) -> tuple[slice, slice]:
    """Window slices of the pre-training train/val split: first ``1 − val_fraction`` → train, rest → val.

    The windows are sliced before the pairs are built, so no pair straddles the two parts.
    """
    n_val = int(round(val_fraction * n_windows))
    return slice(0, n_windows - n_val), slice(n_windows - n_val, n_windows)
