"""Fine and coarse predictors over the context code sequence (docs/methods/mtsjepa.md §4.3–4.4)."""

from __future__ import annotations

import torch
from torch import nn


def _init(module: nn.Module) -> None:
    # Xavier-uniform Linear, zero bias, LayerNorm (1, 0), as in the official predictor.
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def _logit_head(hidden: int, n_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(hidden, hidden), nn.LayerNorm(hidden), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, n_out))


class _Trunk(nn.Module):
    """Input projection + learned positions + pre-norm Transformer: ``[B, P, d_in]`` → ``[B, P, hidden]``."""

    def __init__(self, d_in: int, hidden: int, n_patches: int, n_layers: int, n_heads: int, d_ff: int,
                 dropout: float) -> None:
        super().__init__()
        self.inp = nn.Sequential(nn.Linear(d_in, hidden), nn.LayerNorm(hidden), nn.ReLU(), nn.Dropout(dropout))
        self.pos = nn.Parameter(torch.randn(1, n_patches, hidden))
        layer = nn.TransformerEncoderLayer(hidden, n_heads, d_ff, dropout, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.transformer(self.inp(x) + self.pos)


class FinePredictor(nn.Module):
    """``Π_t`` ``[B, P, d_in]`` → ``(logits [B, P, n_codes], ẑ [B, P, d_model])`` for the next window.

    ``d_in`` is K (code probabilities); in the no-codebook ablation it is D and ``n_codes`` is 0
    (no logit head).
    """

    def __init__(self, d_in: int, n_codes: int, d_model: int, n_patches: int, hidden: int = 128,
                 n_layers: int = 2, n_heads: int = 4, d_ff: int = 256, dropout: float = 0.1) -> None:
        super().__init__()
        self.trunk = _Trunk(d_in, hidden, n_patches, n_layers, n_heads, d_ff, dropout)
        self.logits = _logit_head(hidden, n_codes, dropout) if n_codes else None
        self.latent = nn.Linear(hidden, d_model)
        _init(self)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
        t = self.trunk(x)
        return (self.logits(t) if self.logits is not None else None), self.latent(t)


class CoarsePredictor(nn.Module):
    """A learned query cross-attends to the trunk output → ``(logits [B, 1, n_codes], latent [B, 1, d_model])``.

    With codes the latent output is unused (as in the code); the no-codebook ablation regresses it.
    """

    def __init__(self, d_in: int, n_codes: int, d_model: int, n_patches: int, hidden: int = 128,
                 n_layers: int = 2, n_heads: int = 4, d_ff: int = 256, dropout: float = 0.1) -> None:
        super().__init__()
        self.trunk = _Trunk(d_in, hidden, n_patches, n_layers, n_heads, d_ff, dropout)
        self.query = nn.Parameter(torch.randn(1, 1, hidden))
        self.attn = nn.MultiheadAttention(hidden, n_heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(hidden)
        self.logits = _logit_head(hidden, n_codes, dropout) if n_codes else None
        self.latent = nn.Linear(hidden, d_model)
        _init(self)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
        t = self.trunk(x)
        q, _ = self.attn(self.query.expand(t.shape[0], -1, -1), t, t, need_weights=False)
        q = self.norm(q)
        return (self.logits(q) if self.logits is not None else None), self.latent(q)
