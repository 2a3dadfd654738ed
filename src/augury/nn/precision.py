"""Mixed-precision switch shared by the torch detectors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

AUTOCAST_MODES = ("none", "bf16")


def check_autocast(mode: str) -> str:
    """Validate an ``autocast`` hyper-parameter value (``"none"`` or ``"bf16"``)."""
    if mode not in AUTOCAST_MODES:
        raise ValueError(f"autocast must be one of {AUTOCAST_MODES}, got {mode!r}")
    return mode


@contextlib.contextmanager
def autocast(mode: str, device: str = "cpu") -> Iterator[None]:
    """Run the enclosed forward pass in bfloat16 autocast (``"bf16"``) or full precision (``"none"``).

    bf16 roughly halves the matmul cost on CPUs with AVX512-BF16/AMX; numerically sensitive
    reductions (softmax, divergences, losses) should still be computed in float32 by the caller.
    """
    if check_autocast(mode) == "none":
        yield
        return
    with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16):
        yield
