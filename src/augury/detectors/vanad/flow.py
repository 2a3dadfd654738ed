"""Masked autoregressive flow over one time step's C variables (docs/methods/vanad.md §4.5), by hand.

Why not zuko: zuko's MAF parametrises each step with its own ``MonotonicAffineTransform``
(a soft-bounded log-scale) over a fixed standard-normal base; the official model needs the
unbounded ``u = (x − m)·exp(−a)``, a base mean drawn once from N(0, I) and frozen, and the
degenerate C = 1 MADE whose masks are all ones (``univariate_mode="official"``), none of which
zuko expresses. The MADE below is small enough to check exactly (tests/test_vanad_flow.py).

MADE block: degrees ``d_in`` (block 1: ``0..C−1``; each later block: the previous block's input
degrees reversed), hidden degrees ``arange(H) mod (C−1)``, output degrees ``d_in − 1``; a layer
connects out←in iff ``deg_out ≥ deg_in``. ``masked=False`` drops the masks (plain MLP, the
"plain linear" ablation; then ``−a`` is not the log-Jacobian and the density is not normalised).

C = 1: ``univariate_mode="official"`` reproduces the official code, where every degree is 0 and
all masks are ones (m and a depend on x itself, so ``−a`` is not the true log-Jacobian);
``"correct"`` gives output degree −1, so m and a are learned constants (the output layer's
bias) and the flow is a proper affine map.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


@dataclass(frozen=True)
class FlowConfig:
    """Shape and variant of the flow (see the module docstring)."""

    n_features: int
    n_blocks: int = 2
    hidden_size: int = 32
    n_hidden: int = 1
    activation: str = "tanh"
    base_mean: str = "rand"
    univariate_mode: str = "official"
    masked: bool = True

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        if self.base_mean not in ("rand", "zero"):
            raise ValueError(f"base_mean must be 'rand' or 'zero', got {self.base_mean!r}")
        if self.univariate_mode not in ("official", "correct"):
            raise ValueError(f"univariate_mode must be 'official' or 'correct', got {self.univariate_mode!r}")
        if self.n_features < 1 or self.n_blocks < 1 or self.hidden_size < 1 or self.n_hidden < 0:
            raise ValueError(f"invalid flow shape {self}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def made_degrees(n_features: int, hidden_size: int, n_hidden: int, input_degrees: torch.Tensor,
                 univariate_mode: str) -> list[torch.Tensor]:
    """Degrees of every layer: input, ``n_hidden + 1`` hidden layers, output (int64 tensors)."""
    if n_features > 1:
        hidden = torch.arange(hidden_size) % (n_features - 1)
        out = input_degrees - 1
    else:
        hidden = torch.zeros(hidden_size, dtype=torch.long)
        out = torch.zeros(1, dtype=torch.long) if univariate_mode == "official" else -torch.ones(1, dtype=torch.long)
    return [input_degrees, *([hidden] * (n_hidden + 1)), out]


class MaskedLinear(nn.Linear):
    """``y = x (W ⊙ M)ᵀ + b`` with a fixed 0/1 ``mask`` buffer ``[out, in]``."""

    def __init__(self, n_in: int, n_out: int, mask: torch.Tensor) -> None:
        super().__init__(n_in, n_out)
        self.register_buffer("mask", mask.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    """One autoregressive affine block: ``x`` ``[N, C]`` → ``(u, −a)``, both ``[N, C]``."""

    def __init__(self, cfg: FlowConfig, input_degrees: torch.Tensor) -> None:
        super().__init__()
        c, h = cfg.n_features, cfg.hidden_size
        self.register_buffer("input_degrees", input_degrees.clone())
        degrees = made_degrees(c, h, cfg.n_hidden, input_degrees, cfg.univariate_mode)
        masks = [(d1.unsqueeze(-1) >= d0.unsqueeze(0)).float() for d0, d1 in zip(degrees[:-1], degrees[1:], strict=True)]
        if not cfg.masked:
            masks = [torch.ones_like(m) for m in masks]
        act = ACTIVATIONS[cfg.activation]
        sizes = [c] + [h] * (cfg.n_hidden + 1)
        layers: list[nn.Module] = []
        for k, m in enumerate(masks[:-1]):
            if k:
                layers.append(act())
            layers.append(MaskedLinear(sizes[k], sizes[k + 1], m))
        layers += [act(), MaskedLinear(h, 2 * c, masks[-1].repeat(2, 1))]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m, a = self.net(x).chunk(2, dim=-1)
        return (x - m) * torch.exp(-a), -a


class MAF(nn.Module):
    """Stack of MADE blocks with reversed orders and a frozen base mean ``b`` (buffer ``base_mean``)."""

    def __init__(self, cfg: FlowConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c = cfg.n_features
        # Drawn before the blocks, as the official constructor does; never trained.
        mean = torch.randn(c) if cfg.base_mean == "rand" else torch.zeros(c)
        self.register_buffer("base_mean", mean)
        blocks = []
        degrees = torch.arange(c)
        for _ in range(cfg.n_blocks):
            blocks.append(MADE(cfg, degrees))
            degrees = degrees.flip(0)
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` ``[N, C]`` → last block output ``u`` ``[N, C]`` and summed ``−a`` ``[N, C]``."""
        logdet = torch.zeros_like(x)
        for blk in self.blocks:
            x, ld = blk(x)
            logdet = logdet + ld
        return x, logdet

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x)`` ``[N]`` for ``x`` ``[N, C]``: Σ_c [−½(u_c − b_c)² − Σ a_c] − C·½·log 2π."""
        u, logdet = self(x)
        return (-0.5 * (u - self.base_mean) ** 2 + logdet).sum(dim=-1) - x.shape[-1] * _HALF_LOG_2PI
