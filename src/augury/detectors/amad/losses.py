"""AMAD's divergences and losses: JS, Cross-Attention Divergence (Eq. 6), contrastive (Eqs. 19–20).

Documented in docs/methods/amad.md §2.3 (CAD) and docs/methods/amad.md §3 (training objective).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch.nn import functional as F

#: AT's ``my_kl_loss`` epsilon, added inside both logarithms.
KL_EPS = 1e-4


def kl_rows(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(p‖q) summed over the last axis with AT's epsilon: ``[..., N]`` → ``[...]``."""
    return (p * (torch.log(p + KL_EPS) - torch.log(q + KL_EPS))).sum(dim=-1)


def js_rows(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Jensen–Shannon divergence of row distributions ``[..., N]`` → ``[...]`` (symmetric, ≤ ln 2)."""
    mid = 0.5 * (p + q)
    return 0.5 * kl_rows(p, mid) + 0.5 * kl_rows(q, mid)


def cross_attention_divergence(
    a_maps: Sequence[torch.Tensor],
    s_maps: Sequence[torch.Tensor],
    *,
    detach_a: bool = False,
    detach_s: bool = False,
) -> torch.Tensor:
    """CAD per query position ``[B, N]``: JS(A, S) averaged over layers and heads (Eq. 6, AT's head mean).

    ``a_maps``/``s_maps``: one ``[B, h, N, N]`` map per layer. ``detach_*`` applies the stop-gradient
    of the Max-Min phases (Eq. 18).
    """
    per_layer = []
    for a, s in zip(a_maps, s_maps, strict=True):
        a = a.detach() if detach_a else a
        s = s.detach() if detach_s else s
        per_layer.append(js_rows(a.float(), s.float()).mean(dim=1))
    return torch.stack(per_layer).mean(dim=0)


class _MaxMinJS(torch.autograd.Function):
    """JS(p, q) per row whose backward sends +∂JS/∂p to p and −∂JS/∂q to q.

    One evaluation replaces the two stop-gradient copies of the Max-Min phases (see
    :func:`maxmin_cad`). With m = (p + q)/2 and AT's ε inside the logs,
    ∂JS/∂p = ½[log(p+ε) + p/(p+ε) − log(m+ε) − m/(m+ε)] (and symmetrically for q).
    """

    @staticmethod
    def forward(ctx: Any, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        mid = 0.5 * (p + q)
        log_p, log_q, log_m = torch.log(p + KL_EPS), torch.log(q + KL_EPS), torch.log(mid + KL_EPS)
        ctx.save_for_backward(p, q, mid, log_p, log_q, log_m)
        return 0.5 * (p * (log_p - log_m) + q * (log_q - log_m)).sum(dim=-1)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p, q, mid, log_p, log_q, log_m = ctx.saved_tensors
        common = log_m + mid / (mid + KL_EPS)
        g = 0.5 * grad.unsqueeze(-1)
        grad_p = g * (log_p + p / (p + KL_EPS) - common)
        grad_q = g * (log_q + q / (q + KL_EPS) - common)
        return grad_p, -grad_q


def maxmin_cad(a_maps: Sequence[torch.Tensor], s_maps: Sequence[torch.Tensor]) -> torch.Tensor:
    """CAD ``[B, N]`` whose gradient is that of CAD(A, sg(S)) − CAD(sg(A), S).

    So ``λ·reduce(maxmin_cad)`` carries exactly the CAD gradients of ``L_min + L_max`` (Eq. 18):
    A is pulled toward S, S is pushed away from A. Computing JS once instead of twice (and one
    backward pass instead of AT's two) roughly halves the attention-map work.
    """
    per_layer = [
        _MaxMinJS.apply(a.float(), s.float()).mean(dim=1) for a, s in zip(a_maps, s_maps, strict=True)
    ]
    return torch.stack(per_layer).mean(dim=0)


def reduce_cad(cad: torch.Tensor, reduction: str) -> torch.Tensor:
    """‖CAD‖₁ over a batch ``[B, N]`` → scalar: ``"mean"`` over B and N (AT), ``"sum"`` over N then mean over B."""
    if reduction == "mean":
        return cad.mean()
    if reduction == "sum":
        return cad.sum(dim=1).mean()
    raise ValueError(f"cad_reduction must be 'mean' or 'sum', got {reduction!r}")


def contrastive_loss(
    a_maps: Sequence[torch.Tensor], s_maps: Sequence[torch.Tensor], tau: float, norm: str = "layers"
) -> torch.Tensor:
    """Local-global alignment loss (Fig. 5): per layer CE(flat(S)·flat(A)ᵀ·e^τ, arange(B)), summed.

    Rows are windows' self-attention maps, columns their AutoMask maps; the positive pair is
    the same window. ``norm``: ``"layers"`` divides the sum by the number of layers (default,
    docs/methods/amad.md §7.9), ``"batch"`` by B as printed in Fig. 5. Returns a scalar.
    """
    if norm not in ("layers", "batch"):
        raise ValueError(f"con_norm must be 'layers' or 'batch', got {norm!r}")
    total = torch.zeros((), device=s_maps[0].device)
    b = s_maps[0].shape[0]
    targets = torch.arange(b, device=s_maps[0].device)
    for a, s in zip(a_maps, s_maps, strict=True):
        logits = s.float().reshape(b, -1) @ a.float().reshape(b, -1).T * math.exp(tau)
        total = total + F.cross_entropy(logits, targets)
    return total / (len(s_maps) if norm == "layers" else b)
