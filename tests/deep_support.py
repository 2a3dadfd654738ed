"""Tiny configurations of the torch window detectors (cnn, lstmad, usad, omnianomaly) for fast tests."""

from __future__ import annotations

from typing import Any

_COMMON: dict[str, Any] = {"window": 12, "epochs": 3, "max_train_windows": 256, "batch_size": 32,
                           "progress": False}

TINY: dict[str, dict[str, Any]] = {
    "cnn": {**_COMMON, "channels": [8, 8], "lr": 0.005},
    "lstmad": {**_COMMON, "hidden": 8, "n_layers": 1, "lr": 0.01},
    "usad": {**_COMMON, "hidden": 16, "latent": 4, "lr": 0.005},
    "omnianomaly": {**_COMMON, "hidden": 8, "latent": 4, "lr": 0.01},
}
