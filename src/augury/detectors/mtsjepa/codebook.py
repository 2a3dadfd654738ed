"""The soft codebook (docs/methods/mtsjepa.md §4.2): cosine similarity to K prototypes, softmax at temperature τ."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class SoftCodebook(nn.Module):
    """K prototypes in R^D (U(−1/K, 1/K) init) and a fixed temperature τ kept as a buffer (saved).

    ``forward(h)`` returns ``(p, z)``: ``p = softmax(cos(h, c_k) / τ)`` ``[..., K]`` on the simplex,
    and ``z = Σ_k p_k ĉ_k`` ``[..., D]`` with L2-normalised prototypes ĉ (code version), so
    ``‖z‖ ≤ 1``. Computed in float32 whatever the autocast state.
    """

    def __init__(self, n_codes: int, d_model: int, tau: float) -> None:
        super().__init__()
        self.prototypes = nn.Parameter(torch.empty(n_codes, d_model).uniform_(-1.0 / n_codes, 1.0 / n_codes))
        self.register_buffer("tau", torch.tensor(float(tau)))

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``h`` ``[..., D]`` → ``(p [..., K], z [..., D])``."""
        with torch.autocast(device_type=h.device.type, enabled=False):
            c = F.normalize(self.prototypes.float(), dim=-1)
            cos = F.normalize(h.float(), dim=-1) @ c.T
            p = torch.softmax(cos / self.tau, dim=-1)
            return p, p @ c
