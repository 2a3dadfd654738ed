"""Complementary checkerboard masks on the MAE patch grid (docs/methods/vanad.md §4.3).

Patches are numbered row-major on the ``g × g`` grid (index ``g·i + j``; ``i`` = patch row, the
variable axis of a heatmap; ``j`` = patch column, the time axis). Pass 1 keeps the patches with
``i + j`` even and predicts the odd ones; pass 2 is the complement, so every patch is predicted
exactly once over the two passes.
"""

from __future__ import annotations

import torch


def checkerboard_masks(grid: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The two pass masks as bool tensors ``[grid²]`` (True = masked, i.e. predicted by that pass)."""
    i = torch.arange(grid).unsqueeze(1)
    j = torch.arange(grid).unsqueeze(0)
    odd = ((i + j) % 2 == 1).reshape(-1)
    return odd, ~odd


def visible_index(mask: torch.Tensor) -> torch.Tensor:
    """Indices ``[n_visible]`` (int64, ascending) of the patches a pass keeps (``mask`` False)."""
    return torch.nonzero(~mask, as_tuple=False).reshape(-1)
