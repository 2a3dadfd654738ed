"""VAN-AD presets: one per official config (``config/exp/*.yaml``), the paper's defaults, and ``cpu``.

Per-dataset values are the table of docs/methods/vanad.md §8 (window, flow blocks / hidden
size / hidden layers, activation, λ_nf, lr). The flow's input size is always taken from the data (the yaml's
``n_sensor`` is wrong for DLR). ``paper-msl`` keeps channel 0 only (``channels=[0]``), the
official univariate MSL protocol; the scaler is still fitted on every channel of the training
series, as the official loader does.
"""

from __future__ import annotations

from typing import Any

_COMMON: dict[str, Any] = {
    "arch": None,  # mae_base for backbone="pretrained"|"random", the small HEATMAP_ARCH for "heatmap-mae"
    "backbone": "pretrained",
    "imaging": "heatmap",
    "admm": "official",
    "use_nf": True,
    "train_stride": 10,
    "batch_size": 128,
    "epochs": 5,
    "lambda_rec": 1.0,
    "base_mean": "rand",
    "univariate_mode": "official",
    "flow_masked": True,
    "max_train_windows": None,
    "autocast": "none",
    "channels": None,
    "seed": 42,
}

# dataset: (window, n_blocks, hidden_size, n_hidden, activation, lambda_nf, lr)
_OFFICIAL: dict[str, tuple[int, int, int, int, str, float, float]] = {
    "calit2": (100, 2, 32, 1, "tanh", 0.2, 1e-3),
    "cicids": (196, 5, 256, 2, "tanh", 1.0, 1e-3),
    "dlr": (100, 2, 32, 1, "relu", 1.0, 1e-3),
    "gecco": (50, 2, 128, 2, "tanh", 0.05, 5e-3),
    "msl": (100, 2, 32, 1, "tanh", 0.001, 5e-3),
    "nyc": (100, 2, 16, 1, "tanh", 1.0, 5e-3),
    "psm": (196, 5, 64, 1, "tanh", 0.01, 1e-3),
    "pump": (100, 2, 128, 2, "tanh", 1.0, 1e-2),
    "swan": (196, 5, 64, 2, "tanh", 1.0, 1e-3),
}


def _official(name: str) -> dict[str, Any]:
    window, blocks, hidden, n_hidden, act, lam, lr = _OFFICIAL[name]
    preset = {**_COMMON, "window": window, "n_blocks": blocks, "hidden_size": hidden, "n_hidden": n_hidden,
              "activation": act, "lambda_nf": lam, "lr": lr}
    if name == "msl":
        preset["channels"] = [0]
    return preset


#: The paper's stated defaults (§IV-A2, Fig. 5): N = 3 flow layers, lr 0.005, tanh, 5 epochs,
#: batch 128, window 100, λ = 0.1 (top of the recommended 0.01–0.1). The flow width is not
#: stated; 32 × 1 hidden layer is the most common official value.
PAPER: dict[str, Any] = {**_COMMON, "window": 100, "n_blocks": 3, "hidden_size": 32, "n_hidden": 1,
                         "activation": "tanh", "lambda_nf": 0.1, "lr": 5e-3}

#: Two busy CPU cores: the cost is the MAE (≈ 54 GFLOP per window for both passes of
#: ViT-Base), so training uses non-overlapping windows, at most 256 of them, evenly spread over
#: the series, and bf16 autocast (benchmarks/bench_vanad.py measures speed and score drift).
CPU: dict[str, Any] = {**PAPER, "n_blocks": 2, "lambda_nf": 0.01, "train_stride": 100, "max_train_windows": 256,
                       "autocast": "bf16"}

PRESETS: dict[str, dict[str, Any]] = {
    "cpu": CPU,
    "paper": PAPER,
    **{f"paper-{name}": _official(name) for name in _OFFICIAL},
}
