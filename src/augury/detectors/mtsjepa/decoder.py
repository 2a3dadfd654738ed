"""Reconstruction decoder: per-patch MLP 256→512→256→128→L plus a residual Linear.

See docs/methods/mtsjepa.md §4.5.
"""

from __future__ import annotations

import torch
from torch import nn


class Decoder(nn.Module):
    """``z`` ``[B, P, D]`` → normalised patch reconstruction ``[B, P, L]``."""

    def __init__(self, d_model: int, patch_len: int, dropout: float = 0.1) -> None:
        super().__init__()
        dims = [d_model, 2 * d_model, d_model, d_model // 2]
        layers: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            layers += [nn.Linear(a, b), nn.LayerNorm(b), nn.ReLU(), nn.Dropout(dropout)]
        self.mlp = nn.Sequential(*layers, nn.Linear(dims[-1], patch_len))
        self.residual = nn.Linear(d_model, patch_len)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.mlp(z) + self.residual(z)
