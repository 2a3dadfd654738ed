"""The MTS-JEPA encoder: per-patch MLP tokenizer, CLS + learned positions, Transformer.

See docs/methods/mtsjepa.md §4.1.
"""

from __future__ import annotations

import torch
from torch import nn


class PatchTokenizer(nn.Module):
    """Per-patch MLP ``L → h → h → D`` (the paper's "residual CNN tokenizer" is this MLP in code)."""

    def __init__(self, patch_len: int, hidden: int, d_model: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(patch_len, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, d_model),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, n, L]`` → ``[B, n, D]``."""
        return self.net(x)


class Encoder(nn.Module):
    """Shared fine/coarse encoder: ``[B, n, L]`` (n = P or 1) → features ``h`` ``[B, n, D]``.

    A CLS token is prepended and learned positions (length P + 1, N(0, 1) init) are added; a
    coarse input uses the first two positions. Post-norm GELU Transformer; CLS is dropped and a
    Linear + Dropout projects the patch tokens.
    """

    def __init__(
        self, patch_len: int, n_patches: int, d_model: int, tokenizer_hidden: int,
        n_layers: int, n_heads: int, d_ff: int, dropout: float,
    ) -> None:
        super().__init__()
        self.tokenizer = PatchTokenizer(patch_len, tokenizer_hidden, d_model, dropout)
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model))
        self.pos = nn.Parameter(torch.randn(1, n_patches + 1, d_model))
        layer = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout, activation="gelu", batch_first=True)
        self.transformer = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.proj = nn.Sequential(nn.Linear(d_model, d_model), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, n, L]`` → ``[B, n, D]``."""
        tok = self.tokenizer(x)
        tok = torch.cat([self.cls.expand(tok.shape[0], -1, -1), tok], dim=1)
        tok = tok + self.pos[:, : tok.shape[1]]
        return self.proj(self.transformer(tok)[:, 1:])
