"""The ``lstmad`` detector: LSTM encoder–decoder next-step forecaster (``docs/methods/lstmad.md``)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from augury.base.params import Int, Rule
from augury.detectors.torch_window import COMMON_RULES, ForecastDetector

#: TSB-AD's chosen configuration for TSB-AD-M (``HP_list.py``: window 150, lr 0.0008; hidden 20,
#: 2 layers, 50 epochs, batch 128, 20 % validation, patience 3 from ``models/LSTMAD.py``).
_PAPER: dict[str, Any] = {"window": 150, "hidden": 20, "n_layers": 2, "lr": 0.0008, "epochs": 50, "batch_size": 128,
                          "validation_size": 0.2, "patience": 3, "restore_best": False, "max_train_windows": None, "scaling": "none"}
#: 2 cores: the recurrence is sequential in the window, so a shorter window and fewer windows.
_CPU: dict[str, Any] = {**_PAPER, "scaling": "minmax", "window": 50, "epochs": 5, "restore_best": True, "max_train_windows": 10_000}


class _Net(nn.Module):
    """Encoder LSTM over the window; its final state starts a one-step decoder LSTM fed zeros → GELU → Linear."""

    def __init__(self, n_channels: int, hidden: int, n_layers: int) -> None:
        super().__init__()
        self.encoder = nn.LSTM(n_channels, hidden, n_layers, batch_first=True)
        self.decoder = nn.LSTM(n_channels, hidden, n_layers, batch_first=True)
        self.out = nn.Sequential(nn.GELU(), nn.Linear(hidden, n_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``[B, W, C]`` → next-step forecast ``[B, C]``."""
        _, state = self.encoder(x)
        step, _ = self.decoder(torch.zeros_like(x[:, :1]), state)
        return self.out(step[:, 0])


class LSTMAD(ForecastDetector):
    """LSTM encoder–decoder next-step forecaster (TSB-AD's ``LSTMAD``, one predicted step); the score of
    step t is the mean over channels of the squared error of forecasting t from the ``window`` before it.

    Training: Adam, lr × 0.75 every 5 epochs, early stopping (patience) on the validation MSE.
    Deviation, named: ``restore_best`` keeps the best validation epoch (``cpu``; TSB-AD keeps the last,
    ``paper``). Presets: ``paper`` = TSB-AD's TSB-AD-M choice (window 150); ``cpu`` = window 50,
    5 epochs × ≤ 10,000 windows.
    """

    name: ClassVar[str] = "lstmad"
    tags: ClassVar[dict[str, Any]] = {"family": "forecasting"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": _CPU, "paper": _PAPER}
    param_rules: ClassVar[dict[str, Rule]] = {**COMMON_RULES, "hidden": Int(1, 65_536), "n_layers": Int(1, 64)}

    def __init__(self, *, window: int = 50, hidden: int = 20, n_layers: int = 2, epochs: int = 5,
                 batch_size: int = 128, lr: float = 0.0008, patience: int = 3, validation_size: float = 0.2,
                 restore_best: bool = True, max_train_windows: int | None = 10_000, alignment: str = "end",
                 autocast: str = "none", score_batch_size: int = 4096, scaling: str = "minmax",
                 threshold: str = "top:1", seed: int = 0, progress: bool = True) -> None:
        self._store(locals())

    def _build(self, n_channels: int) -> nn.Module:
        return _Net(n_channels, self.hidden, self.n_layers)
