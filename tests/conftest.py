"""Shared test helpers: where the optional real data lives, and a small planted-anomaly series."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

#: ``../shared/data`` beside the repository (present on developer machines and CI, never required).
REAL_DATA = Path(os.environ.get("AUGURY_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def real_data_or_skip(name: str) -> Path:
    """Path of a real dataset under ``REAL_DATA``, or skip the test when it is absent."""
    path = REAL_DATA / name
    if not path.exists():
        pytest.skip(f"real data {path} not present")
    return path


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """One torch thread per test process: tiny models on 2 busy cores (``pytest -n 2``) run 10-60× slower
    when each process spins two threads."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def spike_series() -> tuple[np.ndarray, np.ndarray, int]:
    """Seasonal 3-channel train/test pair with one planted spike in test: ``(train, test, spike_index)``."""
    rng = np.random.default_rng(0)
    t = np.arange(3000)
    base = np.stack([np.sin(2 * np.pi * t / 50), np.cos(2 * np.pi * t / 80), np.sin(2 * np.pi * t / 30)], axis=1)
    x = base + 0.1 * rng.normal(size=base.shape)
    train, test = x[:2000].copy(), x[2000:].copy()
    spike = 612
    test[spike] += np.array([6.0, -6.0, 6.0])
    return train.astype(np.float32), test.astype(np.float32), spike
