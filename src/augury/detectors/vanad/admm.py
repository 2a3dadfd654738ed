"""ADMM: the affine de-normalisation of the reconstruction with the *original* window's statistics.

See docs/methods/vanad.md §4.2 and docs/methods/vanad.md §4.4.

``X̃ = X̂ ⊙ σ' + μ`` with ``μ = mean_t x`` and ``σ' = sqrt(var_t(x, biased) + 1e-5) / k`` per
window and variable. The official code hard-codes ``k = norm_const = 0.4`` (``admm="official"``);
the paper's Eq. 6 has no such factor (``admm="paper"``: ``k = 1``). ``admm=False`` (the "w/o
ADMM" ablation) uses ``X̂`` as it is.
"""

from __future__ import annotations

import torch

NORM_CONST = 0.4
EPS = 1e-5
ADMM_MODES: dict[str | bool, float | None] = {"official": NORM_CONST, "paper": 1.0, False: None}


def check_admm(mode: str | bool) -> str | bool:
    """Validate an ``admm`` hyper-parameter (``"official"``, ``"paper"`` or ``False``)."""
    if mode is True:
        return "official"
    if mode not in ADMM_MODES:
        raise ValueError(f"admm must be 'official', 'paper' or False, got {mode!r}")
    return mode


def window_stats(x: torch.Tensor, norm_const: float = NORM_CONST) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-window mean ``μ`` and scaled std ``σ'`` of ``x`` ``[B, L, C]``, each ``[B, 1, C]`` (detached)."""
    x = x.detach()
    mu = x.mean(dim=1, keepdim=True)
    var = x.var(dim=1, keepdim=True, unbiased=False)
    return mu, torch.sqrt(var + EPS) / norm_const


def apply_admm(x_hat: torch.Tensor, x: torch.Tensor, mode: str | bool) -> torch.Tensor:
    """``X̃`` ``[B, L, C]`` from the reconstruction ``x_hat`` and the original window ``x`` (same shape)."""
    k = ADMM_MODES[check_admm(mode)]
    if k is None:
        return x_hat
    mu, sigma = window_stats(x, k)
    return x_hat * sigma + mu
