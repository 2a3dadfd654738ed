"""AMAD network: AT-style embedding, L AutoMask layers, LayerNorm → Linear reconstruction head.

Documented in docs/methods/amad.md §2. Embedding and head are not described by the paper and
follow Anomaly Transformer **[AT]** (docs/methods/amad.md §2.1).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from augury.detectors.amad.automask import AutoMaskAttention


@dataclass(frozen=True)
class AMADConfig:
    """Architecture hyper-parameters (JSON-serialisable; stored with saved weights).

    ``ffn``: ``"paper"`` = FF(x) = GELU(Wx + b), one layer (§3.1); ``"at"`` = AT's two layers
    Linear(d→d_ff) → GELU → Linear(d_ff→d). ``use_automask=False`` is the plain-Transformer
    ablation (S only). The other fields are documented on :class:`AutoMaskAttention`.
    """

    n_channels: int
    d_model: int = 512
    n_layers: int = 3
    n_heads: int = 8
    ffn: str = "paper"
    d_ff: int = 512
    alpha: float = 0.9
    attn_scale: str = "paper"
    automask_proj: bool = True
    theta: str = "rope"
    omega_init: str = "geometric"
    automask_mix: int = 1
    use_automask: bool = True
    dropout: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def sinusoidal_encoding(n: int, d_model: int) -> torch.Tensor:
    """Fixed sin/cos positional encoding (base 10000) ``[n, d_model]``."""
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(n, d_model)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)[:, : d_model // 2]
    return pe


class DataEmbedding(nn.Module):
    """Circular Conv1d value embedding (kernel 3, no bias) + sinusoidal positions **[AT]**."""

    def __init__(self, n_channels: int, d_model: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(n_channels, d_model, 3, padding=1, padding_mode="circular", bias=False)
        nn.init.kaiming_normal_(self.conv.weight, mode="fan_in", nonlinearity="leaky_relu")
        self.dropout = nn.Dropout(dropout)
        self.d_model = d_model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, N, C]`` → ``[B, N, d_model]``."""
        pe = sinusoidal_encoding(x.shape[1], self.d_model).to(x.device)
        return self.dropout(self.conv(x.transpose(1, 2)).transpose(1, 2) + pe)


class AMADLayer(nn.Module):
    """``H = LN(T + AutoMaskBlock(T))``; ``T' = LN(H + FF(H))`` (§3.1; the paper's S_l in the second LN is H_l)."""

    def __init__(self, cfg: AMADConfig) -> None:
        super().__init__()
        self.attn = AutoMaskAttention(
            cfg.d_model,
            cfg.n_heads,
            cfg.alpha,
            attn_scale=cfg.attn_scale,
            automask_proj=cfg.automask_proj,
            theta=cfg.theta,
            omega_init=cfg.omega_init,
            automask_mix=cfg.automask_mix,
            use_automask=cfg.use_automask,
        )
        if cfg.ffn == "paper":
            self.ff: nn.Module = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.GELU())
        elif cfg.ffn == "at":
            self.ff = nn.Sequential(
                nn.Linear(cfg.d_model, cfg.d_ff),
                nn.GELU(),
                nn.Dropout(cfg.dropout),
                nn.Linear(cfg.d_ff, cfg.d_model),
            )
        else:
            raise ValueError(f"ffn must be 'paper' or 'at', got {cfg.ffn!r}")
        self.norm1 = nn.LayerNorm(cfg.d_model)
        self.norm2 = nn.LayerNorm(cfg.d_model)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """``[B, N, d]`` → (``[B, N, d]``, A ``[B, h, N, N]`` or None, S ``[B, h, N, N]``)."""
        out, a, s = self.attn(x)
        h = self.norm1(x + self.dropout(out))
        return self.norm2(h + self.dropout(self.ff(h))), a, s


class AMADModel(nn.Module):
    """Reconstruct windows ``[B, N, C]`` and expose every layer's attention maps."""

    def __init__(self, cfg: AMADConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embedding = DataEmbedding(cfg.n_channels, cfg.d_model, cfg.dropout)
        self.layers = nn.ModuleList(AMADLayer(cfg) for _ in range(cfg.n_layers))
        self.head = nn.Sequential(nn.LayerNorm(cfg.d_model), nn.Linear(cfg.d_model, cfg.n_channels))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """``x`` ``[B, N, C]`` → (reconstruction ``[B, N, C]`` float32, A maps, S maps).

        A and S are per-layer lists of ``[B, h, N, N]``; A is empty in the plain ablation.
        """
        h = self.embedding(x)
        a_maps, s_maps = [], []
        for layer in self.layers:
            h, a, s = layer(h)
            s_maps.append(s)
            if a is not None:
                a_maps.append(a)
        return self.head(h).float(), a_maps, s_maps
