"""The AutoMask block of AMAD: self-attention S, AutoMask attention A, and their mixup.

Shapes: B windows, N positions, h heads, d_head = d_model / h. Both maps are post-softmax
``[B, h, N, N]`` (rows are queries). Documented in docs/methods/amad.md §2.2.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def rope_bases(d_head: int, theta: str) -> torch.Tensor:
    """Per feature-pair base angles θ_κ ``[d_head/2]``.

    ``"rope"``: θ_κ = 10000^(−2κ/d_head) (standard RoPE bases; docs/methods/amad.md §7.5 reading of Fig. 3).
    ``"scalar"``: θ = 1 for every pair (the text's "θ ∈ R fixed").
    """
    if d_head % 2:
        raise ValueError(f"d_head must be even for the rotary mask, got {d_head}")
    if theta == "rope":
        return 10000.0 ** (-torch.arange(0, d_head, 2, dtype=torch.float32) / d_head)
    if theta == "scalar":
        return torch.ones(d_head // 2)
    raise ValueError(f"theta must be 'rope' or 'scalar', got {theta!r}")


def init_omega(n_heads: int, n_mix: int, how: str) -> torch.Tensor:
    """Initial learnable frequencies ω ``[h, k]``.

    ``"geometric"``: ω_η = 2^(η − h/2), a multi-scale spread (the paper gives no init; docs/methods/amad.md §6).
    Extra mixture components (k > 1) are spread by further factors of 2^(1/k) so they differ.
    ``"ones"``: ω = 1, i.e. plain RoPE at start.
    """
    if how == "geometric":
        eta = torch.arange(n_heads, dtype=torch.float32)[:, None]
        j = torch.arange(n_mix, dtype=torch.float32)[None, :] / n_mix
        return 2.0 ** (eta - n_heads / 2 + j)
    if how == "ones":
        return torch.ones(n_heads, n_mix)
    raise ValueError(f"omega_init must be 'geometric' or 'ones', got {how!r}")


def rotate_pairs(x: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Rotate feature pairs (2κ, 2κ+1) of ``x`` ``[..., N, d]`` by ``angle`` ``[..., N, d/2]`` (Eq. 11)."""
    x = x.unflatten(-1, (-1, 2))
    x0, x1 = x[..., 0], x[..., 1]
    cos, sin = torch.cos(angle), torch.sin(angle)
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class AutoMaskAttention(nn.Module):
    """Multi-head attention whose value mixing is ``α·A + (1−α)·S`` (Eqs. 1–5, 10–16).

    Options (docs/methods/amad.md §7): ``attn_scale`` ``"paper"`` divides S logits by √d_model and A logits by
    d_model (Eqs. 3, 15), ``"head"`` divides both by √d_head; ``automask_proj`` applies the per-head
    W_Q^η, W_K^η of Eq. 10 (off: rotate the shared Q/K directly); ``theta`` see :func:`rope_bases`;
    ``automask_mix`` k > 1 keeps k frequencies per head and mixes their logits with learnable
    softmax weights (Fig. 3 "weighted linear combination"); ``use_automask=False`` drops the A path
    (plain-Transformer ablation: M = S, and A is returned as ``None``).
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        alpha: float,
        *,
        attn_scale: str = "paper",
        automask_proj: bool = True,
        theta: str = "rope",
        omega_init: str = "geometric",
        automask_mix: int = 1,
        use_automask: bool = True,
    ) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not divisible by n_heads {n_heads}")
        if attn_scale not in ("paper", "head"):
            raise ValueError(f"attn_scale must be 'paper' or 'head', got {attn_scale!r}")
        if automask_mix < 1:
            raise ValueError(f"automask_mix must be >= 1, got {automask_mix}")
        self.n_heads, self.d_head, self.alpha = n_heads, d_model // n_heads, float(alpha)
        self.use_automask = use_automask
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.self_scale = 1.0 / math.sqrt(d_model if attn_scale == "paper" else self.d_head)
        if not use_automask:
            return
        self.mask_scale = 1.0 / (d_model if attn_scale == "paper" else math.sqrt(self.d_head))
        self.automask_proj = automask_proj
        if automask_proj:
            # Per-head Linear(d_head→d_head) stored as one batched weight so all heads run in one einsum.
            bound = 1.0 / math.sqrt(self.d_head)
            self.wq_eta = nn.Parameter(torch.empty(n_heads, self.d_head, self.d_head).uniform_(-bound, bound))
            self.bq_eta = nn.Parameter(torch.empty(n_heads, self.d_head).uniform_(-bound, bound))
            self.wk_eta = nn.Parameter(torch.empty(n_heads, self.d_head, self.d_head).uniform_(-bound, bound))
            self.bk_eta = nn.Parameter(torch.empty(n_heads, self.d_head).uniform_(-bound, bound))
        self.omega = nn.Parameter(init_omega(n_heads, automask_mix, omega_init))
        self.mix_logits = nn.Parameter(torch.zeros(n_heads, automask_mix)) if automask_mix > 1 else None
        self.register_buffer("theta", rope_bases(self.d_head, theta), persistent=False)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, N, d_model]`` → ``[B, h, N, d_head]``."""
        return x.unflatten(-1, (self.n_heads, self.d_head)).transpose(1, 2)

    def automask_logits(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """Scaled AutoMask logits ``[B, h, N, N]`` from head-split ``q``, ``k`` ``[B, h, N, d_head]``.

        Each component rotates Q' and K' by the same angle p·ω·θ_κ at their own positions, so
        (R_n q)·(R_m k) depends on the positions only through n − m (relative, as RoPE).
        """
        if self.automask_proj:
            q = torch.einsum("bhnd,hed->bhne", q, self.wq_eta) + self.bq_eta[:, None, :]
            k = torch.einsum("bhnd,hed->bhne", k, self.wk_eta) + self.bk_eta[:, None, :]
        n = q.shape[-2]
        pos = torch.arange(1, n + 1, device=q.device, dtype=torch.float32)
        # angle[h, k, N, d/2] = p · ω_{h,k} · θ_κ, kept in float32: bf16 would wreck large angles.
        angle = pos[None, None, :, None] * self.omega[:, :, None, None] * self.theta
        qr = rotate_pairs(q.unsqueeze(2).float(), angle)  # [B, h, k, N, d]
        kr = rotate_pairs(k.unsqueeze(2).float(), angle)
        logits = torch.matmul(qr, kr.transpose(-1, -2)) * self.mask_scale  # [B, h, k, N, N]
        if self.mix_logits is None:
            return logits.squeeze(2)
        weights = torch.softmax(self.mix_logits, dim=-1)[None, :, :, None, None]
        return (weights * logits).sum(dim=2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """``x`` ``[B, N, d_model]`` → (output ``[B, N, d_model]``, A or None, S), maps ``[B, h, N, N]``.

        Softmaxes run in float32 even under bf16 autocast: the divergences use these maps.
        """
        q, k, v = self._heads(self.q_proj(x)), self._heads(self.k_proj(x)), self._heads(self.v_proj(x))
        s = torch.softmax(torch.matmul(q, k.transpose(-1, -2)).float() * self.self_scale, dim=-1)
        if self.use_automask:
            a = torch.softmax(self.automask_logits(q, k), dim=-1)
            mixed = self.alpha * a + (1.0 - self.alpha) * s
        else:
            a, mixed = None, s
        out = torch.matmul(mixed.to(v.dtype), v).transpose(1, 2).flatten(2)
        return self.out_proj(out), a, s
