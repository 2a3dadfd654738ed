"""Torch ``state_dict`` ↔ NumPy arrays, so detectors can persist weights with safetensors (no pickle)."""

from __future__ import annotations

import numpy as np
import torch


def state_to_numpy(module: torch.nn.Module) -> dict[str, np.ndarray]:
    """Copy every persistent parameter and buffer of ``module`` to a contiguous NumPy array."""
    return {k: v.detach().cpu().contiguous().numpy().copy() for k, v in module.state_dict().items()}


def load_numpy_state(module: torch.nn.Module, arrays: dict[str, np.ndarray]) -> None:
    """Load arrays produced by :func:`state_to_numpy` into ``module`` (strict: names must match)."""
    module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()}, strict=True)
