"""The ``cnn`` detector: a small 1-D convolutional next-step forecaster (``docs/methods/cnn.md``)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from augury.base.params import Float, Int, IntList, Rule
from augury.detectors.torch_window import COMMON_RULES, ForecastDetector
from augury.errors import ParameterError

#: TSB-AD's chosen configuration for TSB-AD-M (``HP_list.py``: window 50, num_channel [32, 32, 40],
#: lr 0.0008 from ``model_wrapper.run_CNN``; 50 epochs, batch 128, 20 % validation, patience 3).
_PAPER: dict[str, Any] = {"window": 50, "channels": [32, 40], "lr": 0.0008, "epochs": 50, "batch_size": 128,
                          "validation_size": 0.2, "patience": 3, "restore_best": False, "max_train_windows": None, "scaling": "none"}
#: 2 cores: at most 20,000 training windows per epoch and 10 epochs (see the docs page for timings).
_CPU: dict[str, Any] = {**_PAPER, "scaling": "minmax", "epochs": 10, "restore_best": True, "max_train_windows": 20_000}


class _Net(nn.Module):
    """Conv1d(k) → ReLU → MaxPool(2) per entry of ``channels``, then [avg ‖ max] pooling over time → MLP → C."""

    def __init__(self, n_channels: int, channels: list[int], kernel_size: int, dropout: float) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        prev = n_channels
        for width in channels:
            layers += [nn.Conv1d(prev, width, kernel_size), nn.ReLU(), nn.MaxPool1d(2)]
            prev = width
        self.conv = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(2 * prev, prev), nn.ReLU(), nn.Dropout(dropout), nn.Linear(prev, n_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``[B, W, C]`` → next-step forecast ``[B, C]``."""
        h = self.conv(x.transpose(1, 2))
        return self.head(torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1))


class CNN(ForecastDetector):
    """1-D CNN next-step forecaster (TSB-AD's ``CNN``); the score of step t is the mean over channels of
    the squared error of forecasting t from the ``window`` steps before it.

    Architecture: per entry of ``channels`` a Conv1d (``kernel_size``, stride 1) + ReLU + MaxPool(2);
    mean and max over time concatenated; Linear → ReLU → Dropout(``dropout``) → Linear to C.
    Training: Adam, lr × 0.75 every 5 epochs, early stopping (patience) on the validation MSE.
    Deviations from TSB-AD, named: the input is transposed to [B, C, W] (TSB-AD reshapes it with
    ``view``, which mixes time and channels), the second pooling is a max (TSB-AD averages twice),
    ``restore_best`` keeps the best validation epoch (``cpu``; TSB-AD keeps the last, ``paper``).
    Presets: ``paper`` = TSB-AD's TSB-AD-M choice; ``cpu`` = 10 epochs × ≤ 20,000 windows.
    """

    name: ClassVar[str] = "cnn"
    tags: ClassVar[dict[str, Any]] = {"family": "forecasting"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": _CPU, "paper": _PAPER}
    param_rules: ClassVar[dict[str, Rule]] = {
        **COMMON_RULES, "channels": IntList(), "kernel_size": Int(1, 1024), "dropout": Float(0, 1),
    }

    def __init__(self, *, window: int = 50, channels: list[int] | tuple[int, ...] = (32, 40), kernel_size: int = 3,
                 dropout: float = 0.25, epochs: int = 10, batch_size: int = 128, lr: float = 0.0008,
                 patience: int = 3, validation_size: float = 0.2, restore_best: bool = True,
                 max_train_windows: int | None = 20_000, alignment: str = "end", autocast: str = "none",
                 score_batch_size: int = 4096, scaling: str = "minmax", threshold: str = "top:1", seed: int = 0,
                 progress: bool = True) -> None:
        self._store(locals())

    def _check_param_relations(self) -> None:
        length = self.window
        for width in self.channels:
            if width < 1 or width > 65_536:
                raise ParameterError(f"CNN: channels={list(self.channels)} must hold widths in [1, 65536]")
            length = (length - self.kernel_size + 1) // 2
            if length < 1:
                raise ParameterError(f"CNN: window={self.window} is too short for {len(self.channels)} conv layers "
                                     f"of kernel_size={self.kernel_size} (each trims kernel_size − 1, then halves)")

    def _build(self, n_channels: int) -> nn.Module:
        return _Net(n_channels, [int(c) for c in self.channels], self.kernel_size, self.dropout)
